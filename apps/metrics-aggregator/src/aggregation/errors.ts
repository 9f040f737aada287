/** Why the aggregation core refused an input; lets callers route to a DLQ or fail fast without parsing text. */
export type AggregationErrorReason =
  | 'INVALID_VALUE' // a number a metric cannot hold (negative latency, NaN, ±Infinity)
  | 'INVALID_TIMESTAMP' // occurredAt is not a parseable ISO timestamp
  | 'INVALID_OPTIONS' // constructor options out of range
  | 'INCOMPATIBLE_STATE'; // serialised state of another format/precision, or windows of different sizes

/** Thrown by the pure aggregation core; never thrown for late or duplicate events (those are results). */
export class AggregationError extends Error {
  readonly code = 'AGGREGATION_ERROR' as const;

  constructor(
    readonly reason: AggregationErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'AggregationError';
  }
}

/** Exhaustiveness guard for switches over closed unions. */
export function assertNever(value: never, what: string): never {
  throw new AggregationError('INCOMPATIBLE_STATE', `Unexpected ${what}: ${JSON.stringify(value)}`);
}
