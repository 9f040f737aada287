import { SqlQueryable } from './sql';

/** Last global position a subscription has fully handled; undefined when it never stored one. */
export async function loadCheckpoint(db: SqlQueryable, subscriptionId: string): Promise<bigint | undefined> {
  const rows: Array<{ position: string }> = await db.query(
    `SELECT position::text AS position FROM subscription_checkpoints WHERE subscription_id = $1`,
    [subscriptionId],
  );
  return rows.length ? BigInt(rows[0].position) : undefined;
}

/** Upsert. Pass a transaction's EntityManager to store it atomically with a read model. */
export async function storeCheckpoint(db: SqlQueryable, subscriptionId: string, position: bigint): Promise<void> {
  await db.query(
    `INSERT INTO subscription_checkpoints (subscription_id, position, updated_at) VALUES ($1, $2::bigint, now())
     ON CONFLICT (subscription_id) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,
    [subscriptionId, position.toString()],
  );
}
