import { createEvent, validateEvent, type EventOf } from '@iris/contracts';
import { mergeClosedWindows, type ClosedWindow } from './closed-window';
import { LATENCY_RELATIVE_ERROR } from './latency-histogram';
import { metricsSnapshotPayloads } from './metrics-snapshot';
import { feedbackRecorded, requestCompleted, sessionEnded, sessionStarted, syntheticStream } from './synthetic-telemetry';
import { WindowedAggregator, type TelemetryEvent } from './windowed-aggregator';
import { AggregationError } from './errors';

const T0 = Date.UTC(2025, 0, 31, 12, 0, 0); // a window boundary (10 s aligned)
const S = 1_000;

function applyAll(aggregator: WindowedAggregator, events: readonly TelemetryEvent[], source = 'p0') {
  return events.map((e) => aggregator.apply(e, source));
}

/** Runs a stream and closes every window (watermark far ahead on every source). */
function closedWindowsOf(events: readonly TelemetryEvent[], sourceOf: (e: TelemetryEvent, i: number) => string = () => 'p0'): ClosedWindow[] {
  const aggregator = new WindowedAggregator();
  const sources = new Set<string>();
  events.forEach((e, i) => {
    const source = sourceOf(e, i);
    sources.add(source);
    aggregator.apply(e, source);
  });
  const out = aggregator.closeReadyWindows();
  const end = Math.max(...events.map((e) => Date.parse(e.occurredAt))) + 60 * S;
  for (const source of sources) aggregator.advanceWatermark(source, end);
  return [...out, ...aggregator.closeReadyWindows()];
}

const figuresOfVersion = (window: ClosedWindow, versionId: string, role = 'primary') =>
  window.versions.find((v) => v.key.versionId === versionId && v.key.role === role)?.figures;

