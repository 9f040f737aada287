import { DeadLetterHeaders, DeadLetterKind, errorReason, toDeadLetter } from './dead-letter';
import { BatchOutcome, DecodedMessage, OutgoingMessage, RawMessage } from './message-bus';
import { MessagingLogger } from './logger';
import { ResolvedSubscriptionOptions } from './subscription-options';

/**
 * Decode → handle → retry → isolate → dead-letter, for the messages of ONE topic-partition.
 * Shared by every MessageBus implementation so their delivery semantics are identical:
 * - messages whose decode throws are dead-lettered as `invalid`;
 * - valid messages go to handleBatch in order, in chunks of maxBatchSize;
 * - a failing chunk is retried with exponential backoff up to maxRetries, then handled message by message
 *   (with the same retries), and only messages that still fail are dead-lettered as `handler-failed`;
 * - after each chunk, markProcessed(lastOffset) lets the caller commit: never before processing;
 * - a handler asking to resume from an offset (BatchOutcome) gets the partition sought there; the rest is dropped.
 * So one bad message can never block its partition for longer than the bounded retries.
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
  logger: MessagingLogger;
}

const MAX_BACKOFF_MS = 30_000;
const HEARTBEAT_EVERY_MS = 1_000;

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
 * Returns the offset the handler asked to resume from, if it did.
 */
async function processChunk<T>(
  messages: readonly RawMessage[],
  start: number,
  end: number,
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<string | undefined> {
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
    if (outcome.ok) {
      resumeFrom = outcome.resumeFrom;
    } else if (valid.length === 1) {
      deadLetters.push(deadLetterOf(sourceOf(0), 'handler-failed', outcome.error, context));
    } else {
      // Isolate the culprit(s): messages that succeed alone are kept, the rest is dead-lettered.
      for (let i = 0; i < valid.length && resumeFrom === undefined; i++) {
        const alone = await handleWithRetries([valid[i]], options, context);
        if (alone.ok) resumeFrom = alone.resumeFrom;
        else deadLetters.push(deadLetterOf(sourceOf(i), 'handler-failed', alone.error, context));
      }
    }
  }

  // Messages at or after a resume point come again: their dead letters would be duplicates.
  const letters = resumeFrom === undefined ? deadLetters : deadLetters.filter((letter) => BigInt(sourceOffsetOf(letter)) < BigInt(resumeFrom!));
  if (letters.length > 0) await context.deadLetter(messages[start].topic, letters);
  return resumeFrom;
}

type HandleOutcome = { ok: true; resumeFrom?: string } | { ok: false; error: unknown };

/** Calls handleBatch up to 1 + maxRetries times, with exponential backoff between attempts. */
async function handleWithRetries<T>(
  messages: Array<DecodedMessage<T>>,
  options: ResolvedSubscriptionOptions<T>,
  context: PartitionBatchContext,
): Promise<HandleOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome: void | BatchOutcome = await withHeartbeat(context, () => options.handleBatch(messages));
      return outcome ? { ok: true, resumeFrom: outcome.resumeFrom } : { ok: true };
    } catch (error) {
      const first = messages[0];
      context.logger.log(attempt < options.maxRetries ? 'warn' : 'error', 'handleBatch failed', {
        topic: first.topic,
        partition: first.partition,
        firstOffset: first.offset,
        count: messages.length,
        attempt: attempt + 1,
        maxAttempts: options.maxRetries + 1,
        error: errorReason(error),
      });
      if (attempt >= options.maxRetries) return { ok: false, error };
      await backoff(Math.min(options.retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS), context);
    }
  }
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
