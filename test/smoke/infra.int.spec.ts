import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';

describe('test infrastructure', () => {
  it('gives each run a fresh PostgreSQL database', async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query('select current_database() as name');
    await client.end();
    expect(rows[0].name).toMatch(/^iris_test_/);
  });

  it('provides a reachable Kafka broker', async () => {
    const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [] });
    await admin.disconnect();
    expect(Array.isArray(metadata.topics)).toBe(true);
  });
});