describe('WindowedAggregator: figures of a known stream', () => {
  const events: TelemetryEvent[] = [
    sessionStarted({ atMs: T0 + 100, sessionId: 's1' }),
    sessionStarted({ atMs: T0 + 200, sessionId: 's2', tenant: 'globex' }),
    requestCompleted({ atMs: T0 + 1 * S, sessionId: 's1', latencyMs: 100, costUsd: 0.01, tokensIn: 100, tokensOut: 10,
      toolCalls: [{ name: 'lookup', argsHash: 'h', ok: true, latencyMs: 5 }, { name: 'refund', argsHash: 'h', ok: false, latencyMs: 9 }],
      userFeedback: { score: 0.5 }, scores: { accuracy: 0.9, hallucination: 0.1 } }),
    requestCompleted({ atMs: T0 + 2 * S, sessionId: 's1', latencyMs: 200, costUsd: 0.02, tokensIn: 200, tokensOut: 20,
      error: { kind: 'timeout', message: 'slow' }, scores: { accuracy: 0.7 } }),
    requestCompleted({ atMs: T0 + 3 * S, sessionId: 's2', tenant: 'globex', latencyMs: 300, costUsd: 0.03, tokensIn: 300, tokensOut: 30,
      policyViolations: [{ policy: 'pii.echo', detail: 'x' }, { policy: 'pii.echo', detail: 'y' }, { policy: 'tone', detail: 'z' }] }),
    requestCompleted({ atMs: T0 + 4 * S, sessionId: 's2', tenant: 'globex', latencyMs: 400, costUsd: 0.04, tokensIn: 400, tokensOut: 40,
      error: { kind: 'model_error', message: 'boom' } }),
    requestCompleted({ atMs: T0 + 5 * S, sessionId: 's1', role: 'shadow', latencyMs: 9_000, costUsd: 1 }),
    feedbackRecorded({ atMs: T0 + 6 * S, sessionId: 's1', rating: 1 }), // → score -1
    sessionEnded({ atMs: T0 + 7 * S, sessionId: 's1' }),
    requestCompleted({ atMs: T0 + 12 * S, sessionId: 's2', tenant: 'globex', latencyMs: 50, costUsd: 0.005 }), // next window
  ];

  it('aggregates per (environment, agent, version, role) with exact counts and ratios', () => {
    const [first, second] = closedWindowsOf(events);
    expect([first.startMs, first.endMs, second.startMs]).toEqual([T0, T0 + 10 * S, T0 + 10 * S]);
    expect(first.versions.map((v) => v.key)).toEqual([
      { environment: 'production', agent: 'support-bot', versionId: 'v1', role: 'primary' },
      { environment: 'production', agent: 'support-bot', versionId: 'v1', role: 'shadow' },
    ]);
    const f = figuresOfVersion(first, 'v1')!;
    expect(f).toMatchObject({
      requests: 4,
      errors: 2,
      errorRate: 0.5,
      errorsByKind: { model_error: 1, timeout: 1 },
      toolCalls: 2,
      toolFailures: 1,
      toolFailureRate: 0.5,
      tokensIn: 1000,
      tokensOut: 100,
      costUsd: 0.1,
      costPerRequest: 0.025,
      sessionsWithRequests: 2,
      costPerSession: 0.05,
      policyViolations: { total: 3, byPolicy: { 'pii.echo': 2, tone: 1 } },
      feedback: { count: 2, mean: -0.25 },
      scores: { accuracy: { count: 2, sum: 1.6, mean: 0.8, min: 0.7, max: 0.9 }, hallucination: { count: 1, sum: 0.1, mean: 0.1, min: 0.1, max: 0.1 } },
      sessionsStarted: 2,
      sessionsEnded: 1,
      liveSessions: 1, // s2 still open at the end of the window
      late: 0,
    });
    expect(f.latency!.mean).toBe(250);
    expect(f.latency!.max).toBe(400);
    for (const [q, exact] of [['p50', 200], ['p95', 400], ['p99', 400]] as const) {
      expect(Math.abs(f.latency![q] - exact)).toBeLessThanOrEqual(exact * LATENCY_RELATIVE_ERROR);
    }
    // shadow kept apart
    expect(figuresOfVersion(first, 'v1', 'shadow')).toMatchObject({ requests: 1, costUsd: 1, latency: { max: 9_000 } });
    // per tenant
    expect(first.tenants.filter((t) => t.key.role === 'primary').map((t) => [t.key.tenant, t.figures.requests])).toEqual([['acme', 2], ['globex', 2]]);
    expect(figuresOfVersion(second, 'v1')).toMatchObject({ requests: 1, errorRate: 0, liveSessions: 1, sessionsStarted: 0 });
  });

  it('reports null for ratios without data', () => {
    const [window] = closedWindowsOf([sessionStarted({ atMs: T0 + 1 })]);
    expect(figuresOfVersion(window, 'v1')).toMatchObject({ requests: 0, errorRate: null, toolFailureRate: null, latency: null, costPerRequest: null, costPerSession: null, feedback: { count: 0, mean: null } });
  });

  it('builds valid metrics.snapshot payloads (one per environment, agent, role)', () => {
    const [first] = closedWindowsOf(events);
    const payloads = metricsSnapshotPayloads({ startMs: first.startMs, endMs: first.endMs, versions: first.versions });
    expect(payloads.map((p) => [p.environment, p.role])).toEqual([['production', 'primary'], ['production', 'shadow']]);
    const event = validateEvent(createEvent('metrics.snapshot', payloads[0].data, { environment: payloads[0].environment })) as EventOf<'metrics.snapshot'>;
    expect(event.data).toMatchObject({ agent: 'support-bot', windowStart: '2025-01-31T12:00:00.000Z', windowEnd: '2025-01-31T12:00:10.000Z' });
    expect(payloads[0].data.versions.v1).toMatchObject({ requests: 4, errorRate: 0.5, 'errors.timeout': 1, 'policyViolations.pii.echo': 2, 'scores.accuracy.mean': 0.8, liveSessions: 1 });
    expect(event.data.role).toBe('primary');
    expect(event.data.tenants).toBeUndefined(); // only when asked for
    const withTenants = metricsSnapshotPayloads({ ...first, tenants: first.tenants });
    const shadow = validateEvent(createEvent('metrics.snapshot', withTenants[1].data)) as EventOf<'metrics.snapshot'>;
    expect(shadow.data.role).toBe('shadow');
    expect(withTenants[0].data.tenants).toMatchObject({ v1: { acme: { requests: 2 }, globex: { requests: 2 } } });
  });
});

