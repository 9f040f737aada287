import type { MessageBus, OutgoingMessage } from '@iris/messaging';
import { backoffDelayMs } from './backoff';
import { AgentSdkLogger, rateLimitedLogger } from './logger';
import { ResolvedClientOptions } from './options';
import { RecordRing } from './record-ring';
import { encodeTelemetryRecord, TelemetrySource } from './telemetry-encoder';
import { PendingRecord } from './telemetry-input';
import { TelemetryError, TelemetryStats, toTelemetryError } from './telemetry-stats';

/** A batch taken from the ring: its valid messages (with their sequence numbers) up to sequence `end`. */
interface Batch {
  end: number;
  seqs: number[];
  messages: OutgoingMessage[];
  attempts: number;
}

/** idle: nothing buffered, no timer; scheduled: flush after the interval; due: flush on the next tick. */
type FlusherState = 'idle' | 'scheduled' | 'due' | 'running';

/**
 * Background half of the client: drains the ring in batches, encodes + validates, publishes and awaits
 * the ack; on failure keeps the batch and retries with jittered exponential backoff. Publishes one batch
 * at a time, so per-session order is kept. Never throws or rejects.
 *
 * Records stay in the ring until acknowledged: a full ring evicts the oldest. Records evicted while their
 * batch is being published count as dropped only if that publish fails (else they were delivered).
 */
export class TelemetryFlusher {
  private readonly ring: RecordRing<PendingRecord>;
  private readonly throttledLog: AgentSdkLogger;
  private state: FlusherState = 'idle';
  private timer?: NodeJS.Timeout;
  private batch?: Batch;
  /** The following batch, encoded while `batch` awaits its ack. */
  private next?: Batch;
  /** Records below this sequence are in a batch already (or `carried`). */
  private takenUpTo = 0;
  /** An encoded message that did not fit in the byte bound of the batch taken before: first of the next batch. */
  private carried?: { seq: number; message: OutgoingMessage; bytes: number };
  /** A publish of `batch` is awaiting its outcome. */
  private inFlight = false;
  private closing = false;
  private stopped = false;
  private cutSleepShort?: () => void;
  private drainedWaiters: Array<() => void> = [];
  private loggedOverflow = 0;

  private published = 0;
  private droppedOverflow = 0;
  private invalidDropped = 0;
  private publishFailures = 0;
  private lastError: TelemetryError | null = null;

  constructor(
    private readonly transport: MessageBus,
    private readonly source: TelemetrySource,
    private readonly options: ResolvedClientOptions,
  ) {
    this.ring = new RecordRing(options.maxBufferedEvents);
    this.throttledLog = rateLimitedLogger(options.logger, options.logIntervalMs);
  }

  /** Hot path: O(1), no allocation beyond the ring slot, at most one timer per flush interval. */
  add(record: PendingRecord): void {
    if (this.ring.push(record) && !this.isInFlight(this.ring.headSeq - 1)) this.droppedOverflow++;
    if (this.state === 'idle') this.schedule(this.options.flushIntervalMs);
    else if (this.state === 'scheduled' && this.ring.size >= this.options.maxBatchSize) this.schedule(0);
  }

  stats(): Omit<TelemetryStats, 'recorded' | 'droppedAfterClose'> {
    return {
      published: this.published,
      droppedOverflow: this.droppedOverflow,
      invalidDropped: this.invalidDropped,
      buffered: this.ring.size,
      publishFailures: this.publishFailures,
      lastError: this.lastError,
    };
  }

