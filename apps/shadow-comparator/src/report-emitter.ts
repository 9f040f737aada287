import { createHash } from 'node:crypto';
import { createEvent } from '@iris/contracts';
import type { ShadowComparatorSettings } from '@iris/config';
import type { PostgresEventStore } from '@iris/event-store';
import type { JsonLogger } from '@iris/observability';
import { LeaderLock, toNewEvent } from '@iris/runtime';
import type { DataSource } from 'typeorm';
import type { ComparisonStore, TallyRow } from './comparison-store';
import { buildShadowReport, emptyTally, mergeTallies, type ShadowGateLimits } from './domain';
import type { ShadowMetrics } from './shadow-metrics';

/** A stable UUID from a name: a report appended again after a crash has the same id (a no-op append). */
export function nameBasedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const shadowStreamId = (environment: string, agent: string, candidateVersionId: string) => `shadow-${environment}-${agent}-${candidateVersionId}`;

/**
 * Reports a window once every partition's clock has passed its end plus the pair timeout (so every pair of it is
 * resolved and saved): merges the partitions' tallies per candidate, builds the shadow report beside the noise
 * floor of the same baseline and window, and appends one `shadow.report` to the log (the outbox publishes it on
 * iris.shadow.v1). One instance reports at a time (advisory lock); event ids are derived, so a crash between the
 * append and the bookkeeping appends nothing twice. Also deletes what is older than the retention.
 */
export class ReportEmitter {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly lock: LeaderLock;
  private lastPruneMs = 0;

  constructor(
    dataSource: DataSource,
    private readonly store: ComparisonStore,
    private readonly eventStore: PostgresEventStore,
    private readonly settings: ShadowComparatorSettings,
    private readonly limits: ShadowGateLimits,
    private readonly metrics: ShadowMetrics,
    private readonly logger: JsonLogger,
    private readonly singleInstance: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.lock = new LeaderLock(dataSource, `iris-shadow-reports:${settings.consumerGroup}`);
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.pass().then(
        () => undefined,
        (error: unknown) => this.logger.warn('shadow report pass failed; retried next interval', { error }),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.settings.reportIntervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.lock.release().catch(() => undefined);
  }

  /** One pass: reports every window complete in all partitions. Returns how many reports were appended. */
  async pass(): Promise<number> {
    if (!this.singleInstance && !(await this.lock.tryAcquire())) return 0;
    const now = this.now();
    if (now - this.lastPruneMs > 60_000) {
      this.lastPruneMs = now;
      await this.store.prune(now - this.settings.retentionMs);
    }
    const clocks = (await this.store.clocks()).filter((c): c is number => c !== null);
    if (clocks.length === 0) return 0;
    const completeThrough = Math.min(...clocks) - this.settings.pairTimeoutMs;
    const lastStart = Math.floor(completeThrough / this.settings.windowMs) * this.settings.windowMs - this.settings.windowMs;
    const rows = await this.store.unreportedTallies(lastStart);
    const groups = new Map<string, { candidate: TallyRow[]; noise: TallyRow[] }>();
    for (const row of rows) {
      const base = `${row.environment}\u0000${row.agent}\u0000${row.baselineVersionId}\u0000${row.windowStartMs}`;
      const group = groups.get(base) ?? { candidate: [], noise: [] };
      (row.noise ? group.noise : group.candidate).push(row);
      groups.set(base, group);
    }
    let appended = 0;
    for (const { candidate, noise } of groups.values()) {
      const noiseTally = noise.reduce((sum, r) => mergeTallies(sum, r.tally), emptyTally());
      const byCandidate = new Map<string, TallyRow[]>();
      for (const row of candidate) byCandidate.set(row.candidateVersionId, [...(byCandidate.get(row.candidateVersionId) ?? []), row]);
      for (const [candidateVersionId, partitionRows] of byCandidate) {
        const key = { ...partitionRows[0]!, candidateVersionId };
        if (await this.store.isReported(key)) continue;
        const report = buildShadowReport({
          agent: key.agent,
          baselineVersionId: key.baselineVersionId,
          candidateVersionId,
          windowStartMs: key.windowStartMs,
          windowEndMs: key.windowStartMs + this.settings.windowMs,
          candidate: partitionRows.reduce((sum, r) => mergeTallies(sum, r.tally), emptyTally()),
          noise: noiseTally,
          limits: this.limits,
        });
        const eventId = nameBasedUuid(`${this.settings.consumerGroup}|${key.environment}|${key.agent}|${key.baselineVersionId}|${candidateVersionId}|${key.windowStartMs}`);
        const event = createEvent('shadow.report', report, { environment: key.environment, eventId, occurredAt: new Date(key.windowStartMs + this.settings.windowMs) });
        await this.eventStore.appendToStream(shadowStreamId(key.environment, key.agent, candidateVersionId), [toNewEvent(event, { actor: 'shadow-comparator' })], { expectedVersion: 'any' });
        await this.store.saveReport(key, eventId, report);
        this.metrics.reportsAppended++;
        appended++;
        this.logger.info('shadow report', {
          agent: key.agent,
          candidateVersionId,
          windowStart: report.windowStart,
          verdict: report.verdict,
          pairs: report.samples.pairs,
          noisePairs: report.samples.noisePairs,
          decisionDifferenceRate: report.decisionDifferenceRate,
          noiseFloorRate: report.noiseFloorRate,
        });
      }
    }
    return appended;
  }
}
