import { createFreshDatabase, DEFAULT_DATABASE_URL, startKafkaBroker } from '../../libs/testing/src';

/**
 * Starts what integration tests need, once per run:
 * - a real Kafka broker (unless KAFKA_BROKERS points at one),
 * - a fresh PostgreSQL database (DATABASE_URL is the admin connection; default local postgres).
 * Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  const state = globalThis as unknown as { __IRIS_TEARDOWN__?: Array<() => Promise<void>> };
  state.__IRIS_TEARDOWN__ = [];

  if (process.env.KAFKA_BROKERS) {
    // Tests that would start a broker of their own (to stop it: outage tests) use this one or are skipped.
    process.env.IRIS_TEST_KAFKA_FROM_ENV = 'true';
  } else {
    const broker = await startKafkaBroker();
    process.env.KAFKA_BROKERS = broker.brokers;
    state.__IRIS_TEARDOWN__.push(() => broker.stop());
  }

  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  process.env.IRIS_ADMIN_DATABASE_URL = adminUrl;
  const testUrl = await createFreshDatabase(adminUrl);
  process.env.DATABASE_URL = testUrl;
  const { dropDatabase } = await import('../../libs/testing/src');
  state.__IRIS_TEARDOWN__.push(() => dropDatabase(testUrl, adminUrl));
}
