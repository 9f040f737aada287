import { queryArrays, SqlQueryable } from './sql';
import { STORED_EVENT_COLUMNS, StoredEventTuple, tupleToStoredEvent } from './stored-event-row';
import type { ReadAllOptions, ReadAllResult, StoredEvent } from './types';

/**
 * Global order without gaps (Emmett's approach): a bigserial value can become visible after a higher
 * one, so only rows whose transaction is older than every transaction still running are returned.
 * An open transaction therefore holds readers back until it ends, and nothing behind it is skipped.
 */
const READ_ALL_SQL = `
SELECT ${STORED_EVENT_COLUMNS} FROM events
WHERE global_position > $1::bigint
  AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
ORDER BY events.global_position
LIMIT $2::bigint`;

export const DEFAULT_READ_ALL_MAX_COUNT = 1000;

export async function readAll(db: SqlQueryable, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  const fromPosition = BigInt(options.fromPosition ?? 0);
  // Rows as arrays (no per-row object from the driver), converted in one plain loop.
  const rows = (await queryArrays(db, READ_ALL_SQL, [
    fromPosition.toString(),
    String(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT),
  ])) as StoredEventTuple[];
  const events = new Array<StoredEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) events[i] = tupleToStoredEvent(rows[i]);
  return { events, nextPosition: events.length ? events[events.length - 1].globalPosition : fromPosition };
}
