import { ConfigError } from './config-error';
import { Env, EnvReader } from './env-reader';
import {
  readKillSwitchSettings,
  readMetricsAggregatorSettings,
  readRolloutControllerSettings,
  type KillSwitchSettings,
  type MetricsAggregatorSettings,
  type RolloutControllerSettings,
  readShadowComparatorSettings,
  type ShadowComparatorSettings,
} from './service-settings';

export const SERVICE_NAMES = ['registry', 'shadow-comparator', 'metrics-aggregator', 'rollout-controller', 'kill-switch'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default HTTP port of each service (overridden by PORT). */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  registry: 3001,
  'shadow-comparator': 3002,
  'metrics-aggregator': 3003,
  'rollout-controller': 3004,
  'kill-switch': 3005,
};

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  actor: string;
  role: Role;
  token: string;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  ssl: false | { ca?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** A consumer that stops heartbeating for this long is dropped from its group (its partitions move). */
  sessionTimeoutMs: number;
}

export interface DatabaseConfig {
  url: string;
  ssl: false | { ca?: string; rejectUnauthorized: boolean };
  poolSize: number;
}

export interface IrisConfig {
  service: ServiceName;
  port: number;
  host: string;
  environment: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `embedded`: in-process bus + PGlite; `kafka`: real Kafka + PostgreSQL. */
  mode: 'embedded' | 'kafka';
  kafka?: KafkaConfig;
  database?: DatabaseConfig;
  /** Embedded PGlite data directory; in-memory when unset. */
  embeddedDataDir?: string;
  auth: { tokens: ApiToken[] };
  shutdownTimeoutMs: number;
  /** `ROLLOUT_*` settings; read for the rollout controller only. */
  rolloutController?: RolloutControllerSettings;
  /** `METRICS_*` settings; read for the metrics aggregator only. */
  metricsAggregator?: MetricsAggregatorSettings;
  /** `KILL_SWITCH_*` settings; read for the kill switch only. */
  killSwitch?: KillSwitchSettings;
  /** `SHADOW_*` settings; read for the shadow comparator only. */
  shadowComparator?: ShadowComparatorSettings;
}

const SECRET_MASK = '***';

/** Parses IRIS_AUTH_TOKENS: comma-separated `actor:role:token` entries. */
function parseTokens(raw: string | undefined): ApiToken[] {
  if (!raw) return [];
  const seen = new Set<string>();
  return raw.split(',').map((entry, index) => {
    const [actor, role, ...rest] = entry.trim().split(':');
    const token = rest.join(':');
    if (!actor || !role || !token) {
      throw new ConfigError('IRIS_AUTH_TOKENS', `entry ${index + 1} must be actor:role:token`);
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new ConfigError('IRIS_AUTH_TOKENS', `entry ${index + 1} has unknown role "${role}" (expected ${ROLES.join(', ')})`);
    }
    if (token.length < 16) throw new ConfigError('IRIS_AUTH_TOKENS', `entry ${index + 1} token must be at least 16 characters`);
    if (seen.has(token)) throw new ConfigError('IRIS_AUTH_TOKENS', `entry ${index + 1} repeats a token`);
    seen.add(token);
    return { actor, role: role as Role, token };
  });
}

function parseKafka(read: EnvReader, service: string): KafkaConfig {
  const brokers = read
    .string('KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  brokers.forEach((broker) => {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `entry "${broker}" must be host:port`);
  });
  const useTls = read.boolean('KAFKA_SSL', false);
  const mechanism = read.optionalString('KAFKA_SASL_MECHANISM');
  let sasl: KafkaConfig['sasl'];
  if (mechanism !== undefined) {
    sasl = {
      mechanism: read.oneOf('KAFKA_SASL_MECHANISM', ['plain', 'scram-sha-256', 'scram-sha-512'] as const, 'plain'),
      username: read.string('KAFKA_SASL_USERNAME'),
      password: read.string('KAFKA_SASL_PASSWORD'),
    };
  }
  return {
    brokers,
    clientId: read.string('KAFKA_CLIENT_ID', `iris-${service}`),
    ssl: useTls ? { ca: read.fileContents('KAFKA_SSL_CA_FILE'), rejectUnauthorized: read.boolean('KAFKA_SSL_REJECT_UNAUTHORIZED', true) } : false,
    sasl,
    sessionTimeoutMs: read.integer('KAFKA_SESSION_TIMEOUT_MS', 30_000, { min: 6_000, max: 300_000 }),
  };
}

function parseDatabase(read: EnvReader): DatabaseConfig {
  const sslMode = read.oneOf('DATABASE_SSL', ['disable', 'require', 'verify-full'] as const, 'disable');
  return {
    url: read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:']),
    ssl: sslMode === 'disable' ? false : { ca: read.fileContents('DATABASE_SSL_CA_FILE'), rejectUnauthorized: sslMode === 'verify-full' },
    poolSize: read.integer('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
  };
}

/** Reads and validates the whole configuration once, at start-up. Throws ConfigError naming the variable. */
export function loadConfig(service: ServiceName, env: Env = process.env): IrisConfig {
  const read = new EnvReader(env);
  const mode = read.oneOf('IRIS_MODE', ['embedded', 'kafka'] as const, 'kafka');
  const environment = read.string('IRIS_ENVIRONMENT', 'production');
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(environment)) {
    throw new ConfigError('IRIS_ENVIRONMENT', 'must be a lowercase slug (a-z, 0-9, -)');
  }
  return {
    service,
    port: read.integer('PORT', DEFAULT_PORTS[service], { min: 0, max: 65535 }),
    host: read.string('HOST', '127.0.0.1'),
    environment,
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    mode,
    kafka: mode === 'kafka' ? parseKafka(read, service) : undefined,
    database: mode === 'kafka' ? parseDatabase(read) : undefined,
    embeddedDataDir: mode === 'embedded' ? read.optionalString('IRIS_EMBEDDED_DATA_DIR') : undefined,
    auth: { tokens: parseTokens(read.optionalString('IRIS_AUTH_TOKENS')) },
    shutdownTimeoutMs: read.integer('IRIS_SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100, max: 300_000 }),
    rolloutController: service === 'rollout-controller' ? readRolloutControllerSettings(read) : undefined,
    metricsAggregator: service === 'metrics-aggregator' ? readMetricsAggregatorSettings(read) : undefined,
    killSwitch: service === 'kill-switch' ? readKillSwitchSettings(read) : undefined,
    shadowComparator: service === 'shadow-comparator' ? readShadowComparatorSettings(read) : undefined,
  };
}

/** A copy safe to log: passwords, tokens and credentials in URLs are masked. */
export function redactConfig(config: IrisConfig): unknown {
  const maskUrl = (url: string) => {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = SECRET_MASK;
    return parsed.toString();
  };
  return {
    ...config,
    kafka: config.kafka && {
      ...config.kafka,
      ssl: config.kafka.ssl && { ...config.kafka.ssl, ca: config.kafka.ssl.ca ? SECRET_MASK : undefined },
      sasl: config.kafka.sasl && { ...config.kafka.sasl, password: SECRET_MASK },
    },
    database: config.database && { ...config.database, url: maskUrl(config.database.url), ssl: config.database.ssl && { ...config.database.ssl, ca: config.database.ssl.ca ? SECRET_MASK : undefined } },
    auth: { tokens: config.auth.tokens.map(({ actor, role }) => ({ actor, role, token: SECRET_MASK })) },
  };
}
