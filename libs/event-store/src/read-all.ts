import { SqlQueryable } from './sql';
import { STORED_EVENT_COLUMNS, StoredEventRow, toStoredEvent } from './stored-event-row';
import type { ReadAllOptions, ReadAllResult } from './types';

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
  const rows: StoredEventRow[] = await db.query(READ_ALL_SQL, [
    fromPosition.toString(),
    String(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT),
  ]);
  const events = rows.map(toStoredEvent);
  return { events, nextPosition: events.length ? events[events.length - 1].globalPosition : fromPosition };
}
