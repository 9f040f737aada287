import { ContractViolationError } from '@iris/contracts';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSRequestTimeoutError } from 'kafkajs';
import { QueryFailedError } from 'typeorm';
import { processPartitionBatch, PartitionBatchContext } from './batch-processor';
import { ConsumerHealth } from './consumer-health';
import { classifyError, PoisonMessageError, RetriableError } from './error-classification';
import { PublishError } from './errors';
import { MessagingLogger, silentLogger } from './logger';
import { OutgoingMessage, RawMessage } from './message-bus';
import { resolveSubscriptionOptions } from './subscription-options';

const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });
const pgError = (code: string, message = 'pg says no') => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('classifyError', () => {
  it.each([
    ['connection refused', systemError('ECONNREFUSED')],
    ['connection reset', systemError('ECONNRESET')],
    ['a timeout', systemError('ETIMEDOUT')],
    ['a typed RetriableError', new RetriableError('try later')],
    ['pg-pool exhausted', new Error('timeout exceeded when trying to connect')],
    ['a connection dropped mid-query', new Error('Connection terminated unexpectedly')],
    ['a serialization failure (40001)', pgError('40001')],
    ['a deadlock (40P01)', pgError('40P01')],
    ['a connection exception (08006)', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    ['an admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a TypeORM QueryFailedError over a serialization failure', new QueryFailedError('SELECT 1', [], pgError('40001'))],
    ['a kafkajs connection error', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')],
    ['a kafkajs request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    ['kafkajs retries exhausted over a retriable cause', new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('down'), { retryCount: 5, retryTime: 1000 })],
    ['a PublishError caused by a retriable kafkajs error', new PublishError('publish failed', { cause: new KafkaJSConnectionError('down') })],
    ['an AggregateError with a refused connection', new AggregateError([systemError('ECONNREFUSED')], 'all failed')],
  ])('%s is retriable', (_name, error) => {
    expect(classifyError(error)).toBe('retriable');
  });

  it.each([
    ['a PoisonMessageError', new PoisonMessageError('never valid')],
    ['a contract violation', ContractViolationError.single('INVALID_FIELDS', 'data.x', 'must be a number')],
    ['a poison error whose cause looks retriable (the outer error decides)', new PoisonMessageError('bad', { cause: systemError('ECONNREFUSED') })],
  ])('%s is permanent', (_name, error) => {
    expect(classifyError(error)).toBe('permanent');
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a unique violation (23505)', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a kafkajs non-retriable error', new KafkaJSNonRetriableError('message too large')],
    ['a string', 'nope'],
    ['undefined', undefined],
  ])('%s is unknown (bounded retries, then dead-lettered)', (_name, error) => {
    expect(classifyError(error)).toBe('unknown');
  });
});

describe('processPartitionBatch with failing handlers', () => {
  const raw = (offset: number): RawMessage => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(String(offset)), headers: {}, timestamp: '0' });

  function harness(handle: (values: string[]) => Promise<void>, overrides: { shouldStop?: () => boolean } = {}) {
    const lines: Array<{ level: string; message: string }> = [];
    const logger: MessagingLogger = { log: (level, message) => void lines.push({ level, message }) };
    const health = new ConsumerHealth(logger);
    const deadLetters: OutgoingMessage[] = [];
    const processed: string[] = [];
    const options = resolveSubscriptionOptions<string>({
      topic: 't',
      groupId: 'g',
      decode: (message) => message.value!.toString(),
      handleBatch: (messages) => handle(messages.map((m) => m.value)),
      retryBackoffMs: 1,
      maxOutageBackoffMs: 5,
    });
    const context: PartitionBatchContext = {
      deadLetter: async (_topic, letters) => void deadLetters.push(...letters),
      markProcessed: (offset) => void processed.push(offset),
      heartbeat: async () => undefined,
      shouldStop: overrides.shouldStop ?? (() => false),
      health,
      logger: silentLogger,
    };
    return { run: (messages: RawMessage[]) => processPartitionBatch(messages, options, context), lines, health, deadLetters, processed };
  }

  it('waits out a retriable failure (many more attempts than maxRetries), dead-letters nothing and logs the outage once', async () => {
    let failures = 40;
    const handled: string[] = [];
    const { run, lines, health, deadLetters, processed } = harness(async (values) => {
      if (failures-- > 0) throw systemError('ECONNREFUSED');
      handled.push(...values);
    });
    await run([raw(0), raw(1), raw(2)]);
    expect(handled).toEqual(['0', '1', '2']);
    expect(deadLetters).toEqual([]);
    expect(processed).toEqual(['2']);
    expect(lines.map((line) => line.message)).toEqual([
      'consumer waiting out a retriable failure (retrying until it succeeds; nothing is dead-lettered)',
      'consumer recovered from a retriable failure',
    ]);
    expect(health.report()).toMatchObject({ stalled: [], retriableFailures: 40, outages: 1, deadLettered: 0 });
  });

  it('reports the stalled partition while waiting, and stops waiting without marking anything processed', async () => {
    let stopping = false;
    const { run, health, deadLetters, processed } = harness(async () => {
      throw new RetriableError('database down');
    }, { shouldStop: () => stopping });
    const running = run([raw(0)]);
    await new Promise((done) => setTimeout(done, 50));
    expect(() => health.assertNotStalled()).toThrow(/t\[0\] \(group g\).*database down/);
    stopping = true;
    await running;
    expect(processed).toEqual([]);
    expect(deadLetters).toEqual([]);
    expect(health.report().stalled).toEqual([]);
  });

  it('dead-letters a poison message at once and keeps the rest of the chunk', async () => {
    let calls = 0;
    const { run, deadLetters, processed } = harness(async (values) => {
      calls++;
      if (values.includes('1')) throw new PoisonMessageError('offset 1 is poison');
    });
    await run([raw(0), raw(1), raw(2)]);
    expect(deadLetters.map((letter) => letter.value!.toString())).toEqual(['1']);
    expect(calls).toBe(4); // the chunk once, then each message alone once: no retries of a permanent error
    expect(processed).toEqual(['2']);
  });

  it('still dead-letters an unknown error after the bounded retries', async () => {
    const { run, deadLetters, health } = harness(async () => {
      throw new Error('boom');
    });
    await run([raw(0)]);
    expect(deadLetters).toHaveLength(1);
    expect(health.report()).toMatchObject({ retriableFailures: 0, deadLettered: 1 });
  });
});
