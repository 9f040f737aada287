import { decodeMessage, EventOf, TOPICS } from '@iris/contracts';
import { EmbeddedMessageBus, silentLogger } from '@iris/messaging';
import { AgentSdkConfigError, AgentSdkLogger, IrisAgentClient, IrisAgentClientOptions, RequestCompletedInput } from './index';
import { RecordingBus, waitFor } from './testing/recording-bus';

const fastRetry = { flushIntervalMs: 5, retryBackoffMinMs: 10, retryBackoffMaxMs: 40 };

function request(sessionId: string, requestId: string, overrides: Partial<RequestCompletedInput> = {}): RequestCompletedInput {
  return {
    sessionId,
    tenant: 'acme',
    requestId,
    feature: 'chat',
    latencyMs: 120,
    tokensIn: 10,
    tokensOut: 20,
    costUsd: 0.002,
    outputDigest: `sha256:${requestId}`,
    ...overrides,
  };
}

function logCollector(): AgentSdkLogger & { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  return { lines, log: (level, message, fields) => lines.push({ level, message, fields }) };
}

describe('IrisAgentClient (telemetry)', () => {
  let bus: RecordingBus;
  const clients: IrisAgentClient[] = [];

  function client(options: Partial<IrisAgentClientOptions> = {}): IrisAgentClient {
    const created = new IrisAgentClient({ agent: 'support-bot', versionId: 'v1', transport: bus, logger: logCollector(), ...fastRetry, ...options });
    clients.push(created);
    return created;
  }

  beforeEach(() => {
    bus = new RecordingBus();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 100 })));
  });

  it('publishes valid, decodable events to the telemetry topic, keyed by sessionId', async () => {
    const sdk = client({ environment: 'staging' });
    sdk.recordSessionStarted({ sessionId: 's1', tenant: 'acme', feature: 'chat', user: 'u1' });
    sdk.recordRequest(request('s1', 'r1'));
    sdk.recordFeedback({ sessionId: 's1', tenant: 'acme', requestId: 'r1', feedback: { score: 0.5 } });
    sdk.recordSessionEnded({ sessionId: 's1', tenant: 'acme', reason: 'completed', durationMs: 900 });
    await waitFor(() => sdk.stats().published === 4);

    expect(bus.batches.every((batch) => batch.topic === TOPICS.telemetry.name)).toBe(true);
    const events = bus.messages.map((m) => ({ key: m.key, event: decodeMessage(m.value as string) }));
    expect(events.map((e) => e.event.type)).toEqual([
      'agent.session.started',
      'agent.request.completed',
      'agent.feedback.recorded',
      'agent.session.ended',
    ]);
    for (const { key, event } of events) {
      expect(key).toBe('s1');
      expect(event.environment).toBe('staging');
      expect(event.correlationId).toBe('s1');
      expect(event.data).toMatchObject({ agent: 'support-bot', versionId: 'v1', sessionId: 's1' });
    }
    const completed = events[1].event as EventOf<'agent.request.completed'>;
    expect(completed.data).toMatchObject({ role: 'primary', toolCalls: [], policyViolations: [], error: null });
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(4);
  });

  it('fixes eventId and time at record time; versionId and occurredAt can be overridden per call', async () => {
    const sdk = client();
    const before = Date.now();
    sdk.recordRequest(request('s1', 'r1'));
    sdk.recordRequest(request('s1', 'r2', { versionId: 'v2', occurredAt: new Date('2030-01-02T03:04:05.000Z') }));
    await waitFor(() => sdk.stats().published === 2);
    const [first, second] = bus.messages.map((m) => decodeMessage(m.value as string));
    expect(Date.parse(first.occurredAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first.occurredAt)).toBeLessThanOrEqual(before + 1000);
    expect(first.data).toMatchObject({ versionId: 'v1' });
    expect(second.data).toMatchObject({ versionId: 'v2' });
    expect(second.occurredAt).toBe('2030-01-02T03:04:05.000Z');
  });

  it('batches up to maxBatchSize events per publish', async () => {
    const sdk = client({ maxBatchSize: 100 });
    for (let i = 0; i < 250; i++) sdk.recordRequest(request(`s${i % 7}`, `r${i}`));
    await waitFor(() => sdk.stats().published === 250);
    expect(bus.batches.map((b) => b.messages.length)).toEqual([100, 100, 50]);
    expect(sdk.stats()).toMatchObject({ recorded: 250, published: 250, buffered: 0, droppedOverflow: 0 });
  });

  it('bounds a publish by maxBatchBytes too, carrying the overflowing event (encoded once) into the next batch, in order', async () => {
    bus.failNext = 1;
    const sdk = client({ maxBatchSize: 100, maxBatchBytes: 2_000 });
    for (let i = 0; i < 30; i++) sdk.recordRequest(request(`s${i % 3}`, `r${i}`, { output: 'x'.repeat(i === 5 ? 5_000 : 100) }));
    await waitFor(() => sdk.stats().published === 30);
    const sizes = bus.batches.map((b) => b.messages.reduce((sum, m) => sum + 16 + Buffer.byteLength(m.key as string) + Buffer.byteLength(m.value as string), 0));
    for (const [i, batch] of bus.batches.entries()) {
      if (batch.messages.length > 1) expect(sizes[i]).toBeLessThanOrEqual(2_000);
    }
    expect(bus.batches.some((b) => b.messages.length === 1 && (b.messages[0].value as string).length > 5_000)).toBe(true);
    const ids = bus.messages.map((m) => (decodeMessage(m.value as string).data as { requestId: string }).requestId);
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`));
    expect(sdk.stats()).toMatchObject({ recorded: 30, published: 30, buffered: 0, droppedOverflow: 0, invalidDropped: 0 });
  });

  it('shrinks the default batch size to a smaller maxBufferedEvents', () => {
    expect(() => client({ maxBufferedEvents: 100 })).not.toThrow();
  });

  it('flushes a partial batch after flushIntervalMs', async () => {
    const sdk = client({ flushIntervalMs: 30 });
    const recordedAt = Date.now();
    sdk.recordRequest(request('s1', 'r1'));
    expect(bus.attempts).toHaveLength(0);
    await waitFor(() => sdk.stats().published === 1);
    expect(bus.batches[0].at - recordedAt).toBeGreaterThanOrEqual(25);
  });

  it('keeps per-session order, across batches and retries', async () => {
    bus.failNext = 2;
    const sdk = client({ maxBatchSize: 7 });
    const sessions = ['a', 'b', 'c'];
    for (let i = 0; i < 60; i++) sdk.recordRequest(request(sessions[i % 3], `${sessions[i % 3]}-${i}`));
    await waitFor(() => sdk.stats().published === 60);
    for (const session of sessions) {
      const seqs = bus.messages
        .filter((m) => m.key === session)
        .map((m) => Number((decodeMessage(m.value as string).data as { requestId: string }).requestId.split('-')[1]));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(seqs).toHaveLength(20);
    }
  });

  it('retries a failing transport with growing, capped backoff while record calls stay synchronous', async () => {
    bus.failNext = 4;
    const sdk = client({ retryBackoffMinMs: 20, retryBackoffMaxMs: 80 });
    for (let i = 0; i < 200; i++) {
      expect(sdk.recordRequest(request('s1', `r${i}`)) as unknown).toBeUndefined(); // synchronous: speed is benchmarked, not asserted
      if (i % 50 === 0) await new Promise((done) => setTimeout(done, 15));
    }
    await waitFor(() => sdk.stats().published === 200, 5_000);
    const stats = sdk.stats();
    expect(stats.publishFailures).toBe(4);
    expect(stats.lastError).toMatchObject({ message: 'broker unavailable', code: 'TEST_BROKER_DOWN' });
    const gaps = bus.attempts.slice(1, 5).map((at, i) => at - bus.attempts[i]);
    // equal jitter: attempt n waits within [step/2, step], step = min(80, 20·2^(n-1)). The waits grow (lower bounds
    // hold whatever the load); the cap is asserted on the backoff function itself (primitives.unit.spec.ts), since a
    // wall-clock upper bound here measures the machine's timer lateness.
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(gaps[3]).toBeGreaterThanOrEqual(39);
  });

  it('drops the OLDEST events when the buffer is full, counts them, and logs rate-limited', async () => {
    bus.failNext = Infinity;
    const logger = logCollector();
    const sdk = client({ maxBufferedEvents: 100, maxBatchSize: 10, logger });
    for (let i = 0; i < 250; i++) sdk.recordRequest(request('s1', `r${i}`));
    expect(sdk.stats()).toMatchObject({ recorded: 250, droppedOverflow: 150, buffered: 100 });
    await waitFor(() => sdk.stats().publishFailures >= 3);
    for (let i = 250; i < 300; i++) sdk.recordRequest(request('s1', `r${i}`));
    await new Promise((done) => setTimeout(done, 30));
    expect(sdk.stats().buffered).toBeLessThanOrEqual(100);
    expect(sdk.stats().droppedOverflow).toBe(200);

    bus.failNext = 0;
    await waitFor(() => sdk.stats().buffered === 0);
    const ids = bus.messages.map((m) => (decodeMessage(m.value as string).data as { requestId: string }).requestId);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `r${200 + i}`));
    expect(sdk.stats()).toMatchObject({ published: 100, droppedOverflow: 200 });
    const overflowLines = logger.lines.filter((l) => l.message.includes('buffer full'));
    expect(overflowLines.length).toBe(1); // rate-limited (10 s default)
  });

  it('counts evicted records of an in-flight batch as delivered when it succeeds, dropped when it fails', async () => {
    let release!: () => void;
    bus.gate = new Promise((done) => (release = done));
    const sdk = client({ maxBufferedEvents: 20, maxBatchSize: 10 });
    for (let i = 0; i < 10; i++) sdk.recordRequest(request('s1', `r${i}`));
    await waitFor(() => bus.attempts.length === 1); // batch r0..r9 in flight
    for (let i = 10; i < 35; i++) sdk.recordRequest(request('s1', `r${i}`)); // evicts r0..r14
    expect(sdk.stats().droppedOverflow).toBe(5); // only r10..r14: r0..r9 are in flight
    bus.gate = undefined;
    release();
    await waitFor(() => sdk.stats().buffered === 0);
    expect(sdk.stats()).toMatchObject({ published: 30, droppedOverflow: 5 });

    bus.failNext = 1;
    bus.gate = new Promise((done) => (release = done));
    for (let i = 0; i < 10; i++) sdk.recordRequest(request('s2', `q${i}`));
    await waitFor(() => bus.attempts.length === 4);
    for (let i = 10; i < 25; i++) sdk.recordRequest(request('s2', `q${i}`)); // evicts q0..q4 (in flight)
    bus.gate = undefined;
    release();
    await waitFor(() => sdk.stats().buffered === 0);
    expect(sdk.stats()).toMatchObject({ published: 50, droppedOverflow: 10 });
  });

  it('validates at flush: invalid events are counted, logged once per N, never sent, and never throw', async () => {
    const logger = logCollector();
    const sdk = client({ logger, logInvalidEvery: 3 });
    expect(() => {
      sdk.recordRequest(request('s1', 'bad-1', { latencyMs: -5 }));
      sdk.recordRequest(request('s1', 'ok-1'));
      sdk.recordRequest(null as unknown as RequestCompletedInput);
      sdk.recordRequest({ ...request('s1', 'bad-3'), unknownField: 1 } as RequestCompletedInput);
      sdk.recordFeedback({ sessionId: 's1', tenant: 'acme', requestId: 'r', feedback: {} });
      sdk.recordSessionEnded({ sessionId: 's1', tenant: 'acme', reason: 'done', durationMs: 1, occurredAt: 'yesterday' });
      sdk.recordSessionStarted({ sessionId: '', tenant: 'acme' });
      sdk.recordRequest(request('s1', 'ok-2'));
    }).not.toThrow();
    await waitFor(() => sdk.stats().published === 2);
    expect(sdk.stats()).toMatchObject({ recorded: 8, published: 2, invalidDropped: 6 });
    const invalidLines = logger.lines.filter((l) => l.message.includes('invalid'));
    expect(invalidLines).toHaveLength(2); // 1st and 4th
    expect(String(invalidLines[0].fields?.error)).toContain('latencyMs');
  });

  it('close() flushes what is buffered, then closes the transport it owns', async () => {
    const sdk = client({ flushIntervalMs: 10_000, ownsTransport: true });
    for (let i = 0; i < 1234; i++) sdk.recordRequest(request(`s${i % 5}`, `r${i}`));
    await expect(sdk.close()).resolves.toEqual({ flushed: true, unflushed: 0 });
    expect(sdk.stats()).toMatchObject({ published: 1234, buffered: 0 });
    expect(bus.closed).toBe(true);
    sdk.recordRequest(request('s1', 'late'));
    expect(sdk.stats()).toMatchObject({ recorded: 1234, droppedAfterClose: 1 });
  });

  it('close() is bounded by its timeout when the transport is down, and leaves a borrowed transport open', async () => {
    bus.failNext = Infinity;
    const sdk = client();
    for (let i = 0; i < 10; i++) sdk.recordRequest(request('s1', `r${i}`));
    // The transport never recovers, so only the timeout can end close(): it resolves, unflushed (a hang fails the test).
    await expect(sdk.close({ timeoutMs: 150 })).resolves.toEqual({ flushed: false, unflushed: 10 });
    expect(bus.closed).toBe(false);
  });

  it('survives a transport that throws synchronously (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let calls = 0;
      const throwing = Object.assign(new RecordingBus(), {
        publish: () => {
          calls++;
          if (calls < 3) throw new TypeError('sync failure');
          return Promise.resolve();
        },
      });
      const sdk = client({ transport: throwing });
      sdk.recordRequest(request('s1', 'r1'));
      await waitFor(() => sdk.stats().published === 1);
      expect(sdk.stats().publishFailures).toBe(2);
      await new Promise((done) => setImmediate(done));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('works over the EmbeddedMessageBus (forBus)', async () => {
    const embedded = new EmbeddedMessageBus({ logger: silentLogger });
    const received: string[] = [];
    const subscription = await embedded.subscribe({
      topic: TOPICS.telemetry.name,
      groupId: 'test',
      fromBeginning: true,
      decode: (raw) => decodeMessage(raw.value),
      handleBatch: async (batch) => {
        for (const m of batch) received.push(`${m.key}:${m.value.type}`);
      },
    });
    const sdk = IrisAgentClient.forBus(embedded, { agent: 'support-bot', versionId: 'v1', flushIntervalMs: 1 });
    clients.push(sdk);
    sdk.recordSessionStarted({ sessionId: 's9', tenant: 'acme' });
    sdk.recordRequest(request('s9', 'r1'));
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['s9:agent.session.started', 's9:agent.request.completed']);
    await subscription.stop();
    await embedded.close();
  });

  it('rejects invalid options at construction with a typed error', () => {
    expect(() => client({ agent: '' })).toThrow(AgentSdkConfigError);
    expect(() => client({ maxBatchSize: 0 })).toThrow(/maxBatchSize/);
    expect(() => client({ maxBufferedEvents: 10, maxBatchSize: 20 })).toThrow(/must not exceed/);
    expect(() => client({ transport: undefined as never })).toThrow(/transport/);
  });
});
