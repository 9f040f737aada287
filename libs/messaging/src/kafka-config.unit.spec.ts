import { describeConnection, toKafkaJsConfig, toWorkerKafkaConfig } from './kafka-config';
import { WorkerConfigNotCloneableError, WorkerProducer } from './worker-producer';
import { jsonLinesLogger, silentLogger } from './logger';
import { MessagingConfigError } from './errors';
import { resolveSubscriptionOptions } from './subscription-options';

describe('kafka connection config', () => {
  const connection = {
    brokers: ['b1:9093'],
    clientId: 'iris',
    ssl: true,
    sasl: { mechanism: 'scram-sha-512' as const, username: 'iris', password: 's3cret' },
  };

  it('maps typed config to kafkajs, keeping ssl and sasl', () => {
    const config = toKafkaJsConfig(connection, silentLogger, 'warn');
    expect(config).toMatchObject({ brokers: ['b1:9093'], clientId: 'iris', ssl: true, sasl: { mechanism: 'scram-sha-512' } });
  });

  it('gives a worker thread the same settings as plain data (no functions), with its log level as a number', () => {
    const config = toWorkerKafkaConfig({ ...connection, connectionTimeoutMs: 1_500 }, 'warn', 100);
    expect(config).toEqual({
      brokers: ['b1:9093'],
      clientId: 'iris',
      ssl: true,
      sasl: connection.sasl,
      connectionTimeout: 1_500,
      requestTimeout: undefined,
      logLevel: 2,
      partitionCacheKeys: 100,
    });
    expect(structuredClone(config)).toEqual(config);
    expect(() => new WorkerProducer(config, silentLogger)).not.toThrow(); // the thread starts on the first send only
    const withFunction = toWorkerKafkaConfig({ ...connection, ssl: { checkServerIdentity: () => undefined } }, 'warn', 100);
    expect(() => new WorkerProducer(withFunction, silentLogger)).toThrow(WorkerConfigNotCloneableError);
  });

  it('never exposes secrets in descriptions or log lines', () => {
    expect(JSON.stringify(describeConnection(connection))).not.toContain('s3cret');
    const lines: string[] = [];
    jsonLinesLogger({ write: (line) => lines.push(line) }).log('info', 'connecting', { sasl: connection.sasl, nested: { password: 's3cret' } });
    expect(lines.join()).not.toContain('s3cret');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'connecting' });
  });

  it('rejects incomplete config with a typed error', () => {
    expect(() => toKafkaJsConfig({ brokers: [], clientId: 'x' }, silentLogger, 'warn')).toThrow(MessagingConfigError);
    expect(() => resolveSubscriptionOptions({ groupId: 'g', decode: () => 1, handleBatch: async () => undefined })).toThrow(
      expect.objectContaining({ code: 'MESSAGING_CONFIG_INVALID' }),
    );
  });
});
