import type { DataSource, EntityManager } from 'typeorm';
import type { AggregatorState, ClosedWindow, KeyedAccumulatorsJSON } from './aggregation';

export interface PartitionCheckpoint {
  nextOffset: bigint;
  watermarkMs: number | null;
  state: AggregatorState;
  updatedAt: Date;
}

export interface PendingPartial {
  partition: number;
  windowStartMs: number;
  windowEndMs: number;
  accumulators: KeyedAccumulatorsJSON;
  /** Row version (PostgreSQL xmin): markEmitted only marks the version that was read. */
  version: string;
}

type PartialRow = { partition: number; window_start_ms: string; window_end_ms: string; accumulators: KeyedAccumulatorsJSON; version: string };

const toPartial = (r: PartialRow): PendingPartial => ({
  partition: r.partition,
  windowStartMs: Number(r.window_start_ms),
  windowEndMs: Number(r.window_end_ms),
  accumulators: r.accumulators,
  version: r.version,
});

/** The state of another instance moved the checkpoint: this instance no longer owns the partition. */
export class PartitionOwnershipLostError extends Error {
  readonly code = 'PARTITION_OWNERSHIP_LOST';
}

/** PostgreSQL persistence of per-partition aggregator state and closed-window partials. */
export class PartitionStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consumerGroup: string,
    private readonly topic: string,
  ) {}

  async load(partition: number): Promise<PartitionCheckpoint | undefined> {
    const rows: Array<{ next_offset: string; watermark_ms: string | null; state: AggregatorState; updated_at: Date }> = await this.dataSource.query(
      `SELECT next_offset::text, watermark_ms::text, state, updated_at FROM metrics_partition_checkpoints
       WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
      [this.consumerGroup, this.topic, partition],
    );
    if (rows.length === 0) return undefined;
    const [row] = rows;
    return { nextOffset: BigInt(row.next_offset), watermarkMs: row.watermark_ms === null ? null : Number(row.watermark_ms), state: row.state, updatedAt: new Date(row.updated_at) };
  }

  /**
   * Saves the state covering offsets < nextOffset and the windows it closed, in one transaction.
   * Optimistic: the stored offset must still be `previousOffset` (undefined = no row yet).
   */
  async save(partition: number, previousOffset: bigint | undefined, nextOffset: bigint, state: AggregatorState, closed: ClosedWindow[]): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.saveCheckpoint(tx, partition, previousOffset, nextOffset, state);
      for (const window of closed) {
        await tx.query(
          `INSERT INTO metrics_window_partials (consumer_group, topic, partition, window_start_ms, window_end_ms, accumulators)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (consumer_group, topic, window_start_ms, partition) DO UPDATE SET accumulators = EXCLUDED.accumulators, emitted = false`,
          [this.consumerGroup, this.topic, partition, window.startMs, window.endMs, JSON.stringify(window.accumulators)],
        );
      }
    });
  }

  private async saveCheckpoint(tx: EntityManager, partition: number, previousOffset: bigint | undefined, nextOffset: bigint, state: AggregatorState): Promise<void> {
    const params = [this.consumerGroup, this.topic, partition, nextOffset.toString(), state.watermarkMs, JSON.stringify(state)];
    if (previousOffset === undefined) {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO metrics_partition_checkpoints (consumer_group, topic, partition, next_offset, watermark_ms, state)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING partition`,
        params,
      );
      if (inserted.length === 0) throw new PartitionOwnershipLostError(`partition ${partition} was checkpointed by another instance`);
      return;
    }
    const updated: unknown[] = await tx.query(
      `UPDATE metrics_partition_checkpoints SET next_offset = $4, watermark_ms = $5, state = $6, updated_at = now()
       WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND next_offset = $7 RETURNING partition`,
      [...params, previousOffset.toString()],
    );
    // node-postgres via TypeORM returns [rows, count] for UPDATE … RETURNING.
    const rows = Array.isArray(updated[0]) ? (updated[0] as unknown[]) : updated;
    if (rows.length === 0) throw new PartitionOwnershipLostError(`partition ${partition} moved on in another instance`);
  }

  /** Watermarks of every checkpointed partition, with when they were last written. */
  async watermarks(): Promise<Array<{ partition: number; watermarkMs: number | null; updatedAt: Date }>> {
    const rows: Array<{ partition: number; watermark_ms: string | null; updated_at: Date }> = await this.dataSource.query(
      `SELECT partition, watermark_ms::text, updated_at FROM metrics_partition_checkpoints WHERE consumer_group = $1 AND topic = $2`,
      [this.consumerGroup, this.topic],
    );
    return rows.map((r) => ({ partition: r.partition, watermarkMs: r.watermark_ms === null ? null : Number(r.watermark_ms), updatedAt: new Date(r.updated_at) }));
  }

  /** Partials of windows not yet emitted, ending at or before `endMsAtMost`. */
  async pendingPartials(endMsAtMost: number): Promise<PendingPartial[]> {
    const rows: PartialRow[] = await this.dataSource.query(
      `SELECT partition, window_start_ms::text, window_end_ms::text, accumulators, xmin::text AS version FROM metrics_window_partials
       WHERE consumer_group = $1 AND topic = $2 AND NOT emitted AND window_end_ms <= $3 ORDER BY window_start_ms, partition`,
      [this.consumerGroup, this.topic, endMsAtMost],
    );
    return rows.map(toPartial);
  }

  /**
   * Marks these partials emitted — each only in the version that was read: one rewritten meanwhile (a late
   * partial's checkpoint) stays pending, so its window is emitted again with it.
   */
  async markEmitted(partials: readonly PendingPartial[]): Promise<void> {
    if (partials.length === 0) return;
    await this.dataSource.query(
      `UPDATE metrics_window_partials AS p SET emitted = true
       FROM unnest($3::int[], $4::bigint[], $5::text[]) AS done(partition, window_start_ms, version)
       WHERE p.consumer_group = $1 AND p.topic = $2 AND p.partition = done.partition AND p.window_start_ms = done.window_start_ms
         AND p.xmin::text = done.version`,
      [this.consumerGroup, this.topic, partials.map((p) => p.partition), partials.map((p) => String(p.windowStartMs)), partials.map((p) => p.version)],
    );
  }

  /** Partials (emitted or not) of windows overlapping [fromMs, toMs), for rolling views. */
  async partialsBetween(fromMs: number, toMs: number): Promise<PendingPartial[]> {
    const rows: PartialRow[] = await this.dataSource.query(
      `SELECT partition, window_start_ms::text, window_end_ms::text, accumulators, xmin::text AS version FROM metrics_window_partials
       WHERE consumer_group = $1 AND topic = $2 AND window_start_ms >= $3 AND window_start_ms < $4`,
      [this.consumerGroup, this.topic, fromMs, toMs],
    );
    return rows.map(toPartial);
  }

  /** Drops emitted partials older than `beforeMs` (rolling views need the last 15 minutes). */
  async prune(beforeMs: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM metrics_window_partials WHERE consumer_group = $1 AND topic = $2 AND emitted AND window_end_ms < $3`, [
      this.consumerGroup,
      this.topic,
      beforeMs,
    ]);
  }
}
