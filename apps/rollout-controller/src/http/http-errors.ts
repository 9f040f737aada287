import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { contractErrorMessage, toContractIssues } from '@iris/contracts';
import { toRetryLater } from '@iris/runtime';
import type { z } from 'zod';
import { PreflightFailedError, RolloutDomainError, RolloutErrorCode } from '../domain';
import { PromotionRequiredError, StaleRolloutVersionError, UnregisteredVersionError } from '../errors';

/** Parses a request body; 400 with one `{ field, reason }` per offending field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {}, { error: contractErrorMessage });
  if (result.success) return result.data;
  const errors = toContractIssues(result.error.issues).map((issue) => ({ field: issue.path, reason: issue.message }));
  throw new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'INVALID_BODY', message: 'Invalid request body', errors });
}

/**
 * Typed errors of the domain and the shell → HTTP status with a machine-readable code. A command whose retries on
 * version conflicts ran out, or that met a database / broker outage, is 503 with `Retry-After` (RetryLaterFilter
 * sets the header), never 500.
 */
export function toHttpError(error: unknown): unknown {
  const retryLater = toRetryLater(error);
  if (retryLater) return retryLater;
  if (error instanceof StaleRolloutVersionError)
    return new ConflictException({ statusCode: 409, error: 'Conflict', code: error.code, message: error.message, currentVersion: error.actual?.toString() ?? null });
  if (error instanceof UnregisteredVersionError)
    return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', code: error.code, message: error.message, errors: [{ field: error.field, reason: error.message }] });
  if (error instanceof PromotionRequiredError)
    return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', code: error.code, message: error.message, errors: [{ field: 'candidateVersionId', reason: error.message }] });
  if (!(error instanceof RolloutDomainError)) return error;
  const body = { code: error.code, message: error.message };
  switch (error.code) {
    case RolloutErrorCode.Conflict:
    case RolloutErrorCode.Paused:
    case RolloutErrorCode.NoActiveRollout:
      return new ConflictException({ statusCode: 409, error: 'Conflict', ...body });
    case RolloutErrorCode.Cooldown:
      return new HttpException({ statusCode: 409, error: 'Conflict', ...body, retryAfterMs: (error as { retryAfterMs?: number }).retryAfterMs }, 409);
    case RolloutErrorCode.UnknownVersion:
      return new NotFoundException({ statusCode: 404, error: 'Not Found', ...body });
    case RolloutErrorCode.PreflightFailed:
      return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', ...body, failedChecks: (error as PreflightFailedError).failedChecks });
    case RolloutErrorCode.InvalidCommand:
    default:
      return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', ...body });
  }
}

/** `If-Match: "12"` or `12` → 12n; `*` → no condition (any version); 400 when it is not a stream version. */
export function parseIfMatch(header: string | undefined): bigint | undefined {
  if (header === undefined || header === '' || header.trim() === '*') return undefined;
  const raw = header.replace(/^W\//, '').replace(/"/g, '').trim();
  if (!/^\d{1,19}$/.test(raw))
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'INVALID_HEADER', message: 'Invalid header', errors: [{ field: 'If-Match', reason: 'must be the rollout version (an integer) returned as ETag, or *' }] });
  return BigInt(raw);
}
