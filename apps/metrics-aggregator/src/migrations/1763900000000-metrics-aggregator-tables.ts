import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Aggregator state per Kafka partition, stored with the offset it covers (exactly-once effect),
 * and each partition's partial of every closed window (merged across partitions by the emitter).
 */
export class MetricsAggregatorTables1763900000000 implements MigrationInterface {
  name = 'MetricsAggregatorTables1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE metrics_partition_checkpoints (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        next_offset bigint NOT NULL,
        watermark_ms bigint,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`);
    await runner.query(`
      CREATE TABLE metrics_window_partials (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        window_start_ms bigint NOT NULL,
        window_end_ms bigint NOT NULL,
        accumulators jsonb NOT NULL,
        emitted boolean NOT NULL DEFAULT false,
        PRIMARY KEY (consumer_group, topic, window_start_ms, partition)
      )`);
    await runner.query(`CREATE INDEX metrics_window_partials_pending ON metrics_window_partials (consumer_group, topic, window_start_ms) WHERE NOT emitted`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE metrics_window_partials');
    await runner.query('DROP TABLE metrics_partition_checkpoints');
  }
}
