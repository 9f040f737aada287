import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { ApiError } from '@iris/runtime';
import { catchError, type Observable, throwError } from 'rxjs';
import { KillSwitchError, type KillSwitchErrorCode } from '../domain';

/** The one mapping from kill-switch refusals to HTTP statuses (documented per operation in kill-switch-api.ts). */
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

/** A refusal as an ApiError of the one shape: its code, message, field reasons and details (`stranded`, `killId`). */
export function toApiError(error: KillSwitchError): ApiError {
  const { errors = [], ...details } = error.details;
  return new ApiError(httpStatusOf(error.code), error.code, error.message, errors, details);
}

/** Kill-switch refusals leave the controller as ApiErrors; the runtime's HttpErrorFilter answers them. */
@Injectable()
export class KillSwitchErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => (error instanceof KillSwitchError ? toApiError(error) : error))));
  }
}
