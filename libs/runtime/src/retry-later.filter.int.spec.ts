import { BadRequestException, Controller, Get, INestApplication, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConcurrencyError, ConcurrencyRetriesExhaustedError } from '@iris/event-store';
import { RetryLaterFilter } from './retry-later.filter';

const failures: Record<string, () => unknown> = {
  conflicts: () => new ConcurrencyError('rollout-production-support-bot', 7n, 9n),
  /** What the event store's CommandHandler throws when a command lost every attempt. */
  exhausted: () => new ConcurrencyRetriesExhaustedError(new ConcurrencyError('agent-support-bot', 3n, 4n), 8),
  database: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  serialization: () => Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' }),
  client: () => new BadRequestException({ statusCode: 400, message: 'Invalid request body' }),
  bug: () => new Error('a bug'),
};

@Controller()
class FailingController {
  @Get('fail/:kind')
  fail(@Param('kind') kind: string): never {
    throw failures[kind]();
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('RetryLaterFilter (as every service registers it)', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(FailingModule, { logger: false });
    app.useGlobalFilters(new RetryLaterFilter(app.getHttpAdapter()));
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
    const body = (await response.json()) as { message: string };
    expect(body).toMatchObject({ statusCode: 503, code, retryAfterSeconds: Number(retryAfter) });
    expect(body.message).toMatch(/retry it/);
  });

  it('leaves client errors and bugs as they were', async () => {
    expect((await fetch(`${base}/fail/client`)).status).toBe(400);
    const bug = await fetch(`${base}/fail/bug`);
    expect(bug.status).toBe(500);
    expect(bug.headers.get('retry-after')).toBeNull();
  });
});