describe('WindowedAggregator: event time, watermark and lateness', () => {
  it('closes a window only when the watermark (max event time − lateness) passes its end', () => {
    const aggregator = new WindowedAggregator({ windowMs: 10 * S, allowedLatenessMs: 5 * S });
    aggregator.apply(requestCompleted({ atMs: T0 + 1 * S }), 'p0');
    aggregator.apply(requestCompleted({ atMs: T0 + 14 * S }), 'p0');
    expect(aggregator.watermarkMs).toBe(T0 + 9 * S);
    expect(aggregator.closeReadyWindows()).toEqual([]);
    aggregator.apply(requestCompleted({ atMs: T0 + 15 * S }), 'p0');
    const closed = aggregator.closeReadyWindows();
    expect(closed.map((w) => w.startMs)).toEqual([T0]);
    expect(aggregator.closeReadyWindows()).toEqual([]); // handed out once
  });

  it('counts a redelivered event once', () => {
    const aggregator = new WindowedAggregator();
    const event = requestCompleted({ atMs: T0 + S });
    expect(applyAll(aggregator, [event, event, structuredClone(event)]).map((r) => r.outcome)).toEqual(['applied', 'duplicate', 'duplicate']);
    aggregator.advanceWatermark('p0', T0 + 60 * S);
    expect(figuresOfVersion(aggregator.closeReadyWindows()[0], 'v1')!.requests).toBe(1);
    expect(aggregator.stats()).toMatchObject({ applied: 1, duplicates: 2 });
  });

  it('updates a still-open window with events late within the allowed lateness', () => {
    const aggregator = new WindowedAggregator({ allowedLatenessMs: 5 * S });
    aggregator.apply(requestCompleted({ atMs: T0 + 13 * S }), 'p0'); // watermark T0+8s: window [T0, T0+10s) still open
    expect(aggregator.apply(requestCompleted({ atMs: T0 + 2 * S }), 'p0').outcome).toBe('applied');
    aggregator.advanceWatermark('p0', T0 + 60 * S);
    const [first] = aggregator.closeReadyWindows();
    expect(first.startMs).toBe(T0);
    expect(figuresOfVersion(first, 'v1')!.requests).toBe(1);
  });

  it('counts events beyond the allowed lateness as late (per key, listed), never in the figures', () => {
    const aggregator = new WindowedAggregator({ allowedLatenessMs: 5 * S });
    aggregator.apply(requestCompleted({ atMs: T0 + 1 * S }), 'p0');
    aggregator.apply(requestCompleted({ atMs: T0 + 16 * S }), 'p0'); // watermark T0+11s: [T0, T0+10s) closed
    const late = requestCompleted({ atMs: T0 + 3 * S, versionId: 'v2' });
    expect(aggregator.apply(late, 'p0')).toEqual({ outcome: 'late', windowStartMs: T0 });
    expect(aggregator.apply(late, 'p0').outcome).toBe('duplicate'); // its redelivery is not late twice
    const [first] = aggregator.closeReadyWindows();
    expect(figuresOfVersion(first, 'v2')).toBeUndefined();
    expect(aggregator.drainLateEvents()).toEqual([
      expect.objectContaining({ eventId: late.eventId, key: expect.objectContaining({ versionId: 'v2' }), windowStartMs: T0, watermarkMs: T0 + 11 * S, source: 'p0' }),
    ]);
    expect(aggregator.drainLateEvents()).toEqual([]);
    aggregator.advanceWatermark('p0', T0 + 60 * S);
    const [second] = aggregator.closeReadyWindows(); // reported in the window open when it arrived
    expect(second.startMs).toBe(T0 + 10 * S);
    expect(figuresOfVersion(second, 'v2')).toMatchObject({ requests: 0, late: 1 });
    expect(aggregator.stats().late).toBe(1);
  });

  it('gives the same windows for input reordered within the allowed lateness as for ordered input', () => {
    const jittered = syntheticStream({ events: 3_000, eventsPerSecond: 50, jitterMs: 5 * S, seed: 7 });
    const ordered = [...jittered].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const a = closedWindowsOf(jittered);
    expect(a.length).toBeGreaterThan(5);
    expect(a).toEqual(closedWindowsOf(ordered));
  });

  it('uses the minimum over sources as the watermark; markIdle stops waiting for a quiet source', () => {
    const aggregator = new WindowedAggregator({ allowedLatenessMs: 0 });
    aggregator.apply(requestCompleted({ atMs: T0 + 1 * S }), 'p0');
    aggregator.apply(requestCompleted({ atMs: T0 + 2 * S }), 'p1');
    aggregator.apply(requestCompleted({ atMs: T0 + 30 * S }), 'p0');
    expect(aggregator.watermarkMs).toBe(T0 + 2 * S);
    expect(aggregator.closeReadyWindows()).toEqual([]);
    aggregator.markIdle('p1');
    expect(aggregator.watermarkMs).toBe(T0 + 30 * S);
    expect(aggregator.closeReadyWindows().map((w) => w.startMs)).toEqual([T0]);
    aggregator.apply(requestCompleted({ atMs: T0 + 25 * S }), 'p1'); // back, but the watermark never moves back
    expect(aggregator.watermarkMs).toBe(T0 + 30 * S);
  });

  it('is deterministic whenever closeReadyWindows is called', () => {
    const stream = syntheticStream({ events: 1_000, eventsPerSecond: 40, jitterMs: 8 * S, seed: 3 });
    const eager = new WindowedAggregator();
    const lazy = new WindowedAggregator();
    const eagerOut: ClosedWindow[] = [];
    for (const e of stream) {
      eager.apply(e, 'p0');
      lazy.apply(e, 'p0');
      eagerOut.push(...eager.closeReadyWindows());
    }
    expect(lazy.closeReadyWindows()).toEqual(eagerOut);
    expect(lazy.drainLateEvents()).toEqual(eager.drainLateEvents());
  });

  it('refuses bad timestamps and options with typed errors', () => {
    const bad = requestCompleted({ atMs: T0 });
    bad.occurredAt = 'yesterday';
    expect(() => new WindowedAggregator().apply(bad, 'p0')).toThrow(expect.objectContaining({ reason: 'INVALID_TIMESTAMP' }));
    expect(() => new WindowedAggregator({ windowMs: 0 })).toThrow(AggregationError);
    expect(new WindowedAggregator().apply(createEvent('rollout.event', { rolloutId: 'r', agent: 'a', kind: 'k', detail: {} } as never), 'p0')).toEqual({ outcome: 'ignored', windowStartMs: null });
  });
});

