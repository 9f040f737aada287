import type { NextFunction, Request, Response } from 'express';

/** Media types every service accepts for a write's body, unless its definition says otherwise. */
export const JSON_MEDIA_TYPES: readonly string[] = ['application/json'];

const WRITES = new Set(['POST', 'PUT', 'PATCH']);
/** A PUT or PATCH replaces or changes a resource: it says what to, so it always has a body. */
const BODY_REQUIRED = new Set(['PUT', 'PATCH']);

function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/**
 * Every service's writes, before any body is parsed: a body of a media type the service does not take is 415 (a
 * form-encoded body is never read as a command), and a PUT or PATCH without a body is 400 (never "reset to the
 * defaults"). Nothing is written on a refusal.
 */
export function writeBodyGuard(mediaTypes: readonly string[] = JSON_MEDIA_TYPES) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!WRITES.has(request.method)) return next();
    if (!hasBody(request)) {
      if (!BODY_REQUIRED.has(request.method)) return next();
      response.status(400).json({
        statusCode: 400,
        error: 'Bad Request',
        code: 'BODY_REQUIRED',
        message: `${request.method} needs a body (${mediaTypes.join(' or ')})`,
        errors: [{ field: '<body>', reason: 'is required' }],
      });
      return;
    }
    const mediaType = mediaTypeOf(request.headers['content-type']);
    if (mediaType !== undefined && mediaTypes.includes(mediaType)) return next();
    const reason = mediaType === undefined ? 'is missing' : `${mediaType} is not accepted`;
    response.status(415).json({
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Type ${reason}: send ${mediaTypes.join(' or ')}`,
      errors: [{ field: 'Content-Type', reason: `${reason}; send ${mediaTypes.join(' or ')}` }],
    });
  };
}
