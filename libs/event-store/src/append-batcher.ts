import { appendOutcome, appendPrepared, PreparedAppend } from './append-to-stream';
import { SqlQueryable } from './sql';
import type { AppendResult } from './types';

/**
 * Several appends (to distinct streams) in ONE statement, so one transaction and one WAL flush.
 * Each append keeps its own expected-version check: `req` reads every stream's version, only the
 * appends whose expected version matches (or is `any`) insert, and each gets its own result row.
 * As in APPEND_SQL, `tx` takes the transaction id before nextval() hands out global positions.
 */
const APPEND_BATCH_SQL = `
WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS xid),
req AS MATERIALIZED (
  SELECT r.n AS append_no, r.a->>'s' AS stream_id, (r.a->>'v')::bigint AS expected, r.a->'e' AS events,
         (SELECT COALESCE(MAX(e.stream_position), 0) FROM events e WHERE e.stream_id = r.a->>'s') AS version
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(a, n)
),
appended AS (
  INSERT INTO events (transaction_id, stream_id, stream_position, event_id, type, data, metadata)
  SELECT tx.xid, req.stream_id, req.version + batch.n, (batch.e->>'id')::uuid, batch.e->>'type',
         batch.e->'data', batch.e->'metadata'
  FROM tx, req, jsonb_array_elements(req.events) WITH ORDINALITY AS batch(e, n)
  WHERE req.expected IS NULL OR req.version = req.expected
  ORDER BY req.append_no, batch.n
  RETURNING stream_id, global_position
)
SELECT req.version::text AS current_version, inserted.positions
FROM req LEFT JOIN (
  SELECT stream_id, string_agg(global_position::text, ',' ORDER BY global_position) AS positions
  FROM appended GROUP BY stream_id
) inserted ON inserted.stream_id = req.stream_id
ORDER BY req.append_no`;

interface Pending {
  append: PreparedAppend;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface AppendBatcherOptions {
  /** Most appends in one statement (default 200). */
  maxAppends?: number;
  /** Most events in one statement (default 5,000; a bigger single append still runs, alone). */
  maxEvents?: number;
}

/**
 * Client-side group commit. An append waits only while the previous batch is in flight; then
 * everything pending (one append per stream, in arrival order) goes out as one statement. No timer:
 * a lone append runs at once, so low concurrency pays nothing, and under load many appends share
 * one commit. Two appends to the same stream never share a batch (the second waits for the next).
 * When the batch statement fails (e.g. a unique violation from a concurrent writer or a duplicate
 * event id), its appends are run one by one, so each gets its own outcome and innocent ones land.
 */
export class AppendBatcher {
  private pending: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly maxAppends: number;
  private readonly maxEvents: number;

  constructor(
    private readonly db: SqlQueryable,
    options: AppendBatcherOptions = {},
  ) {
    this.maxAppends = options.maxAppends ?? 200;
    this.maxEvents = options.maxEvents ?? 5_000;
  }

  append(append: PreparedAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ append, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes on the next turn of the event loop, so appends issued in the same turn share it. */
  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    try {
      const batch = this.takeBatch();
      if (batch.length === 1) await settle(batch[0], appendPrepared(this.db, batch[0].append));
      else await this.runBatch(batch);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  /** The oldest pending append of each stream, in arrival order, up to the size limits. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (const item of this.pending) {
      const { streamId, ids } = item.append;
      const fits = batch.length === 0 || (batch.length < this.maxAppends && events + ids.length <= this.maxEvents);
      if (fits && !streams.has(streamId)) {
        batch.push(item);
        streams.add(streamId);
        events += ids.length;
      } else {
        rest.push(item);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const json =
      '[' +
      batch
        .map(({ append: { streamId, expected, eventsJson } }) =>
          `{"s":${JSON.stringify(streamId)},"v":${expected === null ? 'null' : `"${expected}"`},"e":${eventsJson}}`,
        )
        .join(',') +
      ']';
    let rows: Array<{ current_version: string; positions: string | null }>;
    try {
      rows = await this.db.query(APPEND_BATCH_SQL, [json]);
    } catch {
      // The batch rolled back (or, if the connection broke, maybe committed: the event ids make a
      // re-run a replay): each append on its own, with its own retries, replays and errors.
      await Promise.all(batch.map((item) => settle(item, appendPrepared(this.db, item.append))));
      return;
    }
    // Conflicts may need a look-up (idempotent retry?): settle them without holding up the next batch.
    batch.forEach((item, i) => void settle(item, appendOutcome(this.db, item.append, rows[i].current_version, rows[i].positions)));
  }
}

async function settle(item: Pending, outcome: Promise<AppendResult>): Promise<void> {
  try {
    item.resolve(await outcome);
  } catch (error) {
    item.reject(error);
  }
}
