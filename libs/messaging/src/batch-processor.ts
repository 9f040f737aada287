import { ConsumerHealth } from './consumer-health';
import { DeadLetterHeaders, DeadLetterKind, errorReason, splitBySize, toDeadLetter } from './dead-letter';
import { classifyError } from './error-classification';
import { BatchOutcome, DecodedMessage, OutgoingMessage, RawMessage } from './message-bus';
import { MessagingLogger } from './logger';
import { ResolvedSubscriptionOptions } from './subscription-options';

/**
 * Decode → handle → retry → isolate → dead-letter, for the messages of ONE topic-partition.
 * Shared by every MessageBus implementation so their delivery semantics are identical:
 * - messages whose decode throws are dead-lettered as `invalid`;
 * - valid messages go to handleBatch in order, in chunks of maxBatchSize;
 * - a handler failing with a RETRIABLE error (classifyError: a dependency is down, not the message) is retried with
 *   capped exponential backoff for as long as it takes, heartbeating, and reported to the bus's ConsumerHealth
 *   (readiness, metrics, one log line per outage); it is never dead-lettered; a stop ends the wait, nothing counted;
 * - a failing chunk (other errors) is retried with exponential backoff up to maxRetries (none for a PERMANENT error),
 *   then handled message by message (with the same retries), and only messages that still fail are dead-lettered
 *   as `handler-failed`;
 * - a dead-letter write that fails is retried like a retriable failure: a message is never skipped unwritten;
 * - after each chunk, markProcessed(lastOffset) lets the caller commit: never before processing;
 * - a handler asking to resume from an offset (BatchOutcome) gets the partition sought there; the rest is dropped.
 * So one bad message can never block its partition for longer than the bounded retries, and an outage never
 * sends good messages to the dead-letter topic.
 */
export interface PartitionBatchContext {
  /** Awaited publish of dead letters for the given source topic. */
  deadLetter(sourceTopic: string, letters: OutgoingMessage[]): Promise<void>;
  /** Everything up to and including lastOffset is handled or dead-lettered. */
  markProcessed(lastOffset: string): void | Promise<void>;
  /** Keeps group membership alive during long work; may throw when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** True when the rest of the batch should be left for later (stopping, partition revoked). */
  shouldStop(): boolean;
  /** Delivers the partition again from `offset` (nothing from it on counts as processed). Needed by handlers returning a BatchOutcome. */
  seek?(offset: string): void | Promise<void>;
  /** Told about partitions waiting out retriable failures, and about dead letters written. */
  health: ConsumerHealth;
  logger: MessagingLogger;
}

const MAX_BACKOFF_MS = 30_000;
const HEARTBEAT_EVERY_MS = 1_000;
/** How often a partition waiting out an outage looks whether the consumer is stopping. */
const STOP_CHECK_EVERY_MS = 200;

