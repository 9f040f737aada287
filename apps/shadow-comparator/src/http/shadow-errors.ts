import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

export type ShadowErrorCode = 'INVALID_REQUEST' | 'CANDIDATE_NOT_FOUND';

/** A refusal of the shadow API, with the fields it concerns. */
export class ShadowRequestError extends Error {
  constructor(
    readonly code: ShadowErrorCode,
    message: string,
    readonly errors: Array<{ field: string; reason: string }> = [],
  ) {
    super(message);
  }
}

export function httpStatusOf(code: ShadowErrorCode): HttpStatus {
  switch (code) {
    case 'INVALID_REQUEST':
      return HttpStatus.BAD_REQUEST;
    case 'CANDIDATE_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped shadow error ${String(unreachable)}`);
    }
  }
}

const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found' };

/** `{ statusCode, error, code, message, errors: [{ field, reason }] }`, as the other services answer. */
@Catch(ShadowRequestError)
export class ShadowErrorFilter implements ExceptionFilter<ShadowRequestError> {
  catch(error: ShadowRequestError, host: ArgumentsHost): void {
    const status = httpStatusOf(error.code);
    host.switchToHttp().getResponse<Response>().status(status).json({ statusCode: status, error: REASON[status], code: error.code, message: error.message, errors: error.errors });
  }
}
