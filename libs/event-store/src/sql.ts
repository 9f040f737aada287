import type { DataSource } from 'typeorm';

/** Anything that runs SQL: a DataSource, or the EntityManager of a transaction. */
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
  /** Optional fast path: rows as arrays of column values, in select-list order (node-postgres `rowMode: 'array'`). */
  queryArrays?(sql: string, parameters?: unknown[]): Promise<unknown[][]>;
}

/** Rows as arrays of column values, in select-list order, whatever the queryable (column names must be distinct). */
export async function queryArrays(db: SqlQueryable, sql: string, parameters?: unknown[]): Promise<unknown[][]> {
  if (db.queryArrays) return db.queryArrays(sql, parameters);
  const rows: Array<Record<string, unknown>> = await db.query(sql, parameters);
  return rows.map((row) => Object.values(row));
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
  query(config: { name: string; text: string; values?: unknown[]; rowMode?: 'array' }): Promise<{ rows: unknown[] }>;
}

/** Module-wide, so two stores on one pool never give one statement name to two different texts. */
const statementNames = new Map<string, string>();

function nameOf(text: string): string {
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `iris_event_store_${statementNames.size + 1}`));
  return name;
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
  return {
    async query(text, values) {
      return (await pool.query({ name: nameOf(text), text, values })).rows;
    },
    async queryArrays(text, values) {
      // A statement's name is bound to its text; the row mode is per execution.
      return (await pool.query({ name: nameOf(text), text, values, rowMode: 'array' })).rows as unknown[][];
    },
  };
}
