import type { EventOf, IrisEvent } from '@iris/contracts';
import { closedWindowOf, type ClosedWindow } from './closed-window';
import { AggregationError, assertNever } from './errors';
import { EventIdFilter, type EventIdFilterJSON } from './event-id-filter';
import { KeyedAccumulators, type KeyedAccumulatorsJSON, type KeyedFigures } from './keyed-accumulators';
import { eventTimeMs } from './event-time';
import { KeyRegistry, type KeyEntry } from './key-registry';
import type { Role, TenantKey, VersionKey } from './keys';
import { SessionTracker, type TrackedSessionJSON } from './session-tracker';

/** The events the aggregator counts (topic iris.telemetry.v1). */
export type TelemetryEvent =
  | EventOf<'agent.request.completed'>
  | EventOf<'agent.session.started'>
  | EventOf<'agent.session.ended'>
  | EventOf<'agent.feedback.recorded'>;

export function isTelemetryEvent(event: IrisEvent): event is TelemetryEvent {
  switch (event.type) {
    case 'agent.request.completed':
    case 'agent.session.started':
    case 'agent.session.ended':
    case 'agent.feedback.recorded':
      return true;
    default:
      return false;
  }
}

export interface WindowedAggregatorOptions {
  /** Tumbling window size, aligned to the epoch. Default 10 s. */
  windowMs?: number;
  /** Watermark = max event time seen − this; events up to this late still count. Default 5 s. */
  allowedLatenessMs?: number;
  /** Emitted windows kept for rolling views: the longest span you will ask for. Default 15 min. */
  retainClosedMs?: number;
  /** An ended session is forgotten this long after its end, an open one after this long idle (expired). Default 30 min. */
  sessionRetentionMs?: number;
  /** Bound of the late-event list kept for drainLateEvents(); older entries are dropped (still counted). Default 1000. */
  maxLateEventsKept?: number;
}

export type ResolvedAggregatorOptions = Required<WindowedAggregatorOptions>;

export const DEFAULT_AGGREGATOR_OPTIONS: ResolvedAggregatorOptions = {
  windowMs: 10_000,
  allowedLatenessMs: 5_000,
  retainClosedMs: 15 * 60_000,
  sessionRetentionMs: 30 * 60_000,
  maxLateEventsKept: 1_000,
};

/**
 * applied: counted in its window · duplicate: eventId already counted (redelivery) ·
 * late: its window had closed; counted as `late`, not in figures · ignored: not a telemetry event.
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'late' | 'ignored';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** Start of the window of the event's occurredAt (null when ignored). */
  windowStartMs: number | null;
}

/** An event that arrived after its window had closed (for logs / a DLQ / metrics). */
export interface LateEvent {
  eventId: string;
  type: TelemetryEvent['type'];
  key: TenantKey;
  source: string;
  occurredAtMs: number;
  windowStartMs: number;
  /** Global watermark when it arrived. */
  watermarkMs: number;
}

export interface RollingView {
  /** The view covers whole windows in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Windows merged. */
  windows: number;
  /** False when part of the span was already evicted (span > retainClosedMs). */
  complete: boolean;
  versions: KeyedFigures<VersionKey>[];
  tenants: KeyedFigures<TenantKey>[];
}

export interface RollingViewOptions {
  /** Also merge windows not closed yet (their figures may still change). Default false. */
  includeOpen?: boolean;
}

export interface AggregatorStats {
  watermarkMs: number | null;
  sources: number;
  openWindows: number;
  closedWindowsPending: number;
  retainedWindows: number;
  trackedEventIds: number;
  trackedSessions: number;
  applied: number;
  duplicates: number;
  late: number;
  ignored: number;
  lateEventsDropped: number;
}

export const AGGREGATOR_STATE_FORMAT = 'iris.metrics-aggregator.state/1';

/** Everything the aggregator holds, as JSON: persist it with the consumer offsets, restore with WindowedAggregator.restore. */
export interface AggregatorState {
  format: typeof AGGREGATOR_STATE_FORMAT;
  options: ResolvedAggregatorOptions;
  watermarkMs: number | null;
  evictedBeforeMs: number | null;
  closedThroughMs: number | null;
  sources: Array<{ source: string; maxEventTimeMs: number; idle: boolean }>;
  windows: Array<{ startMs: number; status: WindowStatus; accumulators: KeyedAccumulatorsJSON }>;
  eventIds: EventIdFilterJSON;
  sessions: TrackedSessionJSON[];
  lateEvents: LateEvent[];
  counters: { applied: number; duplicates: number; late: number; ignored: number; lateEventsDropped: number };
}

