import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { RegistryError, type RegistryErrorCode } from '../registration';

/** The one mapping from registry refusals to HTTP statuses. */
export function httpStatusOf(code: RegistryErrorCode): HttpStatus {
  switch (code) {
    case 'INVALID_AGENT_VERSION':
      return HttpStatus.BAD_REQUEST;
    case 'AGENT_NOT_FOUND':
    case 'VERSION_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'LABEL_TAKEN':
    case 'ALREADY_REGISTERED_AS':
      return HttpStatus.CONFLICT;
    case 'LABEL_NOT_GREATER':
    case 'BUMP_TOO_SMALL':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'TOO_LARGE':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped registry error ${String(unreachable)}`);
    }
  }
}

const REASON_PHRASES: Partial<Record<HttpStatus, string>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'Unprocessable Entity',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Payload Too Large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type',
};

/** The one error shape: `{ statusCode, error, code, message, errors: [{ field, reason }], reasons?, conflictingVersion? }`. */
@Catch(RegistryError)
export class RegistryErrorFilter implements ExceptionFilter<RegistryError> {
  catch(error: RegistryError, host: ArgumentsHost): void {
    const status = httpStatusOf(error.code);
    const response = host.switchToHttp().getResponse<Response>();
    const { issues = [], ...details } = error.details;
    const errors = issues.map((issue) => ({ field: issue.path, reason: issue.message }));
    response.status(status).json({ ...details, statusCode: status, error: REASON_PHRASES[status], code: error.code, message: error.message, errors });
  }
}
