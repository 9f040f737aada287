import { ConfigError, loadConfig, redactConfig } from './index';

const kafkaEnv = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('loadConfig', () => {
  it('reads a valid kafka-mode configuration into a typed object with defaults', () => {
    const config = loadConfig('registry', kafkaEnv);
    expect(config).toMatchObject({ service: 'registry', port: 3001, mode: 'kafka', environment: 'production', logLevel: 'info' });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], clientId: 'iris-registry', ssl: false });
    expect(config.database?.url).toBe('postgres://postgres@127.0.0.1:5432/postgres');
  });

  it('needs no Kafka or database in embedded mode', () => {
    const config = loadConfig('kill-switch', { IRIS_MODE: 'embedded' });
    expect(config.kafka).toBeUndefined();
    expect(config.database).toBeUndefined();
  });

  it.each([
    [{}, 'KAFKA_BROKERS'],
    [{ ...kafkaEnv, PORT: 'eighty' }, 'PORT'],
    [{ ...kafkaEnv, PORT: '70000' }, 'PORT'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ ...kafkaEnv, DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    [{ ...kafkaEnv, KAFKA_SSL: 'maybe' }, 'KAFKA_SSL'],
    [{ ...kafkaEnv, KAFKA_SASL_MECHANISM: 'plain' }, 'KAFKA_SASL_USERNAME'],
    [{ ...kafkaEnv, IRIS_MODE: 'cloud' }, 'IRIS_MODE'],
    [{ ...kafkaEnv, IRIS_AUTH_TOKENS: 'alice:root:0123456789abcdef' }, 'IRIS_AUTH_TOKENS'],
    [{ ...kafkaEnv, IRIS_AUTH_TOKENS: 'alice:admin:short' }, 'IRIS_AUTH_TOKENS'],
    [{ ...kafkaEnv, DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'DATABASE_SSL_CA_FILE'],
    [{ ...kafkaEnv, IRIS_ENVIRONMENT: 'Prod Env' }, 'IRIS_ENVIRONMENT'],
  ])('stops start-up naming the variable for %j', (env, variable) => {
    expect(() => loadConfig('registry', env)).toThrow(ConfigError);
    expect(() => loadConfig('registry', env)).toThrow(new RegExp(variable));
  });

  it("reads each service's own settings into the typed config (so /v1/config shows them), with the same names and defaults", () => {
    expect(loadConfig('rollout-controller', kafkaEnv).rolloutController).toEqual({
      consumerGroup: 'iris-rollout-controller',
      tickIntervalMs: 5_000,
      requireRegisteredVersions: true,
      promoteFrom: undefined,
      routingPropagationAllowanceMs: 500,
      shadowReportGate: true,
    });
    expect(loadConfig('rollout-controller', { ...kafkaEnv, ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS: '0' }).rolloutController?.routingPropagationAllowanceMs).toBe(0);
    expect(loadConfig('metrics-aggregator', kafkaEnv).metricsAggregator).toEqual({
      consumerGroup: 'iris-metrics-aggregator',
      windowMs: 10_000,
      allowedLatenessMs: 5_000,
      idleAfterMs: 5_000,
      emitIntervalMs: 100,
      maxBatchSize: 500,
      checkpointIntervalMs: 1_000,
      rollingViewsMs: [60_000, 300_000, 900_000],
      maxClockSkewMs: 300_000,
    });
    const tuned = loadConfig('metrics-aggregator', { ...kafkaEnv, METRICS_WINDOW_MS: '1000', METRICS_ALLOWED_LATENESS_MS: '0', METRICS_ROLLING_VIEWS: 'none' }).metricsAggregator;
    expect(tuned).toMatchObject({ windowMs: 1_000, allowedLatenessMs: 0, idleAfterMs: 2_000, rollingViewsMs: [] });
    expect(loadConfig('metrics-aggregator', { ...kafkaEnv, IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS: '0' }).metricsAggregator?.maxClockSkewMs).toBe(0);
    expect(loadConfig('metrics-aggregator', { ...kafkaEnv, IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS: '60000' }).metricsAggregator?.maxClockSkewMs).toBe(60_000);
    expect(loadConfig('rollout-controller', { ...kafkaEnv, ROLLOUT_PROMOTE_FROM: 'staging', ROLLOUT_REQUIRE_REGISTERED: 'false' }).rolloutController).toMatchObject({ promoteFrom: 'staging', requireRegisteredVersions: false });
    expect(loadConfig('kill-switch', kafkaEnv).killSwitch).toEqual({ requireRegisteredVersions: true, expiryCheckMs: 1_000, topicCheckTimeoutMs: 15_000 });
    // Other services neither read nor validate them.
    expect(loadConfig('registry', { ...kafkaEnv, ROLLOUT_TICK_INTERVAL_MS: 'x', METRICS_WINDOW_MS: 'x' })).toMatchObject({ rolloutController: undefined, metricsAggregator: undefined });
  });

  it('reads the shadow comparator settings with defaults, and only for it', () => {
    expect(loadConfig('shadow-comparator', kafkaEnv).shadowComparator).toMatchObject({
      consumerGroup: 'iris-shadow-comparator',
      windowMs: 60_000,
      pairTimeoutMs: 60_000,
      retentionMs: 7 * 24 * 3_600_000,
      gate: { minPairs: 30, alpha: 0.01, toleratedExcess: 0.02, maxCostIncreasePct: 20, maxShadowFailureRate: 0.05, failOnNewTools: true },
    });
    expect(loadConfig('shadow-comparator', { ...kafkaEnv, SHADOW_GATE_MAX_COST_INCREASE_PCT: '12.5' }).shadowComparator?.gate.maxCostIncreasePct).toBe(12.5);
    expect(loadConfig('registry', { ...kafkaEnv, SHADOW_GATE_ALPHA: 'x' }).shadowComparator).toBeUndefined();
  });

  it.each([
    ['rollout-controller', { ROLLOUT_TICK_INTERVAL_MS: '10' }, 'ROLLOUT_TICK_INTERVAL_MS'],
    ['rollout-controller', { ROLLOUT_REQUIRE_REGISTERED: 'maybe' }, 'ROLLOUT_REQUIRE_REGISTERED'],
    ['rollout-controller', { ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS: '-1' }, 'ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS'],
    ['rollout-controller', { ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS: '1s' }, 'ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS'],
    ['metrics-aggregator', { METRICS_WINDOW_MS: 'ten' }, 'METRICS_WINDOW_MS'],
    ['metrics-aggregator', { METRICS_MAX_BATCH: '0' }, 'METRICS_MAX_BATCH'],
    ['metrics-aggregator', { METRICS_ROLLING_VIEWS: '7s' }, 'METRICS_ROLLING_VIEWS'],
    ['metrics-aggregator', { METRICS_ROLLING_VIEWS: 'soon' }, 'METRICS_ROLLING_VIEWS'],
    ['metrics-aggregator', { IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS: '5m' }, 'IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS'],
    ['metrics-aggregator', { IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS: '-1' }, 'IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS'],
    ['kill-switch', { KILL_SWITCH_EXPIRY_CHECK_MS: '0' }, 'KILL_SWITCH_EXPIRY_CHECK_MS'],
    ['kill-switch', { KILL_SWITCH_REQUIRE_REGISTERED: 'perhaps' }, 'KILL_SWITCH_REQUIRE_REGISTERED'],
    ['shadow-comparator', { SHADOW_PAIR_TIMEOUT_MS: '1m' }, 'SHADOW_PAIR_TIMEOUT_MS'],
    ['shadow-comparator', { SHADOW_GATE_ALPHA: 'often' }, 'SHADOW_GATE_ALPHA'],
    ['shadow-comparator', { SHADOW_GATE_MAX_FAILURE_RATE: '1.5' }, 'SHADOW_GATE_MAX_FAILURE_RATE'],
    ['shadow-comparator', { SHADOW_RETENTION_MS: '10' }, 'SHADOW_RETENTION_MS'],
  ] as const)('stops the %s naming %j', (service, env, variable) => {
    expect(() => loadConfig(service, { ...kafkaEnv, ...env })).toThrow(ConfigError);
    expect(() => loadConfig(service, { ...kafkaEnv, ...env })).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('configures Kafka TLS/SASL and database TLS', () => {
    const config = loadConfig('registry', {
      ...kafkaEnv,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'iris',
      KAFKA_SASL_PASSWORD: 'hunter2',
      DATABASE_SSL: 'require',
    });
    expect(config.kafka?.ssl).toEqual({ ca: undefined, rejectUnauthorized: true });
    expect(config.kafka?.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'iris', password: 'hunter2' });
    expect(config.database?.ssl).toEqual({ ca: undefined, rejectUnauthorized: false });
  });

  it('never exposes secrets in its redacted form', () => {
    const config = loadConfig('registry', {
      ...kafkaEnv,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'iris',
      KAFKA_SASL_PASSWORD: 'kafka-secret-pw',
      DATABASE_URL: 'postgres://iris:db-secret-pw@db:5432/iris',
      IRIS_AUTH_TOKENS: 'alice:admin:alice-token-0123456789',
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toMatch(/kafka-secret-pw|db-secret-pw|alice-token-0123456789/);
    expect(text).toContain('alice');
  });
});
