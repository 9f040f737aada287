import { createHash } from 'node:crypto';
import { createEvent, EventDataInput } from '@iris/contracts';
import { DuplicateEventIdError, type NewEvent, type PostgresEventStore } from '@iris/event-store';
import type { JsonLogger } from '@iris/observability';
import { LeaderLock, toNewEvent } from '@iris/runtime';
import type { DataSource } from 'typeorm';
import { ClosedWindow, flattenFigures, mergeClosedWindows, metricsSnapshotPayloads } from './aggregation';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import type { PartitionStore, PendingPartial } from './partition-store';

/** A stable UUID from a name, so a re-emitted snapshot has the same id (idempotent append, consumer dedupe). */
export function nameBasedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** metrics.snapshot events of one merged window: one per (environment, agent, role), with per-tenant figures. */
export function snapshotEvents(window: ClosedWindow, consumerGroup: string, view: 'window' | 'rolling' = 'window') {
  const tenantsByVersion = new Map<string, Record<string, Record<string, number>>>();
  for (const { key, figures } of window.tenants) {
    const id = `${key.environment}\u001f${key.agent}\u001f${key.role}\u001f${key.versionId}`;
    const tenants = tenantsByVersion.get(id) ?? {};
    tenants[key.tenant] = flattenFigures(figures);
    tenantsByVersion.set(id, tenants);
  }
  return metricsSnapshotPayloads(window).map((payload) => {
    const tenants: Record<string, Record<string, Record<string, number>>> = {};
    for (const versionId of Object.keys(payload.data.versions)) {
      const perTenant = tenantsByVersion.get(`${payload.environment}\u001f${payload.data.agent}\u001f${payload.role}\u001f${versionId}`);
      if (perTenant) tenants[versionId] = perTenant;
    }
    const data: EventDataInput<'metrics.snapshot'> = { ...payload.data, view, role: payload.role, tenants };
    // Same content → same id (a re-emission after a crash is a no-op); a corrected window gets a new id.
    const name = `${consumerGroup}|${window.startMs}|${payload.environment}|${payload.data.agent}|${payload.role}|${JSON.stringify(data)}`;
    return createEvent('metrics.snapshot', data, {
      environment: payload.environment,
      eventId: nameBasedUuid(name),
      occurredAt: new Date(window.endMs),
    });
  });
}

/** Most snapshots appended in one statement. */
const APPEND_CHUNK = 500;

/**
 * Emits a window once every partition that has data has closed it: merges the partitions' partials and
 * appends metrics.snapshot events to the log (the outbox relay publishes them to Kafka). One instance
 * emits at a time (advisory lock); a partial arriving after its window was emitted re-emits a corrected snapshot.
 */
export class SnapshotEmitter {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** wake() arrived during a pass: run another one right after it. */
  private rerun = false;
  private stopped = false;
  private readonly lock: LeaderLock;
  /** Merged windows emitted lately (by start), kept for rolling views; refilled from the store after a restart. */
  private readonly recentWindows = new Map<number, ClosedWindow>();
  private cachedFromMs: number | undefined;

  constructor(
    dataSource: DataSource,
    private readonly store: PartitionStore,
    private readonly eventStore: PostgresEventStore,
    private readonly settings: AggregatorSettings,
    private readonly metrics: AggregatorMetrics,
    private readonly logger: JsonLogger,
    private readonly singleInstance: boolean,
  ) {
    this.lock = new LeaderLock(dataSource, `iris-metrics-emitter:${settings.consumerGroup}`);
  }

  /** Looks for closed windows every emitIntervalMs, and at once on wake(). */
  start(): void {
    this.pass();
  }

