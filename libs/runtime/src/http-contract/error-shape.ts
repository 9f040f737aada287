import { HttpException, HttpStatus } from '@nestjs/common';
import { z } from 'zod';

/** One offending field of a refused request: `field` is a dotted body path, a parameter or header name, or `<body>`. */
export const FieldErrorSchema = z.object({
  field: z.string().describe('Dotted body path (`stages[0].trafficPercent`), a path/query parameter or header name, or `<body>`.'),
  reason: z.string(),
});

/**
 * The one error shape of every Iris HTTP API (4xx and 5xx). Refusals may add fields of their own (e.g. `retryAfterSeconds`,
 * `currentVersion`, `conflictingVersion`, `reasons`, `failedChecks`), never remove these.
 */
export const ErrorResponseSchema = z
  .looseObject({
    statusCode: z.int().min(400).max(599).describe('The HTTP status, repeated.'),
    error: z.string().describe('The status\'s reason phrase (`Bad Request`).'),
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/).describe('Machine-readable cause (`INVALID_BODY`, `UNSTORABLE_INPUT`, `UNAUTHENTICATED`, …).'),
    message: z.string().describe('What went wrong, for people.'),
    errors: z.array(FieldErrorSchema).describe('One entry per offending field; empty when no single field is at fault.'),
  })
  .meta({ title: 'ErrorResponse' });

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The code an error gets when whoever raised it named none. */
const DEFAULT_CODES: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  503: 'SERVICE_UNAVAILABLE',
  500: 'INTERNAL_ERROR',
};

export const reasonPhrase = (status: number): string => REASON_PHRASES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
const defaultCode = (status: number): string => DEFAULT_CODES[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'CLIENT_ERROR');

/** Builds an error body of the one shape. */
export function errorBody(status: number, code: string, message: string, errors: readonly FieldError[] = [], extra: Record<string, unknown> = {}): ErrorResponse {
  return { ...extra, statusCode: status, error: reasonPhrase(status), code, message, errors: [...errors] };
}

/** A Nest HttpException whose body is of the one shape (throw it from controllers). */
export class ApiError extends HttpException {
  constructor(status: number, code: string, message: string, errors: readonly FieldError[] = [], extra: Record<string, unknown> = {}) {
    super(errorBody(status, code, message, errors, extra), status);
  }
}

/** What body-parser (express.json / text) throws: `type` says why (`entity.parse.failed`, `entity.too.large`, …). */
interface BodyParserError {
  type: string;
  status?: number;
  message?: string;
  limit?: number;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { status?: unknown }).status === 'number';

function fromBodyParser(error: BodyParserError): ErrorResponse {
  switch (error.type) {
    case 'entity.parse.failed':
      return errorBody(400, 'INVALID_JSON', `the body is not valid JSON: ${error.message ?? ''}`.trim(), [{ field: '<body>', reason: 'is not valid JSON' }]);
    case 'entity.too.large':
      return errorBody(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${error.limit ?? 'the limit of'} bytes`, [{ field: '<body>', reason: `must be at most ${error.limit ?? 'the limit of'} bytes` }], error.limit !== undefined ? { limitBytes: error.limit } : {});
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', error.message ?? 'unsupported encoding', [{ field: 'Content-Type', reason: error.message ?? 'unsupported encoding' }]);
    default: {
      const status = error.status !== undefined && error.status >= 400 && error.status < 500 ? error.status : 400;
      return errorBody(status, defaultCode(status), error.message ?? 'unreadable body', [{ field: '<body>', reason: error.message ?? 'is unreadable' }]);
    }
  }
}

const isFieldError = (value: unknown): value is FieldError =>
  typeof value === 'object' && value !== null && typeof (value as FieldError).field === 'string' && typeof (value as FieldError).reason === 'string';

/** The body of an HttpException, in the one shape: what it says is kept, what it lacks gets its default. */
function fromHttpException(exception: HttpException): ErrorResponse {
  const status = exception.getStatus();
  const raw = exception.getResponse();
  if (typeof raw === 'string') return errorBody(status, defaultCode(status), raw);
  const { statusCode: _status, error: _error, code, message, errors, issues, ...extra } = raw as Record<string, unknown>;
  const messages = Array.isArray(message) ? message.map(String) : undefined;
  const fieldErrors = Array.isArray(errors) ? errors.filter(isFieldError) : [];
  if (Array.isArray(issues))
    for (const issue of issues as Array<{ path?: unknown; message?: unknown }>) fieldErrors.push({ field: String(issue.path ?? '<body>'), reason: String(issue.message ?? '') });
  return errorBody(
    status,
    typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : defaultCode(status),
    messages ? messages.join('; ') : typeof message === 'string' ? message : exception.message,
    fieldErrors,
    extra,
  );
}

/** Any failure → status and body of the one shape; `undefined` status means a bug (500). */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof HttpException) return fromHttpException(exception);
  if (isBodyParserError(exception)) return fromBodyParser(exception);
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'Internal server error');
}

/**
 * Express error middleware placed right after the body parsers: their failures (malformed JSON, a body over the limit,
 * an unsupported charset) become ApiErrors, so the one filter answers them with a code and the field (Nest would
 * otherwise turn a JSON SyntaxError into a bare 400).
 */
export function bodyParserErrors() {
  return (error: unknown, _request: unknown, _response: unknown, next: (error?: unknown) => void): void => {
    if (!isBodyParserError(error)) return next(error);
    const { statusCode, code, message, errors, error: _phrase, ...extra } = fromBodyParser(error);
    next(new ApiError(statusCode, code, message, errors, extra));
  };
}
