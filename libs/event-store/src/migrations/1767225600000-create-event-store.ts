import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log and the subscription checkpoints.
 * The database itself refuses UPDATE, DELETE and TRUNCATE on `events`.
 */
export class CreateEventStore1767225600000 implements MigrationInterface {
  name = 'CreateEventStore1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        stream_id       text        NOT NULL,
        stream_position bigint      NOT NULL CHECK (stream_position > 0),
        event_id        uuid        NOT NULL,
        type            text        NOT NULL,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_stream_position_unique UNIQUE (stream_id, stream_position),
        CONSTRAINT events_event_id_unique UNIQUE (event_id)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'restrict_violation', HINT = 'Append a compensating event instead.';
      END
      $$`);
    // Statement-level, so even an UPDATE/DELETE matching no row is refused.
    await queryRunner.query(`
      CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    await queryRunner.query(`
      CREATE TABLE subscription_checkpoints (
        subscription_id text        PRIMARY KEY,
        position        bigint      NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE subscription_checkpoints`);
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP FUNCTION events_refuse_change()`);
  }
}
