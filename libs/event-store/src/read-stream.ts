import { SqlQueryable } from './sql';
import { STORED_EVENT_COLUMNS, StoredEventRow, toStoredEvent } from './stored-event-row';
import type { ReadStreamOptions, ReadStreamResult } from './types';

/** The stream's version and the requested range in one round trip (the LEFT JOIN keeps the version row). */
const READ_STREAM_SQL = `
WITH stream AS (SELECT COALESCE(MAX(stream_position), 0)::text AS current_version FROM events WHERE stream_id = $1)
SELECT stream.current_version, page.*
FROM stream LEFT JOIN LATERAL (
  SELECT ${STORED_EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND stream_position >= $2::bigint AND ($3::bigint IS NULL OR stream_position <= $3::bigint)
  ORDER BY events.stream_position
  LIMIT $4::bigint
) page ON true`;

export async function readStream(db: SqlQueryable, streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
  const rows: Array<StoredEventRow & { current_version: string }> = await db.query(READ_STREAM_SQL, [
    streamId,
    String(options.from ?? 1),
    options.to === undefined ? null : String(options.to),
    options.maxCount === undefined ? null : String(options.maxCount),
  ]);
  return {
    currentVersion: BigInt(rows[0].current_version),
    events: rows.filter((row) => row.global_position !== null).map(toStoredEvent),
  };
}
