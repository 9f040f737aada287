import type { SqlQueryable } from './sql';

/** `LIKE` treats `%`, `_` and the escape character as special; a prefix is matched literally. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const LIST_STREAMS_SQL = `SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1 ESCAPE '\\' ORDER BY stream_id`;

/** Ids of the streams that have events and whose id starts with `prefix` (literally), in id order. */
export async function listStreams(db: SqlQueryable, prefix: string): Promise<string[]> {
  const rows: Array<{ stream_id: string }> = await db.query(LIST_STREAMS_SQL, [`${escapeLike(prefix)}%`]);
  return rows.map((row) => row.stream_id);
}
