import type { EventOf } from '@iris/contracts';
import { IrisAgentClient, TelemetryRecorder } from '@iris/agent-sdk';
import { RecordingBus, waitFor } from '../../agent-sdk/src/testing/recording-bus';
import { generateTelemetry, latencySampler, Prng, simulateAgent, SimulatedVersion, SimulationConfigError, summarizeTelemetry } from './index';

const baseline: SimulatedVersion = {
  versionId: 'v1',
  weight: 0.8,
  errorRate: 0.02,
  latencyMs: { distribution: 'lognormal', p50: 800, p99: 4000 },
  costUsd: { mean: 0.01, sd: 0.002 },
  tokens: { inMean: 500, outMean: 200 },
  toolFailureRate: 0.05,
  policyViolationRate: 0.01,
  scores: { accuracy: { mean: 0.9, sd: 0.05 } },
  feedbackRate: 0.1,
};
const candidate: SimulatedVersion = {
  ...baseline,
  versionId: 'v2',
  weight: 0.2,
  errorRate: 0.2,
  latencyMs: { distribution: 'normal', p50: 1000, p99: 2000 },
  toolFailureRate: 0.3,
  policyViolationRate: 0.1,
  feedbackRate: 0.3,
};

const scenario = {
  agent: 'support-bot',
  versions: [baseline, candidate],
  tenants: ['acme', 'globex'],
  features: ['chat', 'search'],
  requestRatePerSec: 100,
  sessionLength: { min: 2, max: 8 },
  totalRequests: 40_000,
  seed: 42,
};

describe('generateTelemetry', () => {
  it('is deterministic for a seed (ids included) and differs across seeds', () => {
    const small = { ...scenario, totalRequests: 500 };
    expect(generateTelemetry(small)).toEqual(generateTelemetry(small));
    expect(generateTelemetry({ ...small, seed: 43 })).not.toEqual(generateTelemetry(small));
  });

  it('produces valid sessions: start → requests → end, on the simulated clock', () => {
    const events = generateTelemetry({ ...scenario, totalRequests: 2_000, startTimeMs: Date.UTC(2030, 0, 1) });
    const bySession = new Map<string, string[]>();
    for (const event of events) {
      const list = bySession.get((event.data as { sessionId: string }).sessionId) ?? [];
      list.push(event.type);
      bySession.set((event.data as { sessionId: string }).sessionId, list);
    }
    for (const types of bySession.values()) {
      expect(types[0]).toBe('agent.session.started');
      expect(types[types.length - 1]).toBe('agent.session.ended');
      expect(types.filter((t) => t === 'agent.session.started')).toHaveLength(1);
    }
    const requests = events.filter((e) => e.type === 'agent.request.completed');
    expect(requests).toHaveLength(2_000);
    const times = events.map((e) => Date.parse(e.occurredAt));
    expect(Math.min(...times)).toBe(Date.UTC(2030, 0, 1));
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(2_000 * 10 + 60_000); // 100 req/s simulated
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  });

  it('matches the configured rates within tolerance', () => {
    const events = generateTelemetry(scenario);
    const totals = summarizeTelemetry(events);
    const share = totals.v2.requests / (totals.v1.requests + totals.v2.requests);
    expect(share).toBeCloseTo(0.2, 1);
    for (const [versionId, v] of [['v1', baseline], ['v2', candidate]] as const) {
      const t = totals[versionId];
      expect(t.errors / t.requests).toBeCloseTo(v.errorRate, 1);
      expect(Math.abs(t.errors / t.requests - v.errorRate)).toBeLessThan(0.02);
      expect(Math.abs(t.toolFailures / t.toolCalls - v.toolFailureRate)).toBeLessThan(0.02);
      expect(Math.abs(t.requestsWithPolicyViolation / t.requests - v.policyViolationRate)).toBeLessThan(0.015);
      expect(Math.abs(t.feedback / t.requests - v.feedbackRate)).toBeLessThan(0.02);
      expect(Math.abs(t.costUsd / t.requests - v.costUsd.mean) / v.costUsd.mean).toBeLessThan(0.02);
      expect(Math.abs(t.tokensIn / t.requests - v.tokens!.inMean) / v.tokens!.inMean).toBeLessThan(0.03);
      const p50 = t.latenciesMs[Math.floor(t.latenciesMs.length * 0.5)];
      const p99 = t.latenciesMs[Math.floor(t.latenciesMs.length * 0.99)];
      expect(Math.abs(p50 - v.latencyMs.p50) / v.latencyMs.p50).toBeLessThan(0.06);
      expect(Math.abs(p99 - v.latencyMs.p99) / v.latencyMs.p99).toBeLessThan(0.12);
      expect(t.sessionsStarted).toBe(t.sessionsEnded);
    }
  });
});

describe('latencySampler', () => {
  it.each(['lognormal', 'normal', 'uniform'] as const)('%s matches p50 and p99', (distribution) => {
    const random = new Prng(7);
    const sample = latencySampler({ distribution, p50: 200, p99: 900 }, () => random.normal(), () => random.next());
    const values = Array.from({ length: 100_000 }, sample).sort((a, b) => a - b);
    expect(values[0]).toBeGreaterThanOrEqual(0);
    expect(Math.abs(values[50_000] - 200) / 200).toBeLessThan(0.03);
    expect(Math.abs(values[99_000] - 900) / 900).toBeLessThan(0.05);
  });
});

