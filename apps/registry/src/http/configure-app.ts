import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { MAX_MESSAGE_BYTES } from '@iris/contracts';
import { YAML_MEDIA_TYPES } from './request-body';

/**
 * Body parsing for the registry: JSON and YAML bodies up to the Kafka message limit (a version is
 * published as one message), and malformed or oversized bodies answered as JSON with a reason.
 */
export function configureRegistryApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: MAX_MESSAGE_BYTES });
  express.useBodyParser('text', { type: YAML_MEDIA_TYPES, limit: MAX_MESSAGE_BYTES });
  express.use((error: { status?: number; type?: string; message?: string }, _request: Request, response: Response, next: NextFunction) => {
    if (typeof error?.type !== 'string' || !error.type.startsWith('entity.')) return next(error);
    const status = error.status ?? 400;
    const reason = error.type === 'entity.parse.failed' ? `body is not valid JSON: ${error.message}` : (error.message ?? 'unreadable body');
    response.status(status).json({ statusCode: status, error: status === 413 ? 'Payload Too Large' : 'Bad Request', message: reason, issues: [{ path: '<root>', message: reason }] });
  });
}
