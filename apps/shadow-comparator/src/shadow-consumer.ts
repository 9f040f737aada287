import { decodeFromTopic, TOPICS } from '@iris/contracts';
import type { ShadowComparatorSettings } from '@iris/config';
import type { BatchOutcome, DecodedMessage, MessageBus, RawMessage, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { ComparisonStore, PartitionOwnershipLostError, type StoredComparison, type TallyRow } from './comparison-store';
import {
  countInto,
  emptyTally,
  pairingDecider,
  pairingStateFromJSON,
  pairingStateToJSON,
  runOf,
  tallyKeyOf,
  type PairingCommand,
  type PairingDecider,
  type PairingEvent,
  type PairingState,
  type RunRecord,
  type Scorer,
} from './domain';
import type { ShadowMetrics } from './shadow-metrics';

/** A telemetry record as the comparator sees it: a run to pair, or nothing to do (only its time counts). */
export type ShadowInput = { run: RunRecord | undefined; kafkaTimeMs: number };

interface PartitionState {
  pairing: PairingState;
  nextOffset: bigint;
  storedOffset: bigint | undefined;
  loadedFromOffset: bigint;
  /** Tallies added since the last checkpoint (saved as deltas: added to what is stored). */
  deltas: Map<string, TallyRow>;
  comparisons: StoredComparison[];
  unsaved: number;
  writing: Promise<void> | undefined;
  discarded: boolean;
  checkpointedAtMs: number;
  lastRecordAtWallMs: number;
  caughtUp: boolean;
}

export interface ShadowConsumerOptions {
  topic?: string;
  scorer?: Scorer;
}

const SHADOW_MARKER = Buffer.from('"shadow');

/**
 * Consumes telemetry with its own consumer group, pairs primary and shadow runs per partition (the pairing
 * decider), and checkpoints — in one transaction — the pairing state with the offset it covers, the window
 * tallies those offsets added and the comparisons they produced. Kafka commits only what a checkpoint covers
 * (committableOffset): a crash or rebalance redelivers the rest, recognised by offset, so no pair is lost or
 * counted twice. The same structure as the metrics aggregator's TelemetryAggregator.
 */
export class ShadowConsumer {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly resumeAsked = new Map<number, bigint>();
  private readonly decider: PairingDecider;
  private subscription?: Subscription;
  private owned: Set<number> | undefined;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly topic: string;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: ComparisonStore,
    private readonly settings: ShadowComparatorSettings,
    private readonly metrics: ShadowMetrics,
    private readonly logger: JsonLogger,
    private readonly now: () => number = Date.now,
    private readonly options: ShadowConsumerOptions = {},
  ) {
    this.topic = options.topic ?? TOPICS.telemetry.name;
    this.decider = pairingDecider({ timeoutMs: settings.pairTimeoutMs, scorer: options.scorer });
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<ShadowInput>({
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

  /** Only records that mention a shadow run are parsed: the rest of the telemetry is none of the comparator's business. */
  private decode(message: RawMessage): ShadowInput {
    const kafkaTimeMs = Number(message.timestamp);
    const value = message.value;
    const bytes = value === null || value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(String(value));
    if (bytes === undefined || !bytes.includes(SHADOW_MARKER)) return { run: undefined, kafkaTimeMs };
    const event = decodeFromTopic(TOPICS.telemetry, bytes);
    return { run: event.type === 'agent.request.completed' ? runOf(event) : undefined, kafkaTimeMs };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping = true;
    await Promise.all([...this.partitions.keys()].map((partition) => this.withPartition(partition, () => this.saveNow(partition))));
    await this.subscription?.stop();
    await Promise.all(this.locks.values());
    await Promise.all([...this.partitions.values()].map((state) => state.writing));
  }

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

  async handleBatch(messages: Array<DecodedMessage<ShadowInput>>): Promise<void | BatchOutcome> {
    if (messages.length === 0) return;
    const partition = messages[0]!.partition;
    return this.withPartition(partition, () => this.applyPartitionBatch(partition, messages));
  }

  private async applyPartitionBatch(partition: number, messages: Array<DecodedMessage<ShadowInput>>): Promise<void | BatchOutcome> {
    const firstOffset = BigInt(messages[0]!.offset);
    let state = this.partitions.get(partition);
    if (state === undefined || state.discarded || firstOffset !== state.nextOffset) {
      const resumed = await this.resume(partition, firstOffset);
      if (!('pairing' in resumed)) return resumed;
      state = resumed;
    }
    let start = 0;
    while (start < messages.length && BigInt(messages[start]!.offset) < state.nextOffset) start++;
    this.metrics.redeliveriesSkipped += start;
    let latestKafkaMs = -Infinity;
    for (let i = start; i < messages.length; i++) {
      const { run, kafkaTimeMs } = messages[i]!.value;
      if (kafkaTimeMs > latestKafkaMs) latestKafkaMs = kafkaTimeMs;
      if (run) this.apply(state, { type: 'RecordRun', run });
    }
    // Irrelevant records move the partition's clock too (their log time), so a busy partition without shadow runs holds no window open.
    if (Number.isFinite(latestKafkaMs)) this.apply(state, { type: 'AdvanceClock', atMs: latestKafkaMs });
    const last = messages[messages.length - 1]!;
    if (start < messages.length) state.nextOffset = BigInt(last.offset) + 1n;
    state.unsaved += messages.length - start;
    state.lastRecordAtWallMs = this.now();
    state.caughtUp = last.highWatermark === undefined || state.nextOffset >= BigInt(last.highWatermark);
    if (this.stopping) await this.saveNow(partition);
    else if (this.checkpointDue(state)) this.startCheckpoint(partition, state);
  }

  /** decide → evolve, and the outcomes into this partition's unsaved tallies and comparisons. */
  private apply(state: PartitionState, command: PairingCommand): void {
    const events = this.decider.decide(command, state.pairing);
    for (const event of events) {
      state.pairing = this.decider.evolve(state.pairing, event);
      this.count(state, event);
    }
  }

  private count(state: PartitionState, event: PairingEvent): void {
    const key = tallyKeyOf(event, this.settings.windowMs);
    if (!key) return;
    const id = `${key.environment}\u0000${key.agent}\u0000${key.baselineVersionId}\u0000${key.candidateVersionId}\u0000${key.noise}\u0000${key.windowStartMs}`;
    let row = state.deltas.get(id);
    if (!row) state.deltas.set(id, (row = { ...key, tally: emptyTally() }));
    countInto(row.tally, event);
    if (event.type === 'PairCompared') {
      this.metrics.pairsCompared++;
      // Identical pairs are in the tallies; storing both sides of each would load the database for nothing to look at.
      if (event.comparison.divergence === 0 && this.settings.storeComparisons === 'divergent') return;
      state.comparisons.push({
        ...key,
        sessionId: event.primary.sessionId,
        requestId: event.primary.requestId,
        atMs: event.primary.atMs,
        divergence: event.comparison.divergence,
        differences: event.comparison.differences,
        comparison: event.comparison,
        primaryRun: this.storedRun(event.primary),
        shadowRun: this.storedRun(event.shadow),
      });
    } else if (event.type === 'ShadowUnpaired') {
      this.metrics.shadowFailures++;
      state.comparisons.push({
        ...key,
        sessionId: event.sessionId,
        requestId: event.requestId,
        atMs: event.atMs,
        divergence: 10,
        differences: ['unpaired'],
        comparison: { unpaired: true, missing: event.missing },
        primaryRun: null,
        shadowRun: null,
      });
    }
  }

  private storedRun(run: RunRecord): RunRecord {
    const max = this.settings.maxStoredOutputChars;
    if (run.output === undefined || run.output.length <= max) return run;
    return { ...run, output: run.output.slice(0, max) };
  }

  private async resume(partition: number, firstOffset: bigint): Promise<PartitionState | BatchOutcome> {
    const previous = this.partitions.get(partition);
    if (previous) {
      previous.discarded = true;
      this.partitions.delete(partition);
      await previous.writing;
    }
    const stored = await this.store.load(partition);
    if (stored && firstOffset > stored.nextOffset) {
      if (this.resumeAsked.get(partition) !== stored.nextOffset) {
        this.resumeAsked.set(partition, stored.nextOffset);
        this.logger.info('resuming partition from its checkpoint', { partition, from: stored.nextOffset.toString(), batchFrom: firstOffset.toString() });
        return { resumeFrom: stored.nextOffset.toString() };
      }
      this.logger.warn('records between the checkpoint and the log start are gone', { partition, from: stored.nextOffset.toString(), to: firstOffset.toString() });
    }
    this.resumeAsked.delete(partition);
    const nextOffset = stored && firstOffset <= stored.nextOffset ? stored.nextOffset : firstOffset;
    const now = this.now();
    const state: PartitionState = {
      pairing: stored ? pairingStateFromJSON(stored.state) : this.decider.initialState(),
      nextOffset,
      storedOffset: stored?.nextOffset,
      loadedFromOffset: nextOffset,
      deltas: new Map(),
      comparisons: [],
      unsaved: 0,
      writing: undefined,
      discarded: false,
      checkpointedAtMs: now,
      lastRecordAtWallMs: now,
      caughtUp: false,
    };
    this.partitions.set(partition, state);
    return state;
  }

  private checkpointDue(state: PartitionState): boolean {
    return (state.unsaved > 0 || state.storedOffset === undefined || state.deltas.size > 0) && this.now() - state.checkpointedAtMs >= this.settings.checkpointIntervalMs;
  }

  /** Captures the state, deltas and comparisons now and writes them in the background (one write at a time per partition). */
  private startCheckpoint(partition: number, state: PartitionState): void {
    if (state.writing) return;
    const snapshot = pairingStateToJSON(state.pairing);
    const json = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot; // later evolves must not change what is being written
    const deltas = [...state.deltas.values()];
    const comparisons = state.comparisons;
    state.deltas = new Map();
    state.comparisons = [];
    const previousOffset = state.storedOffset;
    const nextOffset = state.nextOffset;
    const unsaved = state.unsaved;
    state.checkpointedAtMs = this.now();
    state.writing = this.store.save(partition, previousOffset, nextOffset, json, deltas, comparisons).then(
      () => {
        state.writing = undefined;
        state.storedOffset = nextOffset;
        state.unsaved -= unsaved;
        this.metrics.checkpoints++;
        if (!this.stopping && this.partitions.get(partition) === state && this.checkpointDue(state)) this.startCheckpoint(partition, state);
      },
      (error: unknown) => {
        state.writing = undefined;
        if (error instanceof PartitionOwnershipLostError) this.logger.warn('another instance saved the partition; reloading it', { partition });
        else this.logger.warn('checkpoint failed; the partition reloads from its last checkpoint', { partition, error });
        this.discard(partition, state);
      },
    );
  }

  private discard(partition: number, state: PartitionState): void {
    state.discarded = true;
    if (this.partitions.get(partition) !== state) return;
    this.partitions.delete(partition);
    if (!this.stopping) this.subscription?.resumeFrom?.(this.topic, partition, String(state.storedOffset ?? state.loadedFromOffset));
  }

  private async saveNow(partition: number): Promise<void> {
    const state = this.partitions.get(partition);
    if (!state) return;
    await state.writing;
    if (state.discarded || (state.unsaved === 0 && state.deltas.size === 0 && state.storedOffset !== undefined)) return;
    this.startCheckpoint(partition, state);
    await state.writing;
  }

  /** A caught-up, quiet partition's clock follows wall time (pending pairs time out, windows close); due checkpoints are written. */
  private async tick(): Promise<void> {
    const now = this.now();
    for (const [partition, state] of this.partitions) {
      if (this.owned && !this.owned.has(partition)) continue;
      const idle = state.caughtUp && now - state.lastRecordAtWallMs >= this.settings.idleAfterMs;
      if (!idle && !this.checkpointDue(state)) continue;
      await this.withPartition(partition, async () => {
        if (this.stopping || this.partitions.get(partition) !== state || (this.owned && !this.owned.has(partition))) return;
        if (idle) {
          const atMs = now - this.settings.idleAfterMs;
          if (state.pairing.clockMs === null || atMs > state.pairing.clockMs) {
            this.apply(state, { type: 'AdvanceClock', atMs });
            state.unsaved++; // the moved clock must reach the store (the reporter reads it)
          }
        }
        if (this.checkpointDue(state)) this.startCheckpoint(partition, state);
      });
    }
  }

  private async withPartition<R>(partition: number, work: () => Promise<R>): Promise<R> {
    const previous = this.locks.get(partition) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(partition, next.catch(() => undefined));
    return next;
  }
}
