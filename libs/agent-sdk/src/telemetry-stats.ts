/** Counters of one client (the "metric" of what was sent and what was lost). */
export interface TelemetryStats {
  /** Record calls accepted into the buffer. */
  recorded: number;
  /** Events acknowledged by the transport. */
  published: number;
  /** Oldest events evicted because the buffer was full (e.g. broker down for long). */
  droppedOverflow: number;
  /** Events refused by contract validation at flush; never sent. */
  invalidDropped: number;
  /** Record calls after close(); never buffered. */
  droppedAfterClose: number;
  /** Events currently held (including a batch awaiting its ack). */
  buffered: number;
  /** Failed publish attempts (each is retried). */
  publishFailures: number;
  lastError: TelemetryError | null;
}

export interface TelemetryError {
  message: string;
  code?: string;
  /** ISO-8601 time of the failure. */
  at: string;
}

export function toTelemetryError(error: unknown): TelemetryError {
  const e = error as { message?: unknown; code?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    at: new Date().toISOString(),
  };
}
