import { createHash } from 'node:crypto';
import { OutgoingMessage, RawMessage } from './message-bus';

/** Dead-letter conventions shared by every MessageBus implementation. */
export const DEAD_LETTER_SUFFIX = '.dlq';

export const DeadLetterHeaders = {
  error: 'x-iris-error',
  errorKind: 'x-iris-error-kind',
  sourceTopic: 'x-iris-source-topic',
  sourcePartition: 'x-iris-source-partition',
  sourceOffset: 'x-iris-source-offset',
  originalSize: 'x-iris-original-size',
  originalDigest: 'x-iris-original-sha256',
} as const;

/**
 * `max.message.bytes` set on dead-letter topics created by Iris. A dead letter is kept below DEAD_LETTER_BUDGET_BYTES
 * (key + value + headers; the rest is the record batch's overhead), so it fits a topic with Kafka's default limit too.
 */
export const DEAD_LETTER_TOPIC_MAX_MESSAGE_BYTES = 1_048_576;
export const DEAD_LETTER_BUDGET_BYTES = 1_000_000;

/** `invalid`: decode rejected the message. `handler-failed`: handleBatch kept failing for it. */
export type DeadLetterKind = 'invalid' | 'handler-failed';

export function deadLetterTopic(topic: string): string {
  return topic + DEAD_LETTER_SUFFIX;
}

/**
 * The original key, value and headers, plus where it came from and why it was dead-lettered. A dead letter is always
 * writable: a value that would take it over `budgetBytes` is truncated to what fits, and the original's size and
 * sha256 digest are added as headers (an over-long reason is cut too).
 */
export function toDeadLetter(message: RawMessage, kind: DeadLetterKind, reason: string, budgetBytes = DEAD_LETTER_BUDGET_BYTES): OutgoingMessage {
  const headers: Record<string, string> = {
    ...message.headers,
    [DeadLetterHeaders.error]: reason.length > 4_096 ? `${reason.slice(0, 4_093)}...` : reason,
    [DeadLetterHeaders.errorKind]: kind,
    [DeadLetterHeaders.sourceTopic]: message.topic,
    [DeadLetterHeaders.sourcePartition]: String(message.partition),
    [DeadLetterHeaders.sourceOffset]: message.offset,
  };
  let value = message.value;
  const room = budgetBytes - (message.key?.length ?? 0) - headersBytes(headers) - 200; // 200: the two headers below
  if (value !== null && value.length > room) {
    headers[DeadLetterHeaders.originalSize] = String(value.length);
    headers[DeadLetterHeaders.originalDigest] = `sha256:${createHash('sha256').update(value).digest('hex')}`;
    value = value.subarray(0, Math.max(0, room));
  }
  return { key: message.key, value, headers };
}

/** Bytes a message takes in a record (key, value, header names and values), near enough for size budgets. */
export function messageBytes(message: OutgoingMessage): number {
  const size = (data: string | Buffer | null) => (data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length);
  return size(message.key) + size(message.value) + headersBytes(message.headers ?? {}) + 32;
}

/** Splits messages into consecutive groups of at most `budgetBytes` each (a single larger message is a group alone). */
export function splitBySize(messages: OutgoingMessage[], budgetBytes = DEAD_LETTER_BUDGET_BYTES): OutgoingMessage[][] {
  const groups: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (current.length > 0 && currentBytes + bytes > budgetBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function headersBytes(headers: Record<string, string>): number {
  let total = 0;
  for (const name in headers) total += Buffer.byteLength(name) + Buffer.byteLength(headers[name]) + 8;
  return total;
}

export function errorReason(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}
