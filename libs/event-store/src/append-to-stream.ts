import { randomUUID } from 'node:crypto';
import { ConcurrencyError, DuplicateEventIdError, InvalidArgumentError } from './errors';
import { pgErrorOf, SqlQueryable, UNIQUE_VIOLATION } from './sql';
import type { AppendResult, ExpectedVersion, NewEvent } from './types';

/**
 * One statement, one round trip, one transaction: checks the expected version and inserts all events.
 * - The unique (stream_id, stream_position) key makes racing appends fail with 23505.
 * - `tx` takes the transaction id BEFORE nextval() hands out global positions, so a reader's
 *   "transaction_id < snapshot xmin" filter always covers the positions this append uses.
 */
const APPEND_SQL = `
WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS xid),
stream AS MATERIALIZED (
  SELECT COALESCE(MAX(stream_position), 0) AS version FROM events WHERE stream_id = $1
),
appended AS (
  INSERT INTO events (transaction_id, stream_id, stream_position, event_id, type, data, metadata)
  SELECT tx.xid, $1, stream.version + batch.n, (batch.e->>'id')::uuid, batch.e->>'type',
         batch.e->'data', batch.e->'metadata'
  FROM tx, stream, jsonb_array_elements($2::jsonb) WITH ORDINALITY AS batch(e, n)
  WHERE $3::bigint IS NULL OR stream.version = $3::bigint
  ORDER BY batch.n
  RETURNING global_position
)
SELECT (SELECT version FROM stream)::text AS current_version,
       (SELECT string_agg(global_position::text, ',' ORDER BY global_position) FROM appended) AS positions`;

const FIND_EVENTS_SQL = `
SELECT stream_id, stream_position::text AS stream_position, global_position::text AS global_position
FROM events WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)
ORDER BY events.global_position`;

/** With `any`, losing a race on the next stream position is retried this many times. */
const MAX_ATTEMPTS_FOR_ANY = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An append validated and serialised, ready to run alone or in a batch. */
export interface PreparedAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  /** null = `any` (no check). */
  expected: bigint | null;
  ids: string[];
  /** JSON array of {id, type, data, metadata}. */
  eventsJson: string;
}

export function prepareAppend(streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion): PreparedAppend {
  const expected = toExpectedNumber(expectedVersion);
  const withIds = withEventIds(events);
  const eventsJson = JSON.stringify(
    withIds.map((e) => ({ id: e.id, type: e.type, data: e.data ?? null, metadata: e.metadata ?? {} })),
  );
  return { streamId, expectedVersion, expected, ids: withIds.map((e) => e.id), eventsJson };
}

export async function appendToStream(
  db: SqlQueryable,
  streamId: string,
  events: NewEvent[],
  expectedVersion: ExpectedVersion,
): Promise<AppendResult> {
  return appendPrepared(db, prepareAppend(streamId, events, expectedVersion));
}

/** One append in its own statement (and transaction). */
export async function appendPrepared(db: SqlQueryable, append: PreparedAppend): Promise<AppendResult> {
  const { streamId, expectedVersion, expected, ids, eventsJson } = append;
  for (let attempt = 1; ; attempt++) {
    let row: { current_version: string; positions: string | null };
    try {
      [row] = await db.query(APPEND_SQL, [streamId, eventsJson, expected === null ? null : expected.toString()]);
    } catch (error) {
      if (pgErrorOf(error).code !== UNIQUE_VIOLATION) throw error;
      const replay = await findPreviousAppend(db, streamId, ids);
      if (replay) return replay;
      if (pgErrorOf(error).constraint === 'events_event_id_unique') throw new DuplicateEventIdError(streamId, ids);
      if (expected === null && attempt < MAX_ATTEMPTS_FOR_ANY) continue;
      throw new ConcurrencyError(streamId, expectedVersion);
    }
    return appendOutcome(db, append, row.current_version, row.positions);
  }
}

/**
 * The result of one append from the stream version it saw and the positions it inserted
 * (none when the expected version did not match: a retry of an earlier append, or a conflict).
 */
export async function appendOutcome(
  db: SqlQueryable,
  append: PreparedAppend,
  currentVersionText: string,
  positionsText: string | null,
): Promise<AppendResult> {
  const { streamId, expectedVersion, expected, ids } = append;
  const currentVersion = BigInt(currentVersionText);
  if (expected !== null && currentVersion !== expected) {
    const replay = await findPreviousAppend(db, streamId, ids);
    if (replay) return replay;
    throw new ConcurrencyError(streamId, expectedVersion, currentVersion);
  }
  const positions = positionsText ? positionsText.split(',').map(BigInt) : [];
  return {
    nextExpectedVersion: currentVersion + BigInt(positions.length),
    lastGlobalPosition: positions.length ? positions[positions.length - 1] : 0n,
    positions,
  };
}

/**
 * Idempotency for retried commands: when every event id is already in this stream, the append
 * already happened, so its original result is returned. Some ids elsewhere is a different append.
 */
async function findPreviousAppend(db: SqlQueryable, streamId: string, ids: string[]): Promise<AppendResult | undefined> {
  if (ids.length === 0) return undefined;
  const rows: Array<{ stream_id: string; stream_position: string; global_position: string }> = await db.query(
    FIND_EVENTS_SQL,
    [JSON.stringify(ids)],
  );
  if (rows.length === 0) return undefined;
  if (rows.length !== ids.length || rows.some((r) => r.stream_id !== streamId)) {
    throw new DuplicateEventIdError(streamId, ids);
  }
  const positions = rows.map((r) => BigInt(r.global_position));
  return {
    nextExpectedVersion: BigInt(rows[rows.length - 1].stream_position),
    lastGlobalPosition: positions[positions.length - 1],
    positions,
  };
}

function withEventIds(events: NewEvent[]): Array<NewEvent & { id: string }> {
  const withIds = events.map((e) => ({ ...e, id: e.id ?? randomUUID() }));
  const seen = new Set<string>();
  for (const { id } of withIds) {
    if (!UUID.test(id)) throw new InvalidArgumentError(`Event id "${id}" is not a UUID`);
    if (seen.has(id.toLowerCase())) throw new InvalidArgumentError(`Event id "${id}" appears twice in one append`);
    seen.add(id.toLowerCase());
  }
  return withIds;
}

/** `any` → null (no check); `no_stream` → 0. */
function toExpectedNumber(expected: ExpectedVersion): bigint | null {
  if (expected === 'any') return null;
  if (expected === 'no_stream') return 0n;
  if (typeof expected === 'number' && !Number.isSafeInteger(expected)) {
    throw new InvalidArgumentError(`expectedVersion must be an integer, got ${expected}`);
  }
  const version = BigInt(expected);
  if (version < 0n) throw new InvalidArgumentError(`expectedVersion must be >= 0, got ${expected}`);
  return version;
}
