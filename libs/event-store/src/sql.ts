import type { DataSource } from 'typeorm';

/** Anything that runs SQL: a DataSource, or the EntityManager of a transaction. */
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** The driver error behind a TypeORM QueryFailedError (pg and PGlite errors both carry `code`, `constraint`). */
export interface PgErrorFields {
  code?: string;
  constraint?: string;
}

export function pgErrorOf(error: unknown): PgErrorFields {
  const wrapped = error as { driverError?: PgErrorFields } & PgErrorFields;
  return wrapped?.driverError ?? wrapped ?? {};
}

export const UNIQUE_VIOLATION = '23505';

interface NodePostgresPool {
  query(config: { name: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * On node-postgres, runs each distinct SQL text as a named prepared statement straight on the pool:
 * parsed and planned once per connection, and no TypeORM query-runner per call (nor its query logging).
 * Embedded PGlite (one connection, no pg.Pool) goes through `dataSource.query`.
 */
export function preparedStatements(dataSource: DataSource): SqlQueryable {
  const options = dataSource.options as { driver?: unknown };
  const pool = (dataSource.driver as unknown as { master?: NodePostgresPool }).master;
  if (options.driver !== undefined || !pool) return dataSource;
  const names = new Map<string, string>();
  return {
    async query(text, values) {
      let name = names.get(text);
      if (!name) names.set(text, (name = `iris_event_store_${names.size + 1}`));
      return (await pool.query({ name, text, values })).rows;
    },
  };
}
