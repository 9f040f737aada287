import type { DataSource, EntityManager } from 'typeorm';
import { emptyTally, mergeTallies, type PairingStateJSON, type ShadowReport, type ShadowTally, type TallyKey } from './domain';

export interface ShadowCheckpoint {
  nextOffset: bigint;
  state: PairingStateJSON;
}

/** One compared pair (or one shadow failure) as stored for the divergent-requests view. */
export interface StoredComparison {
  environment: string;
  agent: string;
  baselineVersionId: string;
  candidateVersionId: string;
  noise: boolean;
  sessionId: string;
  requestId: string;
  windowStartMs: number;
  atMs: number;
  divergence: number;
  differences: string[];
  comparison: unknown;
  primaryRun: unknown | null;
  shadowRun: unknown | null;
}

export interface TallyRow extends TallyKey {
  tally: ShadowTally;
}

/** The state of another instance moved the checkpoint: this instance no longer owns the partition. */
export class PartitionOwnershipLostError extends Error {
  readonly code = 'PARTITION_OWNERSHIP_LOST';
}

const tallyKeyParams = (k: TallyKey) => [k.environment, k.agent, k.baselineVersionId, k.candidateVersionId, k.noise, String(k.windowStartMs)];

type TallyDbRow = {
  environment: string;
  agent: string;
  baseline_version_id: string;
  candidate_version_id: string;
  noise: boolean;
  window_start_ms: string;
  tally: ShadowTally;
};
const toTallyRow = (r: TallyDbRow): TallyRow => ({
  environment: r.environment,
  agent: r.agent,
  baselineVersionId: r.baseline_version_id,
  candidateVersionId: r.candidate_version_id,
  noise: r.noise,
  windowStartMs: Number(r.window_start_ms),
  tally: r.tally,
});

/** PostgreSQL persistence of the comparator: checkpoints, window tallies, comparisons and reports. */
export class ComparisonStore {
  constructor(
    private readonly dataSource: DataSource,
    readonly consumerGroup: string,
    private readonly topic: string,
  ) {}

