import { OutgoingMessage, RawMessage } from './message-bus';

/** Dead-letter conventions shared by every MessageBus implementation. */
export const DEAD_LETTER_SUFFIX = '.dlq';

export const DeadLetterHeaders = {
  error: 'x-iris-error',
  errorKind: 'x-iris-error-kind',
  sourceTopic: 'x-iris-source-topic',
  sourcePartition: 'x-iris-source-partition',
  sourceOffset: 'x-iris-source-offset',
} as const;

/** `invalid`: decode rejected the message. `handler-failed`: handleBatch kept failing for it. */
export type DeadLetterKind = 'invalid' | 'handler-failed';

export function deadLetterTopic(topic: string): string {
  return topic + DEAD_LETTER_SUFFIX;
}

/** The original key, value and headers, plus where it came from and why it was dead-lettered. */
export function toDeadLetter(message: RawMessage, kind: DeadLetterKind, reason: string): OutgoingMessage {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DeadLetterHeaders.error]: reason,
      [DeadLetterHeaders.errorKind]: kind,
      [DeadLetterHeaders.sourceTopic]: message.topic,
      [DeadLetterHeaders.sourcePartition]: String(message.partition),
      [DeadLetterHeaders.sourceOffset]: message.offset,
    },
  };
}

export function errorReason(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}