  /** Flushes everything now, waiting at most `timeoutMs`; then stops. Resolves to the events left unsent. */
  async drainAndStop(timeoutMs: number): Promise<number> {
    this.closing = true;
    if (this.state === 'scheduled') this.schedule(0);
    this.cutSleepShort?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drained(), new Promise<void>((done) => (timer = setTimeout(done, timeoutMs)))]);
    clearTimeout(timer);
    this.stopped = true;
    clearTimeout(this.timer);
    this.cutSleepShort?.();
    this.logOverflowIfGrown();
    return this.ring.size;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.state = delayMs === 0 ? 'due' : 'scheduled';
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref(); // buffered telemetry never keeps the agent alive; close() does the final flush
  }

  private async run(): Promise<void> {
    this.state = 'running';
    this.timer = undefined;
    try {
      while (!this.stopped) {
        if (!this.batch) {
          this.batch = this.next ?? this.takeBatch();
          this.next = undefined;
          if (!this.batch) break;
        }
        await this.publish(this.batch);
        this.logOverflowIfGrown();
      }
    } catch (error) {
      this.options.logger.log('error', 'telemetry flusher failed unexpectedly', { error: toTelemetryError(error) });
    } finally {
      this.state = 'idle';
      if (!this.stopped && (this.batch || this.next || this.ring.size > 0)) this.schedule(this.options.retryBackoffMaxMs);
      else this.notifyDrained();
    }
  }

  /**
   * Encodes the next untaken records (undefined when there are none), up to maxBatchSize events and
   * maxBatchBytes bytes. The message that would overflow the byte bound is carried to the next batch
   * (encoded once), so a batch ends just before it.
   */
  private takeBatch(): Batch | undefined {
    const carried = this.carried;
    this.carried = undefined;
    const hasCarried = carried !== undefined && carried.seq >= this.ring.headSeq; // else evicted meanwhile (counted by add())
    const start = Math.max(this.ring.headSeq, this.takenUpTo);
    const end = Math.min(this.ring.tailSeq, start + this.options.maxBatchSize - (hasCarried ? 1 : 0));
    if (end <= start && !hasCarried) return undefined;
    const maxBytes = this.options.maxBatchBytes;
    const batch: Batch = { end, seqs: [], messages: [], attempts: 0 };
    let bytes = 0;
    if (hasCarried) {
      batch.seqs.push(carried.seq);
      batch.messages.push(carried.message);
      bytes = carried.bytes;
    }
    let seq = start;
    for (; seq < end; seq++) {
      const result = encodeTelemetryRecord(this.ring.at(seq), this.source);
      if (!result.ok) {
        this.onInvalid(result.error);
        continue;
      }
      const size = messageBytes(result.message);
      if (bytes + size > maxBytes && batch.messages.length > 0) {
        this.carried = { seq, message: result.message, bytes: size };
        batch.end = seq; // the carried record stays in the ring until its own batch is acknowledged
        seq++;
        break;
      }
      bytes += size;
      batch.seqs.push(seq);
      batch.messages.push(result.message);
    }
    this.takenUpTo = seq;
    return batch;
  }

  private async publish(batch: Batch): Promise<void> {
    this.dropEvicted(batch, false); // evicted during a backoff: counted by add()
    if (batch.messages.length > 0) {
      this.inFlight = true;
      try {
        const acked = this.transport.publish(this.options.topic, batch.messages);
        if (!this.next) {
          // Encode the next batch while waiting for the ack — after a turn of the event loop, so the transport
          // has built and written its request first (else the broker would idle while we encode).
          acked.catch(() => undefined); // handled below; not an unhandled rejection meanwhile
          await new Promise<void>((next) => setImmediate(next));
          this.next ??= this.takeBatch();
        }
        await acked;
        this.published += batch.messages.length;
      } catch (error) {
        this.inFlight = false;
        this.onPublishFailure(batch, error);
        await this.sleep(backoffDelayMs(batch.attempts, this.options.retryBackoffMinMs, this.options.retryBackoffMaxMs));
        return;
      } finally {
        this.inFlight = false;
      }
    }
    this.ring.releaseBefore(batch.end);
    this.batch = undefined;
  }

  private onPublishFailure(batch: Batch, error: unknown): void {
    batch.attempts++;
    this.publishFailures++;
    this.lastError = toTelemetryError(error);
    this.dropEvicted(batch, true); // evicted while in flight: lost now that the publish failed
    this.throttledLog.log('warn', 'telemetry publish failed; keeping the batch and retrying', {
      error: this.lastError.message,
      attempt: batch.attempts,
      buffered: this.ring.size,
    });
  }

  /** Removes the batch's messages whose records the full ring evicted meanwhile. */
  private dropEvicted(batch: Batch, count: boolean): void {
    const head = this.ring.headSeq;
    let evicted = 0;
    while (evicted < batch.seqs.length && batch.seqs[evicted] < head) evicted++;
    if (evicted === 0) return;
    batch.seqs.splice(0, evicted);
    batch.messages.splice(0, evicted);
    if (count) this.droppedOverflow += evicted;
  }

  /** Evictions of a batch being published are counted only if that publish fails. */
  private isInFlight(seq: number): boolean {
    return this.inFlight && seq < this.batch!.end;
  }

  private onInvalid(error: Error): void {
    this.invalidDropped++;
    if ((this.invalidDropped - 1) % this.options.logInvalidEvery === 0) {
      this.options.logger.log('warn', 'invalid telemetry event dropped (not sent)', {
        error: error.message,
        invalidDropped: this.invalidDropped,
        loggedOncePer: this.options.logInvalidEvery,
      });
    }
  }

  private logOverflowIfGrown(): void {
    if (this.droppedOverflow === this.loggedOverflow) return;
    this.loggedOverflow = this.droppedOverflow;
    this.throttledLog.log('warn', 'telemetry buffer full: oldest events dropped', {
      droppedOverflow: this.droppedOverflow,
      maxBufferedEvents: this.options.maxBufferedEvents,
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(finish, this.closing ? Math.min(ms, this.options.retryBackoffMinMs) : ms);
      timer.unref();
      function finish() {
        clearTimeout(timer);
        done();
      }
      this.cutSleepShort = finish;
    });
  }

  private drained(): Promise<void> {
    if (this.state === 'idle' && !this.batch && !this.next && this.ring.size === 0) return Promise.resolve();
    return new Promise((done) => this.drainedWaiters.push(done));
  }

  private notifyDrained(): void {
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const done of waiters) done();
  }
}

/** Kafka record framing besides key and value (length, attributes, deltas, key / value lengths, headers), rounded up. */
export const RECORD_OVERHEAD_BYTES = 16;

/** What the byte bound of a batch counts for a message: UTF-8 key and value plus the record framing. */
export function messageBytes(message: OutgoingMessage): number {
  return RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
}

function byteLength(data: OutgoingMessage['value']): number {
  if (data == null) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}