describe('WindowedAggregator: live sessions', () => {
  it('tracks the gauge by session id across windows: duplicates and reordering do not skew it', () => {
    const events = [
      sessionStarted({ atMs: T0 + 1 * S, sessionId: 'a' }),
      sessionStarted({ atMs: T0 + 2 * S, sessionId: 'a' }), // another eventId, same session
      sessionEnded({ atMs: T0 + 3 * S, sessionId: 'b' }), // end seen before its start
      sessionStarted({ atMs: T0 + 4 * S, sessionId: 'b' }),
      sessionStarted({ atMs: T0 + 5 * S, sessionId: 'c' }),
      requestCompleted({ atMs: T0 + 15 * S, sessionId: 'c' }),
      sessionEnded({ atMs: T0 + 22 * S, sessionId: 'a' }),
      sessionEnded({ atMs: T0 + 23 * S, sessionId: 'a' }),
      sessionEnded({ atMs: T0 + 31 * S, sessionId: 'c' }),
    ];
    const windows = closedWindowsOf(events);
    const live = windows.map((w) => [w.startMs - T0, figuresOfVersion(w, 'v1')?.liveSessions]);
    expect(live).toEqual([[0, 2], [10 * S, 2], [20 * S, 1], [30 * S, 0]]);
    expect(figuresOfVersion(windows[0], 'v1')).toMatchObject({ sessionsStarted: 3, sessionsEnded: 1 });
    expect(figuresOfVersion(windows[2], 'v1')).toMatchObject({ sessionsStarted: 0, sessionsEnded: 1 });
  });

  it('exposes the current gauge per version (drained = 0)', () => {
    const aggregator = new WindowedAggregator();
    applyAll(aggregator, [sessionStarted({ atMs: T0, sessionId: 'x', versionId: 'v7' }), sessionEnded({ atMs: T0 + 5 * S, sessionId: 'x', versionId: 'v7' })]);
    expect(aggregator.liveSessions(T0 + 1 * S)).toEqual([{ key: expect.objectContaining({ versionId: 'v7' }), liveSessions: 1 }]);
    expect(aggregator.liveSessions(T0 + 6 * S)).toEqual([]);
  });
});

