import { BadRequestException, Body, Controller, Get, INestApplication, Module, Param, Post } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { ConcurrencyError, ConcurrencyRetriesExhaustedError } from '@iris/event-store';
import { bodyParserErrors, ErrorResponseSchema } from './error-shape';
import { HttpErrorFilter } from './http-error.filter';

const failures: Record<string, () => unknown> = {
  conflicts: () => new ConcurrencyError('rollout-production-support-bot', 7n, 9n),
  /** What the event store's CommandHandler throws when a command lost every attempt. */
  exhausted: () => new ConcurrencyRetriesExhaustedError(new ConcurrencyError('agent-support-bot', 3n, 4n), 8),
  database: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  serialization: () => Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' }),
  client: () => new BadRequestException({ statusCode: 400, message: 'Invalid request body' }),
  legacy: () => new BadRequestException({ statusCode: 400, message: 'Invalid', issues: [{ path: 'tools[0].name', message: 'is required' }] }),
  bug: () => new Error('a bug'),
};

@Controller()
class FailingController {
  @Get('fail/:kind')
  fail(@Param('kind') kind: string): never {
    throw failures[kind]();
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

/** Every answer below must be of the one shape; its zod schema is the judge. */
async function errorOf(response: Response) {
  const body = await response.json();
  const parsed = ErrorResponseSchema.safeParse(body);
  if (!parsed.success) throw new Error(`not the one error shape: ${JSON.stringify(body)}: ${parsed.error.message}`);
  expect(parsed.data.statusCode).toBe(response.status);
  return parsed.data;
}

describe('HttpErrorFilter (as every service registers it)', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(FailingModule, { logger: false });
    (app as NestExpressApplication).useBodyParser('json', { limit: 1_000 });
    app.use(bodyParserErrors());
    app.useGlobalFilters(new HttpErrorFilter());
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => app.close());

  it.each([
    ['conflicts', 'CONFLICT_RETRIES_EXHAUSTED', '1'],
    ['exhausted', 'CONFLICT_RETRIES_EXHAUSTED', '1'],
    ['database', 'DEPENDENCY_UNAVAILABLE', '5'],
    ['serialization', 'DEPENDENCY_UNAVAILABLE', '5'],
  ])('%s → 503 with Retry-After and the reason', async (kind, code, retryAfter) => {
    const response = await fetch(`${base}/fail/${kind}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    const body = await errorOf(response);
    expect(body).toMatchObject({ code, retryAfterSeconds: Number(retryAfter) });
    expect(body.message).toMatch(/retry it/);
  });

  it('gives client errors without a code their default code, and field issues as errors', async () => {
    expect(await errorOf(await fetch(`${base}/fail/client`))).toMatchObject({ code: 'INVALID_REQUEST', message: 'Invalid request body', errors: [] });
    expect((await errorOf(await fetch(`${base}/fail/legacy`))).errors).toEqual([{ field: 'tools[0].name', reason: 'is required' }]);
  });

  it('answers a bug 500 in the one shape, without Retry-After', async () => {
    const bug = await fetch(`${base}/fail/bug`);
    expect(bug.status).toBe(500);
    expect(bug.headers.get('retry-after')).toBeNull();
    expect(await errorOf(bug)).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
  });

  it('answers unknown routes, malformed JSON and oversized bodies in the one shape', async () => {
    expect(await errorOf(await fetch(`${base}/nowhere`))).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    const post = (body: string) => fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await errorOf(await post('{"a":'))).toMatchObject({ statusCode: 400, code: 'INVALID_JSON', errors: [{ field: '<body>', reason: 'is not valid JSON' }] });
    expect(await errorOf(await post(JSON.stringify({ a: 'x'.repeat(2_000) })))).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', limitBytes: 1_000 });
  });
});