type WindowStatus = 'open' | 'closed' | 'emitted';

interface Window {
  readonly startMs: number;
  status: WindowStatus;
  readonly accumulators: KeyedAccumulators;
}

interface SourceClock {
  maxEventTimeMs: number;
  idle: boolean;
}

/**
 * Event-time tumbling-window aggregation of agent telemetry. Pure and
 * deterministic: time comes only from occurredAt and advanceWatermark(); the
 * same calls in the same order give the same results.
 *
 * Watermark: per source (e.g. Kafka partition) max event time − allowedLateness;
 * the global watermark is the minimum over active (non-idle) sources, never
 * decreasing. A window [start, end) closes when the watermark reaches `end`; an
 * event whose window is closed is `late` (counted per key in the window open at
 * arrival and listed by drainLateEvents()). Closing happens inside apply /
 * advanceWatermark / markIdle; closeReadyWindows() only hands the closed windows out.
 */
export class WindowedAggregator {
  readonly options: ResolvedAggregatorOptions;
  private readonly windows = new Map<number, Window>();
  private readonly sources = new Map<string, SourceClock>();
  private readonly keys = new KeyRegistry();
  private eventIds = new EventIdFilter();
  private sessions: SessionTracker;
  private watermark = -Infinity;
  /** Windows ending at or before this were evicted. */
  private evictedBefore = -Infinity;
  /** Every window span starting before this has been closed (null before the first close). */
  private closedThrough: number | null = null;
  private lateEvents: LateEvent[] = [];
  private readonly counters = { applied: 0, duplicates: 0, late: 0, ignored: 0, lateEventsDropped: 0 };
  private lastWindow: Window | undefined;

  constructor(options: WindowedAggregatorOptions = {}) {
    this.options = resolveOptions(options);
    this.sessions = new SessionTracker(this.options.sessionRetentionMs);
  }

  static restore(state: AggregatorState): WindowedAggregator {
    if (state.format !== AGGREGATOR_STATE_FORMAT) {
      throw new AggregationError('INCOMPATIBLE_STATE', `State format ${String(state.format)}, expected ${AGGREGATOR_STATE_FORMAT}`);
    }
    const aggregator = new WindowedAggregator(state.options);
    aggregator.watermark = state.watermarkMs ?? -Infinity;
    aggregator.evictedBefore = state.evictedBeforeMs ?? -Infinity;
    aggregator.closedThrough = state.closedThroughMs;
    for (const { source, maxEventTimeMs, idle } of state.sources) aggregator.sources.set(source, { maxEventTimeMs, idle });
    for (const { startMs, status, accumulators } of state.windows) {
      aggregator.windows.set(startMs, { startMs, status, accumulators: KeyedAccumulators.fromJSON(accumulators, (key) => aggregator.keys.intern(key)) });
    }
    aggregator.eventIds = EventIdFilter.fromJSON(state.eventIds);
    aggregator.sessions = SessionTracker.fromJSON(aggregator.options.sessionRetentionMs, state.sessions, (key) => aggregator.keys.intern(key));
    aggregator.lateEvents = state.lateEvents.slice();
    Object.assign(aggregator.counters, state.counters);
    return aggregator;
  }

  /** Global watermark (event time), null before any source has been seen. */
  get watermarkMs(): number | null {
    return this.watermark === -Infinity ? null : this.watermark;
  }

  /**
   * Counts one decoded event read from `source` (the partition it came from),
   * then advances that source's clock with its occurredAt.
   */
  apply(event: IrisEvent, source: string): ApplyResult {
    const outcome = this.applyOutcome(event, source);
    if (outcome === 'ignored') return { outcome, windowStartMs: null };
    const windowMs = this.options.windowMs;
    return { outcome, windowStartMs: Math.floor(eventTimeMs(event.occurredAt) / windowMs) * windowMs };
  }

  /** apply() without the result object (the consumer's hot path). */
  applyOutcome(event: IrisEvent, source: string): ApplyOutcome {
    if (!isTelemetryEvent(event)) {
      this.counters.ignored++;
      return 'ignored';
    }
    const atMs = eventTimeMs(event.occurredAt);
    const windowMs = this.options.windowMs;
    const outcome = this.count(event, atMs, Math.floor(atMs / windowMs) * windowMs, source);
    this.observe(source, atMs);
    return outcome;
  }