export async function processPartitionBatch<T>(
  messages: readonly RawMessage[],
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<void> {
  const chunkSize = options.maxBatchSize;
  for (let start = 0; start < messages.length; start += chunkSize) {
    if (start > 0) {
      if (context.shouldStop()) return;
      await context.heartbeat();
    }
    const end = Math.min(start + chunkSize, messages.length);
    const resumeFrom = await processChunk(messages, start, end, options, context);
    if (resumeFrom === STOPPED) return; // stopped while waiting out an outage: nothing from this chunk on is processed
    if (resumeFrom !== undefined) {
      if (!context.seek) throw new Error('this bus cannot resume a partition from an offset');
      await context.seek(resumeFrom);
      return;
    }
    await context.markProcessed(messages[end - 1].offset);
  }
}

/**
 * Processes messages[start, end); index ranges rather than slices keep the hot path allocation-light.
 * Returns the offset the handler asked to resume from, if it did, or STOPPED.
 */
async function processChunk<T>(
  messages: readonly RawMessage[],
  start: number,
  end: number,
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<string | typeof STOPPED | undefined> {
  const valid: Array<DecodedMessage<T>> = [];
  let sources: number[] | undefined; // indexes of valid messages, only needed once something was invalid
  const deadLetters: OutgoingMessage[] = [];
  const decode = options.decode;
  for (let i = start; i < end; i++) {
    const raw = messages[i];
    let value: T;
    try {
      value = decode(raw);
    } catch (error) {
      sources ??= Array.from({ length: valid.length }, (_, k) => start + k);
      deadLetters.push(deadLetterOf(raw, 'invalid', error, context));
      continue;
    }
    valid.push(toDecoded(raw, value));
    sources?.push(i);
  }
  const sourceOf = (validIndex: number) => messages[sources ? sources[validIndex] : start + validIndex];

  let resumeFrom: string | undefined;
  if (valid.length > 0) {
    const outcome = await handleWithRetries(valid, options, context);
    if ('stopped' in outcome) return STOPPED;
    if (outcome.ok) {
      resumeFrom = outcome.resumeFrom;
    } else if (valid.length === 1) {
      deadLetters.push(deadLetterOf(sourceOf(0), 'handler-failed', outcome.error, context));
    } else {
      // Isolate the culprit(s): messages that succeed alone are kept, the rest is dead-lettered.
      for (let i = 0; i < valid.length && resumeFrom === undefined; i++) {
        const alone = await handleWithRetries([valid[i]], options, context);
        if ('stopped' in alone) return STOPPED;
        if (alone.ok) resumeFrom = alone.resumeFrom;
        else deadLetters.push(deadLetterOf(sourceOf(i), 'handler-failed', alone.error, context));
      }
    }
  }

  // Messages at or after a resume point come again: their dead letters would be duplicates.
  const letters = resumeFrom === undefined ? deadLetters : deadLetters.filter((letter) => BigInt(sourceOffsetOf(letter)) < BigInt(resumeFrom!));
  if (letters.length > 0 && !(await writeDeadLetters(messages[start], letters, options, context))) return STOPPED;
  return resumeFrom;
}

/** Returned instead of an offset when the consumer stopped while waiting out an outage. */
const STOPPED = Symbol('stopped');

type HandleOutcome = { ok: true; resumeFrom?: string } | { ok: false; error: unknown } | { stopped: true };

/**
 * Calls handleBatch until it succeeds, or until a non-retriable error has been retried maxRetries times (a permanent
 * one: not at all). Retriable errors are waited out (see waitOut) and don't use up the retries.
 */
async function handleWithRetries<T>(
  messages: Array<DecodedMessage<T>>,
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<HandleOutcome> {
  const first = messages[0];
  const outage = new OutageWait(first, options, context);
  for (let attempt = 0; ; ) {
    try {
      const outcome: void | BatchOutcome = await withHeartbeat(context, () => options.handleBatch(messages));
      outage.over('recovered');
      return outcome ? { ok: true, resumeFrom: outcome.resumeFrom } : { ok: true };
    } catch (error) {
      const kind = classifyError(error);
      if (kind === 'retriable') {
        if (!(await outage.retryAfter(error))) return { stopped: true };
        continue;
      }
      outage.over('recovered');
      const last = kind === 'permanent' || attempt >= options.maxRetries;
      context.logger.log(last ? 'error' : 'warn', 'handleBatch failed', {
        topic: first.topic,
        partition: first.partition,
        firstOffset: first.offset,
        count: messages.length,
        attempt: attempt + 1,
        maxAttempts: kind === 'permanent' ? attempt + 1 : options.maxRetries + 1,
        errorClass: kind,
        error: errorReason(error),
      });
      if (last) return { ok: false, error };
      await backoff(Math.min(options.retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS), context);
      attempt++;
    }
  }
}

/**
 * Writes a chunk's dead letters, in writes no larger than a dead letter may be (so several large ones never make one
 * request the broker refuses); a failed write is waited out like an outage (never skipped). False: stopped meanwhile.
 */
async function writeDeadLetters<T>(
  source: { topic: string; partition: number },
  letters: OutgoingMessage[],
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<boolean> {
  const outage = new OutageWait(source, options, context);
  for (const group of splitBySize(letters)) {
    for (;;) {
      try {
        await context.deadLetter(source.topic, group);
        outage.over('recovered');
        context.health.countDeadLetters(group.length);
        options.onDeadLettered?.(group);
        break;
      } catch (error) {
        if (!(await outage.retryAfter(new Error(`dead-letter write failed: ${errorReason(error)}`)))) return false;
      }
    }
  }
  return true;
}

/** One partition waiting out a retriable failure: capped exponential backoff, heartbeats, reported to ConsumerHealth. */
class OutageWait<T> {
  private attempts = 0;

  constructor(
    private readonly source: { topic: string; partition: number },
    private readonly options: ResolvedSubscriptionOptions<T>,
    private readonly context: PartitionBatchContext,
  ) {}

  /** Waits before the next attempt; false when the consumer is stopping (or the partition was sought). */
  async retryAfter(error: unknown): Promise<boolean> {
    const { topic, partition } = this.source;
    this.context.health.retrying(this.options.groupId, topic, partition, errorReason(error));
    const delay = Math.min(Math.max(this.options.retryBackoffMs, 10) * 2 ** Math.min(this.attempts, 20), this.options.maxOutageBackoffMs);
    this.attempts++;
    try {
      if (await waitOut(delay, this.context)) return true;
    } catch (heartbeatError) {
      this.over('stopped'); // e.g. the group is rebalancing: the bus rejoins and the partition comes again
      throw heartbeatError;
    }
    this.over('stopped');
    return false;
  }

  over(outcome: 'recovered' | 'stopped'): void {
    if (this.attempts === 0) return;
    this.attempts = 0;
    this.context.health.resumed(this.options.groupId, this.source.topic, this.source.partition, outcome);
  }
}

/** Sleeps `ms` in heartbeat-sized steps; false as soon as the consumer should stop. Heartbeat errors propagate. */
async function waitOut(ms: number, context: PartitionBatchContext): Promise<boolean> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    if (context.shouldStop()) return false;
    await new Promise((done) => setTimeout(done, Math.min(left, STOP_CHECK_EVERY_MS)));
    await context.heartbeat();
  }
  return !context.shouldStop();
}

function deadLetterOf(raw: RawMessage, kind: DeadLetterKind, error: unknown, context: PartitionBatchContext): OutgoingMessage {
  const reason = errorReason(error);
  context.logger.log('warn', 'dead-lettering message', { topic: raw.topic, partition: raw.partition, offset: raw.offset, kind, reason });
  return toDeadLetter(raw, kind, reason);
}

function sourceOffsetOf(letter: OutgoingMessage): string {
  return letter.headers![DeadLetterHeaders.sourceOffset];
}

function toDecoded<T>(raw: RawMessage, value: T): DecodedMessage<T> {
  return {
    value,
    key: raw.key === null ? null : raw.key.toString(),
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    headers: raw.headers,
    timestamp: raw.timestamp,
    highWatermark: raw.highWatermark,
  };
}

/** Heartbeats periodically while a (possibly long) handler runs; heartbeat errors surface at the next chunk. */
async function withHeartbeat<R>(context: PartitionBatchContext, work: () => Promise<R>): Promise<R> {
  const timer = setInterval(() => context.heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

async function backoff(ms: number, context: PartitionBatchContext): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    await new Promise((done) => setTimeout(done, Math.min(left, HEARTBEAT_EVERY_MS)));
    await context.heartbeat().catch(() => undefined);
  }
}
