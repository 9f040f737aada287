import type { ConnectionOptions } from 'node:tls';
import { KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import { MessagingConfigError } from './errors';
import { LogLevelName, MessagingLogger, redactSecrets } from './logger';
import type { WorkerKafkaConfig } from './worker-producer';

/** How to reach the Kafka cluster; built by the caller (e.g. from @iris/config). */
export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  /** true for TLS with system CAs, or explicit TLS options (ca, cert, key, servername...). */
  ssl?: boolean | ConnectionOptions;
  sasl?: KafkaSaslConfig;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export type KafkaSaslConfig =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string };

const KAFKAJS_LEVEL: Record<LogLevelName, logLevel> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export function toKafkaJsConfig(connection: KafkaConnectionConfig, logger: MessagingLogger, level: LogLevelName): KafkaConfig {
  if (!connection.brokers?.length) throw new MessagingConfigError('kafka: at least one broker is required');
  if (!connection.clientId) throw new MessagingConfigError('kafka: clientId is required');
  if (connection.sasl && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(connection.sasl.mechanism))
    throw new MessagingConfigError(`kafka: unsupported SASL mechanism ${String(connection.sasl.mechanism)}`);
  return {
    brokers: connection.brokers,
    clientId: connection.clientId,
    ssl: connection.ssl,
    sasl: connection.sasl as SASLOptions | undefined,
    connectionTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    logLevel: KAFKAJS_LEVEL[level],
    logCreator: () => (entry) => {
      const { message, timestamp: _timestamp, ...fields } = entry.log;
      logger.log(levelName(entry.level), message, { namespace: entry.namespace, ...fields });
    },
  };
}

/** The same client settings as plain data, for a producer in a worker thread (its logs come back as messages). */
export function toWorkerKafkaConfig(connection: KafkaConnectionConfig, level: LogLevelName, partitionCacheKeys: number): WorkerKafkaConfig {
  const { logCreator: _logCreator, logLevel: _logLevel, ...config } = toKafkaJsConfig(connection, { log: () => undefined }, level);
  return { ...config, sasl: connection.sasl, logLevel: KAFKAJS_LEVEL[level], partitionCacheKeys };
}

/** A log-safe description of the connection: never includes passwords or TLS keys. */
export function describeConnection(connection: KafkaConnectionConfig): Record<string, unknown> {
  return redactSecrets({
    brokers: connection.brokers,
    clientId: connection.clientId,
    ssl: Boolean(connection.ssl),
    saslMechanism: connection.sasl?.mechanism ?? null,
    saslUser: connection.sasl?.username ?? null,
  });
}

function levelName(level: logLevel): LogLevelName {
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}
