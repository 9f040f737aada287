/** Who and what caused an event. Free-form beyond the well-known keys. */
export interface EventMetadata {
  actor?: string;
  commandId?: string;
  causationId?: string;
  correlationId?: string;
  [key: string]: unknown;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  /** Client-supplied UUID; generated when missing. Re-using it makes a retried append idempotent. */
  id?: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

export interface StoredEvent<Type extends string = string, Data = unknown> {
  globalPosition: bigint;
  streamId: string;
  /** 1-based position in the stream; equals the stream version after this event. */
  streamPosition: bigint;
  eventId: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** `no_stream` = version 0; a number = the exact current version (count of events in the stream). */
export type ExpectedVersion = 'any' | 'no_stream' | bigint | number;

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  /** The stream version after the append: pass it as `expectedVersion` next time. */
  nextExpectedVersion: bigint;
  lastGlobalPosition: bigint;
  /** Global positions of the appended events, in stream order. */
  positions: bigint[];
}

export interface ReadStreamOptions {
  /** First stream position to return (inclusive, default 1). */
  from?: bigint | number;
  /** Last stream position to return (inclusive). */
  to?: bigint | number;
  maxCount?: number;
}

export interface ReadStreamResult {
  events: StoredEvent[];
  /** Number of events in the stream (0 = no stream). */
  currentVersion: bigint;
}

export interface ReadAllOptions {
  /** Return events after this global position (exclusive, default 0). */
  fromPosition?: bigint | number;
  maxCount?: number;
}

export interface ReadAllResult {
  events: StoredEvent[];
  /** Pass as `fromPosition` to continue; unchanged when nothing was returned. */
  nextPosition: bigint;
}
