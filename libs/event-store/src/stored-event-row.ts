import type { EventMetadata, StoredEvent } from './types';

/**
 * Columns to select for a StoredEvent: bigints as text so pg and PGlite parse them alike; the time as
 * epoch milliseconds, which is several times cheaper to turn into a Date than timestamptz text.
 * Aliases shadow the columns in ORDER BY: order by `events.<column>`.
 */
export const STORED_EVENT_COLUMNS = `global_position::text AS global_position, stream_id,
  stream_position::text AS stream_position, event_id::text AS event_id, type, data, metadata,
  (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_at_ms`;

export interface StoredEventRow {
  global_position: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at_ms: number;
}

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return {
    globalPosition: BigInt(row.global_position),
    streamId: row.stream_id,
    streamPosition: BigInt(row.stream_position),
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at_ms),
  };
}

/** Rows of STORED_EVENT_COLUMNS fetched as arrays (select-list order): no row object per event. */
export type StoredEventTuple = [
  globalPosition: string,
  streamId: string,
  streamPosition: string,
  eventId: string,
  type: string,
  data: unknown,
  metadata: EventMetadata,
  recordedAtMs: number,
];

export function tupleToStoredEvent(row: StoredEventTuple): StoredEvent {
  return {
    globalPosition: BigInt(row[0]),
    streamId: row[1],
    streamPosition: BigInt(row[2]),
    eventId: row[3],
    type: row[4],
    data: row[5],
    metadata: row[6],
    recordedAt: new Date(row[7]),
  };
}
