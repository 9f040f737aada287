import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { toRetryLater } from '../retry-later.filter';
import { toErrorResponse } from './error-shape';

/**
 * The one error filter of every service (registered by `startService`): whatever failed — a refusal thrown by a
 * controller, a guard, a pipe, the body parser (malformed JSON, too large), an unknown route, a dependency outage
 * (503 with `Retry-After`) or a bug (500) — is answered with the one error shape (`ErrorResponseSchema`).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    const retryLater = toRetryLater(exception);
    const body = toErrorResponse(retryLater ?? exception);
    if (body.statusCode >= 500 && !retryLater) this.logger.error(`unhandled error: ${(exception as Error)?.stack ?? String(exception)}`);
    if (response.headersSent) return;
    if (retryLater) response.setHeader('Retry-After', String(retryLater.retryAfterSeconds));
    response.status(body.statusCode).json(body);
  }
}