  /** Newest event time seen from `source` (or set by advanceWatermark); undefined for a source never seen. */
  sourceClockMs(source: string): number | undefined {
    return this.sources.get(source)?.maxEventTimeMs;
  }

  /** Moves a source's clock forward without an event (e.g. a partition's high-water-mark timestamp). */
  advanceWatermark(source: string, eventTimeMs: number): void {
    if (!Number.isFinite(eventTimeMs)) throw new AggregationError('INVALID_VALUE', `Watermark time ${eventTimeMs} is not finite`);
    this.observe(source, eventTimeMs);
  }

  /** Stops waiting for an idle source (e.g. a quiet partition); it becomes active again with its next event. */
  markIdle(source: string): void {
    const clock = this.sources.get(source);
    if (clock === undefined || clock.idle) return;
    clock.idle = true;
    this.updateWatermark();
  }

  /** Forgets a source (partition revoked on rebalance). */
  removeSource(source: string): void {
    if (this.sources.delete(source)) this.updateWatermark();
  }

  /** The windows closed since the last call, oldest first. They stay retained for rolling views. */
  closeReadyWindows(): ClosedWindow[] {
    const ready = [...this.windows.values()].filter((w) => w.status === 'closed').sort((a, b) => a.startMs - b.startMs);
    for (const window of ready) window.status = 'emitted';
    return ready.map((w) => closedWindowOf(w.startMs, w.startMs + this.options.windowMs, w.accumulators));
  }

  /**
   * Figures over the last `spanMs` (rounded up to whole windows) ending at the
   * window boundary at or before `nowEventTimeMs` — or, with includeOpen, at the
   * end of the window containing it. liveSessions is the gauge at min(toMs, now).
   */
  rollingView(spanMs: number, nowEventTimeMs: number, options: RollingViewOptions = {}): RollingView {
    if (!(spanMs > 0) || !Number.isFinite(nowEventTimeMs)) {
      throw new AggregationError('INVALID_VALUE', `Rolling view span ${spanMs} / now ${nowEventTimeMs} out of range`);
    }
    const windowMs = this.options.windowMs;
    const includeOpen = options.includeOpen ?? false;
    const toMs = Math.floor(nowEventTimeMs / windowMs) * windowMs + (includeOpen ? windowMs : 0);
    const fromMs = toMs - Math.ceil(spanMs / windowMs) * windowMs;
    const merged = new KeyedAccumulators();
    let windows = 0;
    for (const window of this.windows.values()) {
      if (window.startMs < fromMs || window.startMs >= toMs) continue;
      if (window.status === 'open' && !includeOpen) continue;
      merged.merge(window.accumulators);
      windows++;
    }
    merged.setLiveSessions(this.sessions.liveAt(Math.min(toMs, nowEventTimeMs)));
    return {
      fromMs,
      toMs,
      windows,
      complete: fromMs >= this.evictedBefore,
      versions: merged.versionFigures(),
      tenants: merged.tenantFigures(),
    };
  }

  /** Live sessions per version at event time `atMs` (default: the watermark). */
  liveSessions(atMs: number = this.watermark): Array<{ key: VersionKey; liveSessions: number }> {
    const keyed = new KeyedAccumulators();
    keyed.setLiveSessions(this.sessions.liveAt(atMs));
    return keyed.versionFigures().map(({ key, figures }) => ({ key, liveSessions: figures.liveSessions }));
  }

  /** Late events since the last call (bounded by maxLateEventsKept; see stats().lateEventsDropped). */
  drainLateEvents(): LateEvent[] {
    const drained = this.lateEvents;
    this.lateEvents = [];
    return drained;
  }

  stats(): AggregatorStats {
    let open = 0;
    let pending = 0;
    for (const w of this.windows.values()) {
      if (w.status === 'open') open++;
      else if (w.status === 'closed') pending++;
    }
    return {
      watermarkMs: this.watermarkMs,
      sources: this.sources.size,
      openWindows: open,
      closedWindowsPending: pending,
      retainedWindows: this.windows.size - open - pending,
      trackedEventIds: this.eventIds.size,
      trackedSessions: this.sessions.size,
      ...this.counters,
    };
  }

