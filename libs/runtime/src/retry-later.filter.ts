import { HttpException, HttpStatus } from '@nestjs/common';
import { ConcurrencyError } from '@iris/event-store';
import { errorReason, isRetriableError } from '@iris/messaging';

export type RetryLaterCode = 'CONFLICT_RETRIES_EXHAUSTED' | 'DEPENDENCY_UNAVAILABLE';

/** 503 with `Retry-After`: the request was fine, the service could not carry it out now (contention, a dependency down). */
export class RetryLaterException extends HttpException {
  constructor(
    readonly code: RetryLaterCode,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', code, message, retryAfterSeconds }, HttpStatus.SERVICE_UNAVAILABLE);
  }
}

/**
 * What a request failure that is not the client's fault becomes: version conflicts a command kept losing
 * (its retries ran out) and retriable infrastructure failures (classifyError: database or broker unreachable,
 * timeouts, serialization failures) → RetryLaterException; anything else → undefined.
 */
export function toRetryLater(error: unknown): RetryLaterException | undefined {
  if (error instanceof RetryLaterException) return error;
  if (error instanceof ConcurrencyError)
    return new RetryLaterException('CONFLICT_RETRIES_EXHAUSTED', `too many concurrent writers; the command was not applied, retry it (${error.message})`, 1);
  if (!(error instanceof HttpException) && isRetriableError(error))
    return new RetryLaterException('DEPENDENCY_UNAVAILABLE', `a dependency is unavailable; the command was not applied, retry it (${errorReason(error)})`, 5);
  return undefined;
}