describe('WindowedAggregator: shards, snapshots, rolling views, bounded memory', () => {
  const stream = syntheticStream({ events: 4_000, eventsPerSecond: 100, jitterMs: 3 * S, seed: 11, sessions: 200 });

  it('two consumers split by session id, merged, equal one consumer over everything', () => {
    const partitionOf = (e: TelemetryEvent) => `p${Number(e.data.sessionId.slice(5)) % 4}`;
    const single = closedWindowsOf(stream, partitionOf);
    const half = (n: number) => stream.filter((e) => Number(partitionOf(e).slice(1)) % 2 === n);
    const left = closedWindowsOf(half(0), partitionOf);
    const right = closedWindowsOf(half(1), partitionOf);
    expect(left.map((w) => w.startMs)).toEqual(single.map((w) => w.startMs));
    const merged = single.map((w, i) => mergeClosedWindows([left[i], right[i]]));
    expect(merged).toEqual(single);
  });

  it('snapshot → JSON → restore → continue equals an uninterrupted run', () => {
    const cut = 1_700;
    const uninterrupted = new WindowedAggregator();
    const interrupted = new WindowedAggregator();
    const expected: ClosedWindow[] = [];
    const actual: ClosedWindow[] = [];
    stream.slice(0, cut).forEach((e, i) => {
      uninterrupted.apply(e, `p${i % 2}`);
      interrupted.apply(e, `p${i % 2}`);
    });
    expected.push(...uninterrupted.closeReadyWindows());
    actual.push(...interrupted.closeReadyWindows());
    const restored = WindowedAggregator.restore(JSON.parse(JSON.stringify(interrupted.snapshot())));
    expect(restored.snapshot()).toEqual(interrupted.snapshot());
    stream.slice(cut).forEach((e, i) => {
      uninterrupted.apply(e, `p${(cut + i) % 2}`);
      restored.apply(e, `p${(cut + i) % 2}`);
    });
    // redeliveries after the restart (consumer resumed from an older offset) are still deduplicated
    stream.slice(cut - 50, cut).forEach((e, i) => expect(restored.apply(e, `p${(cut - 50 + i) % 2}`).outcome).not.toBe('applied'));
    stream.slice(cut - 50, cut).forEach((e, i) => uninterrupted.apply(e, `p${(cut - 50 + i) % 2}`));
    for (const a of [uninterrupted, restored]) for (const p of ['p0', 'p1']) a.advanceWatermark(p, T0 + 3_600 * S);
    expected.push(...uninterrupted.closeReadyWindows());
    actual.push(...restored.closeReadyWindows());
    expect(actual).toEqual(expected);
    expect(restored.rollingView(5 * 60 * S, T0 + 60 * S)).toEqual(uninterrupted.rollingView(5 * 60 * S, T0 + 60 * S));
  });

  it('rolling views merge the closed windows of the span (optionally the open one)', () => {
    const aggregator = new WindowedAggregator({ retainClosedMs: 60 * S });
    for (let i = 0; i < 120; i++) {
      aggregator.apply(requestCompleted({ atMs: T0 + i * S, latencyMs: 100 + i }), 'p0');
      aggregator.closeReadyWindows();
    }
    // watermark T0+114s: windows up to [T0+100s, T0+110s) closed, [T0+110s, T0+120s) open
    const lastMinute = aggregator.rollingView(60 * S, T0 + 115 * S);
    expect(lastMinute).toMatchObject({ fromMs: T0 + 50 * S, toMs: T0 + 110 * S, windows: 6, complete: true });
    expect(lastMinute.versions[0].figures.requests).toBe(60);
    expect(lastMinute.versions[0].figures.latency!.max).toBe(209);
    const withOpen = aggregator.rollingView(60 * S, T0 + 115 * S, { includeOpen: true });
    expect(withOpen).toMatchObject({ fromMs: T0 + 60 * S, toMs: T0 + 120 * S, windows: 6 });
    expect(withOpen.versions[0].figures.requests).toBe(60);
    expect(aggregator.rollingView(15 * 60 * S, T0 + 115 * S).complete).toBe(false); // older windows evicted (retainClosedMs)
  });

  it('keeps event ids only for open windows + the lateness horizon, and forgets emitted windows', () => {
    const aggregator = new WindowedAggregator({ retainClosedMs: 60 * S });
    for (let i = 0; i < 6_000; i++) {
      aggregator.apply(requestCompleted({ atMs: T0 + i * 100 }), 'p0');
      aggregator.closeReadyWindows();
    }
    const stats = aggregator.stats();
    expect(stats.trackedEventIds).toBeLessThanOrEqual(250); // ≤ 25 s of events at 10/s
    expect(stats.openWindows + stats.closedWindowsPending).toBeLessThanOrEqual(2);
    expect(stats.retainedWindows).toBeLessThanOrEqual(8);
  });
});
