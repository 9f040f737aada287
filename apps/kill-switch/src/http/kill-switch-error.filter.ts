import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { KillSwitchError, type KillSwitchErrorCode } from '../domain';

/** The one mapping from kill-switch refusals to HTTP statuses. */
export function httpStatusOf(code: KillSwitchErrorCode): HttpStatus {
  switch (code) {
    case 'INVALID_KILL':
      return HttpStatus.BAD_REQUEST;
    case 'UNKNOWN_AGENT':
    case 'UNKNOWN_VERSION':
    case 'KILL_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'KILL_EXISTS':
    case 'TOO_MANY_KILLS':
    case 'NO_ROUTE_LEFT':
      return HttpStatus.CONFLICT;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped kill-switch error ${String(unreachable)}`);
    }
  }
}

const REASON_PHRASES: Partial<Record<HttpStatus, string>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
};

/** `{ statusCode, error, code, message, errors?, stranded?, … }`. */
@Catch(KillSwitchError)
export class KillSwitchErrorFilter implements ExceptionFilter<KillSwitchError> {
  catch(error: KillSwitchError, host: ArgumentsHost): void {
    const status = httpStatusOf(error.code);
    host.switchToHttp().getResponse<Response>().status(status).json({ statusCode: status, error: REASON_PHRASES[status], code: error.code, message: error.message, ...error.details });
  }
}