  /**
   * Everything as JSON. `includeEventIds: false` leaves out the duplicate filter (the largest part) for
   * callers that recognise redeliveries another way, e.g. by the Kafka offset stored with the state.
   */
  snapshot(options: { includeEventIds?: boolean } = {}): AggregatorState {
    return {
      format: AGGREGATOR_STATE_FORMAT,
      options: { ...this.options },
      watermarkMs: this.watermarkMs,
      evictedBeforeMs: this.evictedBefore === -Infinity ? null : this.evictedBefore,
      closedThroughMs: this.closedThrough,
      sources: [...this.sources].map(([source, c]) => ({ source, maxEventTimeMs: c.maxEventTimeMs, idle: c.idle })),
      windows: [...this.windows.values()]
        .sort((a, b) => a.startMs - b.startMs)
        .map((w) => ({ startMs: w.startMs, status: w.status, accumulators: w.accumulators.toJSON() })),
      eventIds: options.includeEventIds === false ? [] : this.eventIds.toJSON(),
      sessions: this.sessions.toJSON(),
      lateEvents: this.lateEvents.map((e) => ({ ...e, key: { ...e.key } })),
      counters: { ...this.counters },
    };
  }

  private count(event: TelemetryEvent, atMs: number, windowStartMs: number, source: string): ApplyOutcome {
    if (!this.eventIds.add(windowStartMs, event.eventId)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    const data = event.data;
    const role: Role = event.type === 'agent.request.completed' ? event.data.role : 'primary';
    const key = this.keys.lookup(event.environment, data.agent, data.versionId, role, data.tenant);
    if (windowStartMs + this.options.windowMs <= this.watermark) {
      this.countLate(event, key, atMs, windowStartMs, source);
      return 'late';
    }
    const acc = this.windowAt(windowStartMs).accumulators.accumulatorFor(key);
    switch (event.type) {
      case 'agent.request.completed':
        acc.recordRequest(event.data);
        this.sessions.touched(key, event.data.sessionId, atMs);
        break;
      case 'agent.feedback.recorded':
        acc.recordFeedback(event.data.feedback);
        this.sessions.touched(key, event.data.sessionId, atMs);
        break;
      case 'agent.session.started':
        if (this.sessions.started(key, event.data.sessionId, atMs)) acc.sessionsStarted++;
        break;
      case 'agent.session.ended':
        if (this.sessions.ended(key, event.data.sessionId, atMs)) acc.sessionsEnded++;
        break;
      default:
        assertNever(event, 'event type');
    }
    this.counters.applied++;
    return 'applied';
  }

  /** Late: not in any figure, but counted per key (in the window open at arrival) and listed; the session gauge still follows it. */
  private countLate(event: TelemetryEvent, key: KeyEntry, atMs: number, windowStartMs: number, source: string): void {
    const windowMs = this.options.windowMs;
    const reporting = this.windowAt(Math.floor(this.watermark / windowMs) * windowMs);
    reporting.accumulators.accumulatorFor(key).late++;
    this.counters.late++;
    switch (event.type) {
      case 'agent.session.started':
        this.sessions.started(key, event.data.sessionId, atMs);
        break;
      case 'agent.session.ended':
        this.sessions.ended(key, event.data.sessionId, atMs);
        break;
      case 'agent.request.completed':
      case 'agent.feedback.recorded':
        break;
      default:
        assertNever(event, 'event type');
    }
    this.lateEvents.push({ eventId: event.eventId, type: event.type, key: key.key, source, occurredAtMs: atMs, windowStartMs, watermarkMs: this.watermark });
    if (this.lateEvents.length > this.options.maxLateEventsKept) {
      this.lateEvents.shift();
      this.counters.lateEventsDropped++;
    }
  }

  private windowAt(startMs: number): Window {
    const last = this.lastWindow;
    if (last !== undefined && last.startMs === startMs) return last;
    let window = this.windows.get(startMs);
    if (window === undefined) {
      window = { startMs, status: 'open', accumulators: new KeyedAccumulators() };
      this.windows.set(startMs, window);
    }
    this.lastWindow = window;
    return window;
  }

  private observe(source: string, atMs: number): void {
    const clock = this.sources.get(source);
    if (clock === undefined) {
      this.sources.set(source, { maxEventTimeMs: atMs, idle: false });
    } else if (atMs > clock.maxEventTimeMs || clock.idle) {
      clock.maxEventTimeMs = Math.max(clock.maxEventTimeMs, atMs);
      clock.idle = false;
    } else {
      return;
    }
    this.updateWatermark();
  }

  /** Min over active sources (max over all when every source is idle) − lateness; never moves back. */
  private updateWatermark(): void {
    let activeMin = Infinity;
    let anyMax = -Infinity;
    for (const clock of this.sources.values()) {
      if (!clock.idle && clock.maxEventTimeMs < activeMin) activeMin = clock.maxEventTimeMs;
      if (clock.maxEventTimeMs > anyMax) anyMax = clock.maxEventTimeMs;
    }
    const candidate = (activeMin === Infinity ? anyMax : activeMin) - this.options.allowedLatenessMs;
    if (candidate <= this.watermark) return;
    const windowMs = this.options.windowMs;
    const crossedBoundary = Math.floor(candidate / windowMs) !== Math.floor(this.watermark / windowMs);
    this.watermark = candidate;
    if (crossedBoundary) this.closeWindowsUpTo(candidate);
  }

  /**
   * Closes every open window ending at or before `watermarkMs`, fixing its
   * live-sessions gauge; spans without events still get a window when sessions
   * are live at their end (so shards merge exactly and quiet versions still report). Then evicts.
   */
  private closeWindowsUpTo(watermarkMs: number): void {
    const windowMs = this.options.windowMs;
    const closeBefore = Math.floor(watermarkMs / windowMs) * windowMs;
    let earliestOpen = Infinity;
    for (const window of this.windows.values()) {
      if (window.status !== 'open' || window.startMs >= closeBefore) continue;
      window.status = 'closed';
      window.accumulators.setLiveSessions(this.sessions.liveAt(window.startMs + windowMs));
      earliestOpen = Math.min(earliestOpen, window.startMs);
    }
    const gapUntil = Math.min(closeBefore, this.sessions.lastLiveInstant()); // sessions expire: gaps are bounded
    for (let startMs = this.closedThrough ?? earliestOpen; startMs < gapUntil; startMs += windowMs) {
      if (this.windows.has(startMs)) continue;
      const live = this.sessions.liveAt(startMs + windowMs);
      if (live.size === 0) continue;
      const window: Window = { startMs, status: 'closed', accumulators: new KeyedAccumulators() };
      window.accumulators.setLiveSessions(live);
      this.windows.set(startMs, window);
    }
    this.closedThrough = closeBefore;
    this.evict(watermarkMs);
  }

  private evict(watermarkMs: number): void {
    const windowMs = this.options.windowMs;
    // ids of windows ending ≥ allowedLateness before the watermark: their redeliveries are late anyway
    this.eventIds.forgetBefore(Math.floor((watermarkMs - this.options.allowedLatenessMs) / windowMs) * windowMs);
    this.sessions.evict(watermarkMs);
    const retainFrom = Math.floor((watermarkMs - this.options.retainClosedMs) / windowMs) * windowMs;
    for (const [startMs, window] of this.windows) {
      if (window.status === 'emitted' && startMs < retainFrom) {
        this.windows.delete(startMs);
        if (startMs + windowMs > this.evictedBefore) this.evictedBefore = startMs + windowMs;
      }
    }
    if (this.lastWindow !== undefined && !this.windows.has(this.lastWindow.startMs)) this.lastWindow = undefined;
    this.pruneKeyRegistry();
  }

  /** Keys of evicted windows and sessions are forgotten too (checked once the registry holds 1 024 keys). */
  private pruneKeyRegistry(): void {
    if (this.keys.size < 1024) return;
    const used = new Set<string>(this.sessions.keyIds());
    for (const w of this.windows.values()) for (const id of w.accumulators.keyIds()) used.add(id);
    this.keys.retainOnly(used);
  }
}

function resolveOptions(options: WindowedAggregatorOptions): ResolvedAggregatorOptions {
  const resolved = { ...DEFAULT_AGGREGATOR_OPTIONS, ...dropUndefined(options) };
  const positive = (name: keyof ResolvedAggregatorOptions, min: number) => {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new AggregationError('INVALID_OPTIONS', `${name} must be an integer ≥ ${min}, got ${value}`);
    }
  };
  positive('windowMs', 1);
  positive('allowedLatenessMs', 0);
  positive('retainClosedMs', 0);
  positive('sessionRetentionMs', 0);
  positive('maxLateEventsKept', 0);
  return resolved;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
