import type { ExpectedVersion } from './types';

export type EventStoreErrorCode = 'CONCURRENCY_CONFLICT' | 'DUPLICATE_EVENT_ID' | 'INVALID_ARGUMENT';

/** Base class: every event-store failure carries a machine-readable `code`. */
export abstract class EventStoreError extends Error {
  abstract readonly code: EventStoreErrorCode;
}

/** The stream is not at the version the caller expected (or another writer won the race). */
export class ConcurrencyError extends EventStoreError {
  readonly code = 'CONCURRENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the conflict was seen, when it is known. */
    readonly actual?: bigint,
  ) {
    super(
      `Stream "${streamId}": expected version ${String(expected)}` +
        (actual === undefined ? ', but another writer appended concurrently' : `, actual ${actual}`),
    );
    this.name = 'ConcurrencyError';
  }
}

/** Some of the event ids already exist, but not all of them in this stream: not a retry of the same append. */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'DUPLICATE_EVENT_ID';

  constructor(readonly streamId: string, readonly eventIds: string[]) {
    super(`Stream "${streamId}": event id(s) already used by a different append: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEventIdError';
  }
}

export class InvalidArgumentError extends EventStoreError {
  readonly code = 'INVALID_ARGUMENT';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}