describe('simulateAgent', () => {
  it('records the same stream through the SDK as generateTelemetry (simulated clock), deterministically', async () => {
    const bus = new RecordingBus();
    const client = new IrisAgentClient({ agent: 'support-bot', versionId: 'v1', transport: bus, flushIntervalMs: 1 });
    const report = await simulateAgent({ ...scenario, totalRequests: 3_000, client, clock: { startMs: Date.UTC(2030, 0, 1) }, requestRatePerSec: 0 });
    await client.close();
    const generated = generateTelemetry({ ...scenario, totalRequests: 3_000, startTimeMs: Date.UTC(2030, 0, 1), requestRatePerSec: 0 });
    const published = bus.messages.map((m) => JSON.parse(m.value as string));
    const withoutIds = (events: Array<{ eventId: string }>) => events.map(({ eventId: _id, ...rest }) => rest);
    expect(withoutIds(published)).toEqual(withoutIds(generated));
    expect(report).toMatchObject({ requests: 3_000, requestsByVersion: { v1: expect.any(Number), v2: expect.any(Number) } });
    expect(report.sessions).toBe(published.filter((e) => e.type === 'agent.session.started').length);
    expect(client.stats()).toMatchObject({ published: published.length, invalidDropped: 0, droppedOverflow: 0 });
  });

  it('routes each version to its own client when given clients', async () => {
    const seen: Record<string, Set<string>> = { a: new Set(), b: new Set() };
    const recorder = (name: 'a' | 'b'): TelemetryRecorder => ({
      recordSessionStarted: (i) => seen[name].add(i.versionId!),
      recordRequest: (i) => seen[name].add(i.versionId!),
      recordSessionEnded: (i) => seen[name].add(i.versionId!),
      recordFeedback: (i) => seen[name].add(i.versionId!),
    });
    await simulateAgent({ ...scenario, totalRequests: 500, clients: { v1: recorder('a'), v2: recorder('b') }, clock: { startMs: 0 } });
    expect([...seen.a]).toEqual(['v1']);
    expect([...seen.b]).toEqual(['v2']);
  });

  it('paces requests at requestRatePerSec on the real clock', async () => {
    const bus = new RecordingBus();
    const client = new IrisAgentClient({ agent: 'support-bot', versionId: 'v1', transport: bus, flushIntervalMs: 5 });
    const started = Date.now();
    const report = await simulateAgent({ ...scenario, totalRequests: undefined, durationMs: 500, requestRatePerSec: 200, client });
    const elapsed = Date.now() - started;
    expect(report.requests).toBe(100);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);
    await client.close();
    const requests = bus.messages.map((m) => JSON.parse(m.value as string) as EventOf<'agent.request.completed'>).filter((e) => e.type === 'agent.request.completed');
    const times = requests.map((e) => Date.parse(e.occurredAt));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(400); // real record times
    await waitFor(() => client.stats().buffered === 0);
  });

  it('rejects an incomplete scenario with a typed error', async () => {
    const client = { recordSessionStarted() {}, recordRequest() {}, recordSessionEnded() {}, recordFeedback() {} };
    await expect(simulateAgent({ ...scenario, versions: [], client })).rejects.toThrow(SimulationConfigError);
    await expect(simulateAgent({ ...scenario, totalRequests: undefined, client })).rejects.toThrow(/totalRequests or durationMs/);
    await expect(simulateAgent({ ...scenario, clients: { v1: client } })).rejects.toThrow(/no client for version v2/);
  });
});

describe('routed simulation', () => {
  it('asks the router for every session and request; moved sessions end on the old version and start on the new; shadow targets are mirrored', async () => {
    const calls: string[] = [];
    const recorded: Array<{ type: string; versionId: string; role?: string; reason?: string }> = [];
    const recorder = {
      recordSessionStarted: (i: { versionId?: string }) => void recorded.push({ type: 'started', versionId: i.versionId! }),
      recordRequest: (i: { versionId?: string; role?: string }) => void recorded.push({ type: 'request', versionId: i.versionId!, role: i.role }),
      recordSessionEnded: (i: { versionId?: string; reason?: string }) => void recorded.push({ type: 'ended', versionId: i.versionId!, reason: i.reason }),
      recordFeedback: () => undefined,
    };
    let requests = 0;
    await simulateAgent({
      client: recorder as never,
      clock: { startMs: 1_000_000 },
      seed: 3,
      requestRatePerSec: 100,
      totalRequests: 40,
      sessionLength: { min: 40, max: 40 },
      concurrentSessions: 1,
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0, latencyMs: { distribution: 'uniform', p50: 10, p99: 20 }, costUsd: { mean: 0.01, sd: 0 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
      router: (request) => {
        calls.push(`${request.currentVersionId ?? '-'}@${request.atMs - request.sessionStartedAtMs}`);
        requests++;
        return requests > 21 ? { versionId: 'v2' } : { versionId: 'v1', shadowVersionIds: ['v3'] };
      },
    });
    expect(calls[0]).toBe('-@0');
    expect(recorded.filter((r) => r.type === 'request' && r.role === 'shadow').every((r) => r.versionId === 'v3')).toBe(true);
    expect(recorded.filter((r) => r.type === 'request' && r.role === 'shadow')).toHaveLength(20);
    expect(recorded).toContainEqual({ type: 'ended', versionId: 'v1', reason: 'migrated' });
    expect(recorded.filter((r) => r.type === 'request' && r.role !== 'shadow' && r.versionId === 'v2')).toHaveLength(20);
  });
});
