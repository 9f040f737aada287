import { decodeMessage, IrisEvent, TOPICS } from '@iris/contracts';
import { PoisonMessageError, type BatchOutcome, type DecodedMessage, type MessageBus, type RawMessage, type Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { AggregatorState, isTelemetryEvent, TelemetryEvent, WindowedAggregator } from './aggregation';
import { eventTimeMs } from './aggregation/event-time';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import type { EndOffsetsProbe } from './partition-end-offsets';
import { checkpointDue, lean, LEAN_STATE, PartitionState, windowIndexPassed } from './partition-state';
import { PartitionOwnershipLostError, PartitionStore } from './partition-store';

export interface TelemetryAggregatorOptions {
  /** The telemetry topic consumed. Default TOPICS.telemetry.name (other names: benchmarks, tests). */
  topic?: string;
  /** Told after a checkpoint that stored closed windows or moved the watermark past a window end (wakes the emitter). */
  onWindowsCheckpointed?: () => void;
  /**
   * Largest accepted lead of an event's occurredAt over the wall clock (this.now()); an event further ahead is
   * dead-lettered and counted (iris_aggregator_future_dated_total), so one agent's runaway clock can't move the
   * partition's watermark and make every later event late. Default: unbounded (the service passes 5 min).
   */
  maxClockSkewMs?: number;
  /**
   * Reads the topic's end offsets. A batch's highWatermark was read when it was fetched, which may be long before it
   * is applied (a batch retried through an outage, a batch queued behind another partition's); so before a quiet,
   * caught-up partition is treated as idle (its watermark follows wall time), its end is checked: records still to
   * fetch keep it lagging, and while the end can't be read it holds its windows. Without a probe the batch's
   * highWatermark is trusted (tests of other concerns).
   */
  endOffsets?: EndOffsetsProbe;
}

/** Longest wait for a read of the partitions' end offsets; a read that hangs must not stop later ones. */
const END_CHECK_TIMEOUT_MS = 5_000;

/** The metrics-aggregator service's default maxClockSkewMs (IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS, read in libs/config). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Telemetry topic records must be valid contract events of a telemetry type. */
export function decodeTelemetry(message: RawMessage): TelemetryEvent {
  const event: IrisEvent = decodeMessage(message.value);
  if (!isTelemetryEvent(event)) throw new Error(`unexpected event type ${event.type} on ${message.topic}`);
  return event;
}

/**
 * Consumes telemetry in batches and keeps one windowed aggregator per partition, checkpointed in PostgreSQL
 * with the offset it covers: every `checkpointIntervalMs`, and at once when a caught-up partition's watermark
 * passes a window end (so the emitter can close the window). Checkpoints are written off the consuming path
 * (one at a time per partition) and Kafka commits only what a checkpoint covers (committableOffset), so a
 * crash or rebalance redelivers the rest, recognised by offset and counted once. A copy that fell behind
 * the store (its checkpoint failed, another instance saved) reloads it, and asks the bus to redeliver from
 * the stored offset when records are missing in between.
 */
export class TelemetryAggregator {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly locks = new Map<number, Promise<unknown>>();
  /** Per partition: the offset a redelivery was last asked from (a second gap there means the records are gone). */
  private readonly resumeAsked = new Map<number, bigint>();
  /** Partitions whose copy was discarded (failed checkpoint) and not rebuilt yet: the tick reloads them (see reloadDiscarded). */
  private readonly reloadPending = new Map<number, { atMs: number; delayMs: number }>();
  private subscription?: Subscription;
  /** Partitions this member owns; undefined until the bus says (the embedded bus never does: one process owns all). */
  private owned: Set<number> | undefined;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly topic: string;
  /** The end-offsets check in flight (at most one), and whether the last one failed (said once per failure run). */
  private endCheck?: Promise<void>;
  private endCheckFailing = false;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: PartitionStore,
    private readonly settings: AggregatorSettings,
    private readonly metrics: AggregatorMetrics,
    private readonly logger: JsonLogger,
    private readonly now: () => number = Date.now,
    private readonly options: TelemetryAggregatorOptions = {},
  ) {
    this.topic = options.topic ?? TOPICS.telemetry.name;
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<TelemetryEvent>({
      topic: this.topic,
      groupId: this.settings.consumerGroup,
      fromBeginning: true,
      maxBatchSize: this.settings.maxBatchSize,
      decode: (message) => this.decode(message),
      onDeadLettered: (letters) => void (this.metrics.deadLettered += letters.length),
      handleBatch: (messages) => this.handleBatch(messages),
      onAssignment: (change) => this.onAssignment(change),
      committableOffset: (_topic, partition) => this.partitions.get(partition)?.storedOffset?.toString(),
    });
    const tickMs = Math.max(50, Math.floor(Math.min(this.settings.idleAfterMs, this.settings.checkpointIntervalMs) / 4));
    this.timer = setInterval(() => void this.tick(), tickMs);
  }

  private decode(message: RawMessage): TelemetryEvent {
    const event = decodeTelemetry(message);
    const maxSkewMs = this.options.maxClockSkewMs;
    if (maxSkewMs !== undefined && eventTimeMs(event.occurredAt) > this.now() + maxSkewMs) {
      this.metrics.futureDated++;
      throw new PoisonMessageError(`occurredAt ${event.occurredAt} is more than ${maxSkewMs} ms ahead of the wall clock (max clock skew)`);
    }
    return event;
  }

  /** SIGTERM: saves every partition's progress, finishes the in-flight batch (saved too), commits, leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping = true; // from now on every batch is saved before it returns
    await this.endCheck;
    await Promise.all([...this.partitions.keys()].map((partition) => this.withPartition(partition, () => this.saveNow(partition))));
    await this.subscription?.stop();
    await Promise.all(this.locks.values());
    await Promise.all([...this.partitions.values()].map((state) => state.writing));
  }

  /** During a rebalance nothing is owned; after it, states of partitions now elsewhere are dropped (reloaded if they come back). */
  private onAssignment(change: { kind: 'rebalancing' } | { kind: 'assigned'; partitions: Array<{ topic: string; partition: number }> }): void {
    if (change.kind === 'rebalancing') {
      this.owned = new Set();
      return;
    }
    this.owned = new Set(change.partitions.filter((p) => p.topic === this.topic).map((p) => p.partition));
    for (const [partition, state] of [...this.partitions]) {
      if (this.owned.has(partition)) continue;
      state.discarded = true;
      this.partitions.delete(partition);
    }
    this.logger.info('telemetry partitions assigned', { partitions: [...this.owned].sort((a, b) => a - b) });
  }

  /** Messages of one partition (the bus hands out one partition per call). */
  async handleBatch(messages: Array<DecodedMessage<TelemetryEvent>>): Promise<void | BatchOutcome> {
    if (messages.length === 0) return;
    const partition = messages[0].partition;
    for (const message of messages) {
      if (message.partition !== partition) throw new Error(`handleBatch got partitions ${partition} and ${message.partition} in one call`);
    }
    return this.withPartition(partition, () => this.applyPartitionBatch(partition, messages));
  }

  private async applyPartitionBatch(partition: number, messages: Array<DecodedMessage<TelemetryEvent>>): Promise<void | BatchOutcome> {
    const firstOffset = BigInt(messages[0].offset);
    let state = this.partitions.get(partition);
    // A batch that doesn't continue where we are (rebalance, redelivery, a discarded copy): trust the store.
    if (state === undefined || state.discarded || firstOffset !== state.nextOffset) {
      const resumed = await this.resume(partition, firstOffset);
      if (!('aggregator' in resumed)) return resumed;
      state = resumed;
    }
    const { aggregator, source } = state;
    // Offsets increase within a batch: only a redelivered batch starts below nextOffset.
    let start = 0;
    if (firstOffset < state.nextOffset) {
      while (start < messages.length && BigInt(messages[start].offset) < state.nextOffset) start++;
      this.metrics.redeliveriesSkipped += start;
    }
    let applied = 0;
    let duplicates = 0;
    let late = 0;
    for (let i = start; i < messages.length; i++) {
      const outcome = aggregator.applyOutcome(messages[i].value, source);
      if (outcome === 'applied') applied++;
      else if (outcome === 'duplicate') duplicates++;
      else if (outcome === 'late') late++;
    }
    this.metrics.eventsApplied += applied;
    this.metrics.duplicates += duplicates;
    this.metrics.lateEvents += late;
    const last = messages[messages.length - 1];
    if (start < messages.length) state.nextOffset = BigInt(last.offset) + 1n;
    state.unsaved += messages.length - start;

    const now = this.now();
    state.lastEventAtWallMs = now;
    const highWatermark = last.highWatermark;
    state.caughtUp = highWatermark === undefined || state.nextOffset >= BigInt(highWatermark);
    state.endConfirmedAtMs = undefined; // the highWatermark may be stale: idle only once the partition's end is read (tick)
    if (highWatermark !== undefined) this.metrics.partitionOffsetLag.set(partition, Number(BigInt(highWatermark) - state.nextOffset));
    const newestEventMs = aggregator.sourceClockMs(source);
    if (newestEventMs !== undefined) this.metrics.partitionDelayMs.set(partition, now - newestEventMs);

    if (this.stopping) await this.saveNow(partition);
    else if (checkpointDue(state, now, this.settings)) this.startCheckpoint(partition, state);
  }

  /** Loads (or reloads) a partition's state from its checkpoint; asks for a redelivery when records are missing in between. */
  private async resume(partition: number, firstOffset: bigint): Promise<PartitionState | BatchOutcome> {
    const previous = this.partitions.get(partition);
    if (previous) {
      previous.discarded = true;
      this.partitions.delete(partition);
      await previous.writing; // our own last save lands before we read the store
    }
    const stored = await this.store.load(partition);
    if (stored && firstOffset > stored.nextOffset) {
      // Records [stored, first) were applied by a copy that was never saved: have them delivered again.
      if (this.resumeAsked.get(partition) !== stored.nextOffset) {
        this.resumeAsked.set(partition, stored.nextOffset);
        this.logger.info('resuming partition from its checkpoint', { partition, from: stored.nextOffset.toString(), batchFrom: firstOffset.toString() });
        return { resumeFrom: stored.nextOffset.toString() };
      }
      // Asked before and the log still starts later: those records are gone (retention); carry on without them.
      this.logger.warn('records between the checkpoint and the log start are gone', { partition, from: stored.nextOffset.toString(), to: firstOffset.toString() });
      this.metrics.skipped({ partition, fromOffset: stored.nextOffset.toString(), toOffset: firstOffset.toString(), atMs: this.now() });
    }
    this.resumeAsked.delete(partition);
    const now = this.now();
    const nextOffset = stored && firstOffset <= stored.nextOffset ? stored.nextOffset : firstOffset;
    const state: PartitionState = {
      aggregator: stored ? WindowedAggregator.restore(lean(stored.state)) : this.freshAggregator(),
      source: `p${partition}`,
      nextOffset,
      loadedFromOffset: nextOffset,
      storedOffset: stored?.nextOffset,
      savedWindowIndex: stored?.watermarkMs == null ? null : Math.floor(stored.watermarkMs / this.settings.windowMs),
      checkpointedAtMs: now,
      unsaved: 0,
      writing: undefined,
      discarded: false,
      lastEventAtWallMs: now,
      caughtUp: false,
      endConfirmedAtMs: undefined,
    };
    this.partitions.set(partition, state);
    return state;
  }

  private freshAggregator(): WindowedAggregator {
    return new WindowedAggregator({ windowMs: this.settings.windowMs, allowedLatenessMs: this.settings.allowedLatenessMs, ...LEAN_STATE });
  }

  /**
   * Captures the state now and writes it in the background (one write at a time per partition; a due checkpoint
   * waits for the running one). A failed write discards this copy: the next batch reloads from the store.
   */
  private startCheckpoint(partition: number, state: PartitionState): void {
    if (state.writing) return;
    const closed = state.aggregator.closeReadyWindows();
    // Redeliveries are recognised by offset (stored with the state), so the eventId filter needn't be stored:
    // it only catches re-published duplicates while this process runs.
    const snapshot: AggregatorState = state.aggregator.snapshot({ includeEventIds: false });
    const previousOffset = state.storedOffset;
    const nextOffset = state.nextOffset;
    const unsaved = state.unsaved;
    const movedPastWindow = closed.length > 0 || windowIndexPassed(state, this.settings.windowMs);
    const windowIndex = snapshot.watermarkMs === null ? null : Math.floor(snapshot.watermarkMs / this.settings.windowMs);
    if (snapshot.watermarkMs !== null) this.metrics.partitionWatermarkMs.set(partition, snapshot.watermarkMs);
    state.checkpointedAtMs = this.now();
    state.writing = this.store.save(partition, previousOffset, nextOffset, snapshot, closed).then(
      () => {
        state.writing = undefined;
        state.storedOffset = nextOffset;
        if (windowIndex !== null && (state.savedWindowIndex === null || windowIndex > state.savedWindowIndex)) state.savedWindowIndex = windowIndex;
        state.unsaved -= unsaved;
        this.metrics.checkpoints++;
        if (movedPastWindow) this.options.onWindowsCheckpointed?.();
        if (!this.stopping && this.partitions.get(partition) === state && checkpointDue(state, this.now(), this.settings)) this.startCheckpoint(partition, state);
      },
      (error: unknown) => {
        state.writing = undefined;
        if (error instanceof PartitionOwnershipLostError) this.logger.warn('another instance saved the partition; reloading it', { partition });
        else this.logger.warn('checkpoint failed; the partition reloads from its last checkpoint', { partition, error });
        this.discard(partition, state);
      },
    );
  }

  /**
   * Drops a copy whose save failed (its closed windows were handed out: only a reload rebuilds them) and has the
   * partition delivered again from where the copy started: the next batch reloads the store and skips what it covers.
   */
  private discard(partition: number, state: PartitionState): void {
    state.discarded = true;
    if (this.partitions.get(partition) !== state) return;
    this.partitions.delete(partition);
    if (this.stopping) return;
    this.subscription?.resumeFrom?.(this.topic, partition, String(state.storedOffset ?? state.loadedFromOffset));
    // Its redelivery usually rebuilds it first; the reload waits an idle time, then backs off while the store is down.
    this.reloadPending.set(partition, { atMs: this.now() + this.settings.idleAfterMs, delayMs: this.settings.idleAfterMs });
  }

  /**
   * A discarded copy is rebuilt by the partition's next batch — but a partition with nothing after its checkpoint gets
   * none (e.g. its copy only moved its idle watermark, and the write failed as the database came back), and without a
   * copy its stored watermark would hold every window back until new traffic. So the tick reloads it from the store,
   * as caught up as of nothing: the end check (endOffsets) says whether it is idle or records are on their way.
   * Without an end check it waits for a batch, as before.
   */
  private async reloadDiscarded(partition: number): Promise<void> {
    if (this.partitions.has(partition) || (this.owned && !this.owned.has(partition))) {
      this.reloadPending.delete(partition);
      return;
    }
    const pending = this.reloadPending.get(partition);
    if (!this.options.endOffsets || !pending || this.now() < pending.atMs) return;
    const stored = await this.store.load(partition).catch(() => null);
    if (stored === null) {
      // The database may still be down: try again later, backing off up to 5 s.
      pending.delayMs = Math.min(pending.delayMs * 2, 5_000);
      pending.atMs = this.now() + pending.delayMs;
      return;
    }
    if (this.partitions.has(partition) || this.stopping) return;
    this.reloadPending.delete(partition);
    if (stored === undefined) return; // never saved: its first batch builds it
    const now = this.now();
    this.partitions.set(partition, {
      aggregator: WindowedAggregator.restore(lean(stored.state)),
      source: `p${partition}`,
      nextOffset: stored.nextOffset,
      loadedFromOffset: stored.nextOffset,
      storedOffset: stored.nextOffset,
      savedWindowIndex: stored.watermarkMs == null ? null : Math.floor(stored.watermarkMs / this.settings.windowMs),
      checkpointedAtMs: now,
      unsaved: 0,
      writing: undefined,
      discarded: false,
      lastEventAtWallMs: now,
      caughtUp: true,
      endConfirmedAtMs: undefined,
    });
  }

  /** Saves the partition's progress and waits for it (stop). */
  private async saveNow(partition: number): Promise<void> {
    const state = this.partitions.get(partition);
    if (!state) return;
    await state.writing;
    if (state.discarded || (state.unsaved === 0 && state.storedOffset !== undefined)) return;
    this.startCheckpoint(partition, state);
    await state.writing;
  }

  /**
   * Every tick: a quiet partition must not hold windows open forever — once caught up and without events for
   * idleAfterMs, its clock follows wall time (minus idleAfterMs), as far as the latest read of its end found nothing
   * more (see checkEnds); and a partition due a checkpoint gets it.
   */
  private async tick(): Promise<void> {
    const now = this.now();
    for (const partition of [...this.reloadPending.keys()]) await this.withPartition(partition, () => this.reloadDiscarded(partition));
    this.checkEnds(now);
    for (const [partition, state] of this.partitions) {
      if (this.owned && !this.owned.has(partition)) continue;
      // With an end check, the clock follows wall time only as far as the latest read that found the partition at its end.
      const idleUntil = !this.looksIdle(state, now) ? undefined : this.options.endOffsets ? state.endConfirmedAtMs : now;
      if (idleUntil === undefined && !checkpointDue(state, now, this.settings)) continue;
      await this.withPartition(partition, async () => {
        if (this.stopping || this.partitions.get(partition) !== state || (this.owned && !this.owned.has(partition))) return;
        if (idleUntil !== undefined) state.aggregator.advanceWatermark(state.source, Math.min(now, idleUntil) - this.settings.idleAfterMs);
        if (checkpointDue(state, now, this.settings) || state.aggregator.stats().closedWindowsPending > 0) this.startCheckpoint(partition, state);
      });
    }
  }

  private looksIdle(state: PartitionState, now: number): boolean {
    return state.caughtUp && now - state.lastEventAtWallMs >= this.settings.idleAfterMs;
  }

  /**
   * Reads the topic's end offsets (in the background, one read at a time) while partitions look idle. At its end: the
   * partition's clock may follow wall time up to when the read started (minus the idle time) — re-read every tick,
   * since records published later may wait unfetched (a consumer busy elsewhere, e.g. waiting out an outage on another
   * partition). Records beyond it: it is lagging (the next batch says where it stands). Unreadable: it holds its windows
   * where the last successful read left them.
   */
  private checkEnds(now: number): void {
    const probe = this.options.endOffsets;
    if (!probe || this.endCheck || this.stopping) return;
    const candidates = [...this.partitions].filter(([partition, state]) => (!this.owned || this.owned.has(partition)) && this.looksIdle(state, now));
    if (candidates.length === 0) return;
    const seen = new Map(candidates.map(([, state]) => [state, state.lastEventAtWallMs]));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no answer in ${END_CHECK_TIMEOUT_MS} ms`)), END_CHECK_TIMEOUT_MS);
    });
    this.endCheck = Promise.race([probe(this.topic), timedOut])
      .then(
        (ends) => {
          if (this.endCheckFailing) this.logger.info('partition end offsets readable again; idle partitions follow wall time', { topic: this.topic });
          this.endCheckFailing = false;
          for (const [partition, state] of candidates) {
            const end = ends.get(partition);
            // A batch applied since the read says where the partition stands; so does a reload.
            if (end === undefined || state.discarded || seen.get(state) !== state.lastEventAtWallMs) continue;
            if (end <= state.nextOffset) state.endConfirmedAtMs = now;
            else {
              state.caughtUp = false; // records wait beyond the (stale) highWatermark of its last batch, or arrived since
              state.endConfirmedAtMs = undefined;
            }
            this.metrics.partitionOffsetLag.set(partition, Number(end > state.nextOffset ? end - state.nextOffset : 0n));
          }
        },
        (error: unknown) => {
          if (!this.endCheckFailing) this.logger.warn('cannot read partition end offsets; idle partitions hold their windows until it can', { topic: this.topic, error });
          this.endCheckFailing = true;
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.endCheck = undefined;
      });
  }

  /** Serialises work on one partition (batches and ticks). */
  private async withPartition<R>(partition: number, work: () => Promise<R>): Promise<R> {
    const previous = this.locks.get(partition) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(partition, next.catch(() => undefined));
    return next;
  }
}
