import { decodeMessage, IrisEvent, TOPICS } from '@iris/contracts';
import type { DecodedMessage, MessageBus, RawMessage, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { ClosedWindow, isTelemetryEvent, TelemetryEvent, WindowedAggregator } from './aggregation';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import { PartitionOwnershipLostError, PartitionStore } from './partition-store';

interface PartitionState {
  aggregator: WindowedAggregator;
  /** Offsets below this are already in `aggregator` (and in the stored checkpoint once `stored` matches). */
  nextOffset: bigint;
  /** The offset the stored checkpoint covers (undefined: none stored yet). */
  storedOffset: bigint | undefined;
  lastEventAtWallMs: number;
  /** Whether the last batch reached the partition's end (a lagging partition is never treated as idle). */
  caughtUp: boolean;
  /** The watermark in the stored checkpoint (the emitter reads it). */
  storedWatermarkMs: number | null;
}

export interface TelemetryAggregatorOptions {
  /** The telemetry topic consumed. Default TOPICS.telemetry.name (other names: benchmarks, tests). */
  topic?: string;
}

const source = (partition: number) => `p${partition}`;

/** Telemetry topic records must be valid contract events of a telemetry type. */
export function decodeTelemetry(message: RawMessage): TelemetryEvent {
  const event: IrisEvent = decodeMessage(message.value);
  if (!isTelemetryEvent(event)) throw new Error(`unexpected event type ${event.type} on ${message.topic}`);
  return event;
}

/**
 * Consumes telemetry in batches and keeps one windowed aggregator per partition. After each batch the
 * partition's state is checkpointed in PostgreSQL with the offset it covers (before Kafka commits),
 * so a redelivered record (crash, rebalance) is recognised by its offset and counted once.
 */
export class TelemetryAggregator {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly locks = new Map<number, Promise<void>>();
  private subscription?: Subscription;
  /** Partitions this member owns; undefined until the bus says (the embedded bus never does: one process owns all). */
  private owned: Set<number> | undefined;
  private idleTimer?: NodeJS.Timeout;
  private readonly topic: string;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: PartitionStore,
    private readonly settings: AggregatorSettings,
    private readonly metrics: AggregatorMetrics,
    private readonly logger: JsonLogger,
    private readonly now: () => number = Date.now,
    options: TelemetryAggregatorOptions = {},
  ) {
    this.topic = options.topic ?? TOPICS.telemetry.name;
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<TelemetryEvent>({
      topic: this.topic,
      groupId: this.settings.consumerGroup,
      fromBeginning: true,
      maxBatchSize: this.settings.maxBatchSize,
      decode: (message) => {
        try {
          return decodeTelemetry(message);
        } catch (error) {
          this.metrics.deadLettered++;
          throw error;
        }
      },
      handleBatch: (messages) => this.handleBatch(messages),
      onAssignment: (change) => this.onAssignment(change),
    });
    this.idleTimer = setInterval(() => void this.advanceIdlePartitions(), Math.max(100, Math.floor(this.settings.idleAfterMs / 2)));
  }

  async stop(): Promise<void> {
    clearInterval(this.idleTimer);
    await this.subscription?.stop();
    await Promise.all(this.locks.values());
  }

  /** During a rebalance nothing is owned; after it, states of partitions now elsewhere are dropped (reloaded if they come back). */
  private onAssignment(change: { kind: 'rebalancing' } | { kind: 'assigned'; partitions: Array<{ topic: string; partition: number }> }): void {
    if (change.kind === 'rebalancing') {
      this.owned = new Set();
      return;
    }
    this.owned = new Set(change.partitions.filter((p) => p.topic === this.topic).map((p) => p.partition));
    for (const partition of [...this.partitions.keys()]) if (!this.owned.has(partition)) this.partitions.delete(partition);
    this.logger.info('telemetry partitions assigned', { partitions: [...this.owned].sort((a, b) => a - b) });
  }

  /** Figures of this instance's open (not yet closed) windows, for live views. */
  openAggregators(): WindowedAggregator[] {
    return [...this.partitions.values()].map((p) => p.aggregator);
  }

  async handleBatch(messages: Array<DecodedMessage<TelemetryEvent>>): Promise<void> {
    const byPartition = new Map<number, Array<DecodedMessage<TelemetryEvent>>>();
    for (const message of messages) {
      const list = byPartition.get(message.partition);
      if (list) list.push(message);
      else byPartition.set(message.partition, [message]);
    }
    for (const [partition, list] of byPartition) {
      await this.withPartition(partition, () => this.applyPartitionBatch(partition, list));
    }
  }

  private async applyPartitionBatch(partition: number, messages: Array<DecodedMessage<TelemetryEvent>>): Promise<void> {
    const state = await this.partitionState(partition, BigInt(messages[0].offset));
    let newestEventMs = -Infinity;
    for (const message of messages) {
      const offset = BigInt(message.offset);
      if (offset < state.nextOffset) {
        this.metrics.redeliveriesSkipped++;
        continue;
      }
      const result = state.aggregator.apply(message.value, source(partition));
      state.nextOffset = offset + 1n;
      if (result.outcome === 'applied') this.metrics.eventsApplied++;
      else if (result.outcome === 'duplicate') this.metrics.duplicates++;
      else if (result.outcome === 'late') this.metrics.lateEvents++;
      newestEventMs = Math.max(newestEventMs, Date.parse(message.value.occurredAt));
    }
    state.lastEventAtWallMs = this.now();
    const highWatermark = messages[messages.length - 1].highWatermark;
    state.caughtUp = highWatermark === undefined || state.nextOffset >= BigInt(highWatermark);
    if (highWatermark !== undefined) this.metrics.partitionOffsetLag.set(partition, Number(BigInt(highWatermark) - state.nextOffset));
    if (Number.isFinite(newestEventMs)) this.metrics.partitionDelayMs.set(partition, this.now() - newestEventMs);
    await this.checkpoint(partition, state);
  }

  /** Loads (or reloads after a rebalance) a partition's state from its checkpoint. */
  private async partitionState(partition: number, firstOffset: bigint): Promise<PartitionState> {
    const known = this.partitions.get(partition);
    // A batch that doesn't continue where we are means the partition moved (rebalance) or was redelivered: trust the store.
    if (known && firstOffset === known.nextOffset) return known;
    const stored = await this.store.load(partition);
    const state: PartitionState = stored
      ? {
          aggregator: WindowedAggregator.restore(stored.state),
          nextOffset: stored.nextOffset,
          storedOffset: stored.nextOffset,
          lastEventAtWallMs: this.now(),
          caughtUp: false,
          storedWatermarkMs: stored.watermarkMs,
        }
      : {
          aggregator: new WindowedAggregator({ windowMs: this.settings.windowMs, allowedLatenessMs: this.settings.allowedLatenessMs }),
          nextOffset: 0n,
          storedOffset: undefined,
          lastEventAtWallMs: this.now(),
          caughtUp: false,
          storedWatermarkMs: null,
        };
    this.partitions.set(partition, state);
    return state;
  }

  private async checkpoint(partition: number, state: PartitionState): Promise<void> {
    const closed: ClosedWindow[] = state.aggregator.closeReadyWindows();
    // Redeliveries are recognised by offset (stored with the state), so the eventId filter needn't be stored:
    // it only catches re-published duplicates while this process runs.
    const snapshot = state.aggregator.snapshot({ includeEventIds: false });
    const watermark = state.aggregator.watermarkMs;
    if (watermark !== null) this.metrics.partitionWatermarkMs.set(partition, watermark);
    try {
      await this.store.save(partition, state.storedOffset, state.nextOffset, snapshot, closed);
      state.storedOffset = state.nextOffset;
      state.storedWatermarkMs = snapshot.watermarkMs;
      this.metrics.checkpoints++;
    } catch (error) {
      // Another instance owns the partition now (or the write failed): forget our copy, reload next time.
      this.partitions.delete(partition);
      if (error instanceof PartitionOwnershipLostError) this.logger.warn('partition moved to another instance', { partition });
      throw error;
    }
  }

  /**
   * A quiet partition must not hold windows open forever: once it has been caught up and without events
   * for idleAfterMs, its clock follows wall time (minus idleAfterMs), and the checkpoint records the new
   * watermark so the emitter can close windows other partitions have data for.
   */
  private async advanceIdlePartitions(): Promise<void> {
    const now = this.now();
    for (const [partition, state] of this.partitions) {
      if (this.owned && !this.owned.has(partition)) continue;
      if (!state.caughtUp || now - state.lastEventAtWallMs < this.settings.idleAfterMs) continue;
      await this.withPartition(partition, async () => {
        if (this.partitions.get(partition) !== state || (this.owned && !this.owned.has(partition))) return;
        state.aggregator.advanceWatermark(source(partition), now - this.settings.idleAfterMs);
        const watermark = state.aggregator.watermarkMs;
        const moved = watermark !== null && (state.storedWatermarkMs === null || watermark - state.storedWatermarkMs >= this.settings.windowMs);
        if (!moved && state.aggregator.stats().closedWindowsPending === 0) return;
        await this.checkpoint(partition, state).catch((error: unknown) => this.logger.warn('idle checkpoint failed', { partition, error }));
      });
    }
  }

  /** Serialises work on one partition (batches and idle advances). */
  private async withPartition(partition: number, work: () => Promise<void>): Promise<void> {
    const previous = this.locks.get(partition) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(partition, next.catch(() => undefined));
    await next;
  }
}
