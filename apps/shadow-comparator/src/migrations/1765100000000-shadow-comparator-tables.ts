import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shadow comparator's state: per Kafka partition, the pairing state stored with the offset it covers
 * (exactly-once effect); per partition and window, the tallies the reports are merged from; the comparisons
 * themselves (both sides, for the divergent-requests view, deleted after the retention); and the windows reported.
 */
export class ShadowComparatorTables1765100000000 implements MigrationInterface {
  name = 'ShadowComparatorTables1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE shadow_partition_checkpoints (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        next_offset bigint NOT NULL,
        clock_ms bigint,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`);
    await runner.query(`
      CREATE TABLE shadow_window_tallies (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        environment text NOT NULL,
        agent text NOT NULL,
        baseline_version_id text NOT NULL,
        candidate_version_id text NOT NULL,
        noise boolean NOT NULL,
        window_start_ms bigint NOT NULL,
        tally jsonb NOT NULL,
        PRIMARY KEY (consumer_group, topic, environment, agent, baseline_version_id, candidate_version_id, noise, window_start_ms, partition)
      )`);
    await runner.query(`CREATE INDEX shadow_window_tallies_window ON shadow_window_tallies (consumer_group, topic, window_start_ms)`);
    await runner.query(`
      CREATE TABLE shadow_comparisons (
        consumer_group text NOT NULL,
        environment text NOT NULL,
        agent text NOT NULL,
        baseline_version_id text NOT NULL,
        candidate_version_id text NOT NULL,
        noise boolean NOT NULL,
        session_id text NOT NULL,
        request_id text NOT NULL,
        window_start_ms bigint NOT NULL,
        at_ms bigint NOT NULL,
        divergence double precision NOT NULL,
        differences text[] NOT NULL,
        comparison jsonb NOT NULL,
        primary_run jsonb,
        shadow_run jsonb,
        PRIMARY KEY (consumer_group, environment, agent, candidate_version_id, noise, session_id, request_id)
      )`);
    await runner.query(
      `CREATE INDEX shadow_comparisons_divergent ON shadow_comparisons (consumer_group, environment, agent, candidate_version_id, noise, divergence DESC, at_ms DESC)`,
    );
    await runner.query(`CREATE INDEX shadow_comparisons_age ON shadow_comparisons (at_ms)`);
    await runner.query(`
      CREATE TABLE shadow_reports (
        consumer_group text NOT NULL,
        environment text NOT NULL,
        agent text NOT NULL,
        baseline_version_id text NOT NULL,
        candidate_version_id text NOT NULL,
        window_start_ms bigint NOT NULL,
        event_id uuid NOT NULL,
        report jsonb NOT NULL,
        reported_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, environment, agent, baseline_version_id, candidate_version_id, window_start_ms)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE shadow_reports');
    await runner.query('DROP TABLE shadow_comparisons');
    await runner.query('DROP TABLE shadow_window_tallies');
    await runner.query('DROP TABLE shadow_partition_checkpoints');
  }
}