  /** A partition of this process checkpointed past a window end: look now instead of at the next interval. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.rerun = true;
    else this.pass();
  }

  /** Wall time of the first failure of the current run of failed passes (logging only). */
  private failingSinceMs: number | undefined;

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.lock.release().catch(() => undefined);
  }

  private pass(): void {
    clearTimeout(this.timer);
    this.running = this.emitReady()
      .then(
        () => {
          if (this.failingSinceMs === undefined) return;
          this.logger.info('snapshot emission recovered', { failedForMs: Date.now() - this.failingSinceMs });
          this.failingSinceMs = undefined;
        },
        (error: unknown) => {
          // One line per outage, not one per retry (every emit interval).
          if (this.failingSinceMs !== undefined) return;
          this.failingSinceMs = Date.now();
          this.logger.warn('snapshot emission failed; retrying until it works', { error });
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.rerun) {
          this.rerun = false;
          this.pass();
        } else {
          this.timer = setTimeout(() => this.pass(), this.settings.emitIntervalMs);
        }
      });
  }

  /** Rolling views (e.g. last 1, 5, 15 min) ending at `endMs`, merged from the closed windows in each span. */
  private async rollingViewsEndingAt(endMs: number): Promise<ClosedWindow[]> {
    if (this.settings.rollingViewsMs.length === 0) return [];
    await this.loadWindowsFrom(endMs - Math.max(...this.settings.rollingViewsMs));
    const views: ClosedWindow[] = [];
    for (const spanMs of this.settings.rollingViewsMs) {
      const fromMs = endMs - spanMs;
      const windows = [...this.recentWindows.values()].filter((w) => w.startMs >= fromMs && w.endMs <= endMs).map((w) => ({ ...w, startMs: fromMs, endMs }));
      if (windows.length > 0) views.push(mergeClosedWindows(windows));
    }
    return views;
  }

  /** Makes the cache authoritative from `fromMs` on: loads what it lacks (after a restart) in one query. */
  private async loadWindowsFrom(fromMs: number): Promise<void> {
    if (this.cachedFromMs !== undefined && this.cachedFromMs <= fromMs) return;
    const toMs = this.cachedFromMs ?? Number.MAX_SAFE_INTEGER;
    const byWindow = new Map<number, PendingPartial[]>();
    for (const partial of await this.store.partialsBetween(fromMs, toMs)) {
      if (this.recentWindows.has(partial.windowStartMs)) continue;
      byWindow.set(partial.windowStartMs, [...(byWindow.get(partial.windowStartMs) ?? []), partial]);
    }
    for (const [startMs, partials] of byWindow) {
      this.recentWindows.set(
        startMs,
        mergeClosedWindows(partials.map((p) => ({ startMs: p.windowStartMs, endMs: p.windowEndMs, versions: [], tenants: [], accumulators: p.accumulators }))),
      );
    }
    this.cachedFromMs = fromMs;
  }

  /**
   * Appends in one round trip; when some of the events are in the log already (re-emitted after a crash,
   * next to corrected ones) each is appended on its own, the repeated ones being no-ops.
   */
  private async appendIdempotently(stream: string, events: NewEvent[]): Promise<void> {
    try {
      await this.eventStore.appendToStream(stream, events, { expectedVersion: 'any' });
    } catch (error) {
      if (!(error instanceof DuplicateEventIdError) || events.length === 1) throw error;
      for (const event of events) await this.eventStore.appendToStream(stream, [event], { expectedVersion: 'any' });
    }
  }

  /** One pass: emit every window closed in all partitions. Returns how many snapshots were appended. */
  async emitReady(): Promise<number> {
    if (!this.singleInstance && !(await this.lock.tryAcquire())) return 0;
    const watermarks = await this.store.watermarks();
    if (watermarks.length === 0) return 0;
    const completeThrough = Math.min(...watermarks.map((w) => w.watermarkMs ?? -Infinity));
    if (!Number.isFinite(completeThrough)) return 0;
    const pending = await this.store.pendingPartials(completeThrough);
    const starts = [...new Set(pending.map((partial) => partial.windowStartMs))].sort((a, b) => a - b);
    let emitted = 0;
    if (starts.length > 0) {
      // Every partial of those windows, emitted ones included (a late partial re-emits a corrected window): one query.
      const wanted = new Set(starts);
      const partialsOf = new Map<number, PendingPartial[]>();
      for (const partial of await this.store.partialsBetween(starts[0], starts[starts.length - 1] + 1)) {
        if (!wanted.has(partial.windowStartMs)) continue;
        const list = partialsOf.get(partial.windowStartMs);
        if (list) list.push(partial);
        else partialsOf.set(partial.windowStartMs, [partial]);
      }
      const events: Array<ReturnType<typeof snapshotEvents>[number]> = [];
      const merged: PendingPartial[] = [];
      for (const startMs of starts) {
        const partials = partialsOf.get(startMs) ?? [];
        if (partials.length === 0) continue;
        merged.push(...partials);
        const window = mergeClosedWindows(
          partials.map((p) => ({ startMs: p.windowStartMs, endMs: p.windowEndMs, versions: [], tenants: [], accumulators: p.accumulators })),
        );
        this.recentWindows.set(startMs, window);
        events.push(
          ...snapshotEvents(window, this.settings.consumerGroup),
          ...(await this.rollingViewsEndingAt(window.endMs)).flatMap((view) => snapshotEvents(view, this.settings.consumerGroup, 'rolling')),
        );
        this.logger.write('debug', 'window emitted', { windowStartMs: startMs, partitions: partials.length });
      }
      // One append per stream (agent), windows in order; a crash before markEmitted re-emits the same ids (no-ops).
      const byStream = new Map<string, NewEvent[]>();
      for (const event of events) {
        const stream = `metrics-${event.environment}-${event.data.agent}`;
        const list = byStream.get(stream);
        if (list) list.push(toNewEvent(event, { actor: 'metrics-aggregator' }));
        else byStream.set(stream, [toNewEvent(event, { actor: 'metrics-aggregator' })]);
      }
      for (const [stream, streamEvents] of byStream) {
        for (let i = 0; i < streamEvents.length; i += APPEND_CHUNK) await this.appendIdempotently(stream, streamEvents.slice(i, i + APPEND_CHUNK));
        emitted += streamEvents.length;
      }
      await this.store.markEmitted(merged); // only the versions read: a partial rewritten meanwhile re-emits its window
    }
    this.metrics.snapshotsEmitted += emitted;
    const horizon = completeThrough - Math.max(0, ...this.settings.rollingViewsMs) - this.settings.windowMs;
    for (const start of this.recentWindows.keys()) if (start < horizon) this.recentWindows.delete(start);
    if (this.cachedFromMs !== undefined && this.cachedFromMs < horizon) this.cachedFromMs = horizon;
    if (emitted > 0) await this.store.prune(completeThrough - 16 * 60_000);
    return emitted;
  }
}