  async load(partition: number): Promise<ShadowCheckpoint | undefined> {
    const rows: Array<{ next_offset: string; state: PairingStateJSON }> = await this.dataSource.query(
      `SELECT next_offset::text, state FROM shadow_partition_checkpoints WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
      [this.consumerGroup, this.topic, partition],
    );
    return rows.length === 0 ? undefined : { nextOffset: BigInt(rows[0]!.next_offset), state: rows[0]!.state };
  }

  /**
   * Saves, in one transaction, the pairing state covering offsets < nextOffset, the tallies those offsets added
   * (`deltas`, added to what is stored) and the comparisons they produced. Optimistic: the stored offset must
   * still be `previousOffset` (undefined = no row yet), so a delta is never added twice.
   */
  async save(partition: number, previousOffset: bigint | undefined, nextOffset: bigint, state: PairingStateJSON, deltas: TallyRow[], comparisons: StoredComparison[]): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.saveCheckpoint(tx, partition, previousOffset, nextOffset, state);
      for (const delta of deltas) {
        const params = [this.consumerGroup, this.topic, partition, ...tallyKeyParams(delta)];
        const rows: Array<{ tally: ShadowTally }> = await tx.query(
          `SELECT tally FROM shadow_window_tallies WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND environment = $4 AND agent = $5
             AND baseline_version_id = $6 AND candidate_version_id = $7 AND noise = $8 AND window_start_ms = $9`,
          params,
        );
        const merged = rows.length === 0 ? delta.tally : mergeTallies(rows[0]!.tally, delta.tally);
        await tx.query(
          `INSERT INTO shadow_window_tallies (consumer_group, topic, partition, environment, agent, baseline_version_id, candidate_version_id, noise, window_start_ms, tally)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (consumer_group, topic, environment, agent, baseline_version_id, candidate_version_id, noise, window_start_ms, partition)
           DO UPDATE SET tally = EXCLUDED.tally`,
          [...params, JSON.stringify(merged)],
        );
      }
      if (comparisons.length > 0) {
        await tx.query(
          `INSERT INTO shadow_comparisons (consumer_group, environment, agent, baseline_version_id, candidate_version_id, noise, session_id, request_id,
             window_start_ms, at_ms, divergence, differences, comparison, primary_run, shadow_run)
           SELECT $1, c.environment, c.agent, c."baselineVersionId", c."candidateVersionId", c.noise, c."sessionId", c."requestId",
             c."windowStartMs", c."atMs", c.divergence, ARRAY(SELECT jsonb_array_elements_text(c.differences)), c.comparison, c."primaryRun", c."shadowRun"
           FROM jsonb_to_recordset($2::jsonb) AS c(environment text, agent text, "baselineVersionId" text, "candidateVersionId" text, noise boolean,
             "sessionId" text, "requestId" text, "windowStartMs" bigint, "atMs" bigint, divergence double precision, differences jsonb, comparison jsonb,
             "primaryRun" jsonb, "shadowRun" jsonb)
           ON CONFLICT DO NOTHING`,
          [this.consumerGroup, JSON.stringify(comparisons)],
        );
      }
    });
  }

  private async saveCheckpoint(tx: EntityManager, partition: number, previousOffset: bigint | undefined, nextOffset: bigint, state: PairingStateJSON): Promise<void> {
    const params = [this.consumerGroup, this.topic, partition, nextOffset.toString(), state.clockMs, JSON.stringify(state)];
    if (previousOffset === undefined) {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO shadow_partition_checkpoints (consumer_group, topic, partition, next_offset, clock_ms, state)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING partition`,
        params,
      );
      if (inserted.length === 0) throw new PartitionOwnershipLostError(`partition ${partition} was checkpointed by another instance`);
      return;
    }
    const updated: unknown[] = await tx.query(
      `UPDATE shadow_partition_checkpoints SET next_offset = $4, clock_ms = $5, state = $6, updated_at = now()
       WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND next_offset = $7 RETURNING partition`,
      [...params, previousOffset.toString()],
    );
    // node-postgres via TypeORM returns [rows, count] for UPDATE … RETURNING.
    const rows = Array.isArray(updated[0]) ? (updated[0] as unknown[]) : updated;
    if (rows.length === 0) throw new PartitionOwnershipLostError(`partition ${partition} moved on in another instance`);
  }

  /** Every checkpointed partition's clock (event time it has seen up to; null before the first record). */
  async clocks(): Promise<Array<number | null>> {
    const rows: Array<{ clock_ms: string | null }> = await this.dataSource.query(
      `SELECT clock_ms::text FROM shadow_partition_checkpoints WHERE consumer_group = $1 AND topic = $2`,
      [this.consumerGroup, this.topic],
    );
    return rows.map((r) => (r.clock_ms === null ? null : Number(r.clock_ms)));
  }

  /** Tallies (every partition's) of windows starting at or before `startAtMost` that have a candidate not yet reported. */
  async unreportedTallies(startAtMost: number): Promise<TallyRow[]> {
    const rows: TallyDbRow[] = await this.dataSource.query(
      `SELECT t.environment, t.agent, t.baseline_version_id, t.candidate_version_id, t.noise, t.window_start_ms::text, t.tally
       FROM shadow_window_tallies t
       WHERE t.consumer_group = $1 AND t.topic = $2 AND t.window_start_ms <= $3
         AND EXISTS (
           SELECT 1 FROM shadow_window_tallies c
           WHERE c.consumer_group = t.consumer_group AND c.topic = t.topic AND c.environment = t.environment AND c.agent = t.agent
             AND c.baseline_version_id = t.baseline_version_id AND c.window_start_ms = t.window_start_ms AND NOT c.noise
             AND NOT EXISTS (
               SELECT 1 FROM shadow_reports r
               WHERE r.consumer_group = c.consumer_group AND r.environment = c.environment AND r.agent = c.agent
                 AND r.baseline_version_id = c.baseline_version_id AND r.candidate_version_id = c.candidate_version_id AND r.window_start_ms = c.window_start_ms))`,
      [this.consumerGroup, this.topic, startAtMost],
    );
    return rows.map(toTallyRow);
  }

  async isReported(key: Omit<TallyKey, 'noise'>): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM shadow_reports WHERE consumer_group = $1 AND environment = $2 AND agent = $3 AND baseline_version_id = $4 AND candidate_version_id = $5 AND window_start_ms = $6`,
      [this.consumerGroup, key.environment, key.agent, key.baselineVersionId, key.candidateVersionId, String(key.windowStartMs)],
    );
    return rows.length > 0;
  }

  async saveReport(key: Omit<TallyKey, 'noise'>, eventId: string, report: ShadowReport): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO shadow_reports (consumer_group, environment, agent, baseline_version_id, candidate_version_id, window_start_ms, event_id, report)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [this.consumerGroup, key.environment, key.agent, key.baselineVersionId, key.candidateVersionId, String(key.windowStartMs), eventId, JSON.stringify(report)],
    );
  }

  /** The latest reported window of a candidate. */
  async latestReport(environment: string, agent: string, candidateVersionId: string): Promise<{ eventId: string; report: ShadowReport } | undefined> {
    const rows: Array<{ event_id: string; report: ShadowReport }> = await this.dataSource.query(
      `SELECT event_id::text, report FROM shadow_reports WHERE consumer_group = $1 AND environment = $2 AND agent = $3 AND candidate_version_id = $4
       ORDER BY window_start_ms DESC, reported_at DESC LIMIT 1`,
      [this.consumerGroup, environment, agent, candidateVersionId],
    );
    return rows.length === 0 ? undefined : { eventId: rows[0]!.event_id, report: rows[0]!.report };
  }

  /**
   * Every stored window of a candidate merged (all partitions), per baseline, with the noise tallies of the same
   * baselines and windows: the candidate's figures over the retention so far.
   */
  async overallTallies(environment: string, agent: string, candidateVersionId: string): Promise<Array<{ baselineVersionId: string; candidate: ShadowTally; noise: ShadowTally; fromMs: number; toMs: number }>> {
    const rows: TallyDbRow[] = await this.dataSource.query(
      `SELECT t.environment, t.agent, t.baseline_version_id, t.candidate_version_id, t.noise, t.window_start_ms::text, t.tally
       FROM shadow_window_tallies t
       WHERE t.consumer_group = $1 AND t.topic = $2 AND t.environment = $3 AND t.agent = $4
         AND ((NOT t.noise AND t.candidate_version_id = $5)
           OR (t.noise AND EXISTS (SELECT 1 FROM shadow_window_tallies c WHERE c.consumer_group = t.consumer_group AND c.topic = t.topic
                AND c.environment = t.environment AND c.agent = t.agent AND c.baseline_version_id = t.baseline_version_id
                AND c.window_start_ms = t.window_start_ms AND NOT c.noise AND c.candidate_version_id = $5)))`,
      [this.consumerGroup, this.topic, environment, agent, candidateVersionId],
    );
    const byBaseline = new Map<string, { baselineVersionId: string; candidate: ShadowTally; noise: ShadowTally; fromMs: number; toMs: number }>();
    for (const row of rows.map(toTallyRow)) {
      const entry = byBaseline.get(row.baselineVersionId) ?? { baselineVersionId: row.baselineVersionId, candidate: emptyTally(), noise: emptyTally(), fromMs: row.windowStartMs, toMs: row.windowStartMs };
      if (row.noise) entry.noise = mergeTallies(entry.noise, row.tally);
      else entry.candidate = mergeTallies(entry.candidate, row.tally);
      entry.fromMs = Math.min(entry.fromMs, row.windowStartMs);
      entry.toMs = Math.max(entry.toMs, row.windowStartMs);
      byBaseline.set(row.baselineVersionId, entry);
    }
    return [...byBaseline.values()];
  }

  /** The worst-diverging requests of a candidate (not noise reruns), both sides. */
  async divergent(environment: string, agent: string, candidateVersionId: string, limit: number): Promise<StoredComparison[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT environment, agent, baseline_version_id, candidate_version_id, noise, session_id, request_id, window_start_ms::text, at_ms::text,
         divergence, differences, comparison, primary_run, shadow_run
       FROM shadow_comparisons
       WHERE consumer_group = $1 AND environment = $2 AND agent = $3 AND candidate_version_id = $4 AND NOT noise AND divergence > 0
       ORDER BY divergence DESC, at_ms DESC LIMIT $5`,
      [this.consumerGroup, environment, agent, candidateVersionId, limit],
    );
    return rows.map((r) => ({
      environment: r.environment as string,
      agent: r.agent as string,
      baselineVersionId: r.baseline_version_id as string,
      candidateVersionId: r.candidate_version_id as string,
      noise: r.noise as boolean,
      sessionId: r.session_id as string,
      requestId: r.request_id as string,
      windowStartMs: Number(r.window_start_ms),
      atMs: Number(r.at_ms),
      divergence: Number(r.divergence),
      differences: r.differences as string[],
      comparison: r.comparison,
      primaryRun: r.primary_run,
      shadowRun: r.shadow_run,
    }));
  }

  /** Whether anything (a comparison, a tally or a report) is known of this candidate. */
  async knowsCandidate(environment: string, agent: string, candidateVersionId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM shadow_window_tallies WHERE consumer_group = $1 AND topic = $2 AND environment = $3 AND agent = $4 AND candidate_version_id = $5 AND NOT noise LIMIT 1`,
      [this.consumerGroup, this.topic, environment, agent, candidateVersionId],
    );
    return rows.length > 0;
  }

  /** Deletes comparisons, tallies and reports older than `beforeMs` (the retention). */
  async prune(beforeMs: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM shadow_comparisons WHERE consumer_group = $1 AND at_ms < $2`, [this.consumerGroup, beforeMs]);
    await this.dataSource.query(`DELETE FROM shadow_window_tallies WHERE consumer_group = $1 AND topic = $2 AND window_start_ms < $3`, [this.consumerGroup, this.topic, beforeMs]);
    await this.dataSource.query(`DELETE FROM shadow_reports WHERE consumer_group = $1 AND window_start_ms < $2`, [this.consumerGroup, beforeMs]);
  }
}
