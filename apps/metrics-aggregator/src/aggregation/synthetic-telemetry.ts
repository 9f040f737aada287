import type { EventOf } from '@iris/contracts';
import type { RequestCompletedData } from './metrics-accumulator';
import type { TelemetryEvent } from './windowed-aggregator';

/** Deterministic synthetic telemetry for unit tests and the benchmark (not part of the public surface). */

type Envelope = { eventId?: string; atMs: number; environment?: string };
type SessionRef = { agent?: string; versionId?: string; sessionId?: string; tenant?: string };

let sequence = 0;

/** A valid, unique uuid (v4 layout) derived from a counter. */
export function syntheticEventId(n: number = ++sequence): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex.slice(-12)}`;
}

function envelope(e: Envelope) {
  const eventId = e.eventId ?? syntheticEventId();
  return {
    schemaVersion: 1 as const,
    eventId,
    occurredAt: new Date(e.atMs).toISOString(),
    correlationId: eventId,
    causationId: null,
    environment: e.environment ?? 'production',
  };
}

function ref(s: SessionRef) {
  return { agent: s.agent ?? 'support-bot', versionId: s.versionId ?? 'v1', sessionId: s.sessionId ?? 'sess-1', tenant: s.tenant ?? 'acme' };
}

export function requestCompleted(e: Envelope & SessionRef & Partial<RequestCompletedData>): EventOf<'agent.request.completed'> {
  const { eventId: _id, atMs: _at, environment: _env, ...data } = e;
  return {
    ...envelope(e),
    type: 'agent.request.completed',
    data: {
      requestId: 'req-1',
      feature: 'refunds',
      role: 'primary',
      latencyMs: 100,
      tokensIn: 10,
      tokensOut: 5,
      costUsd: 0.001,
      toolCalls: [],
      error: null,
      policyViolations: [],
      outputDigest: 'sha256:00',
      ...data,
      ...ref(e),
    },
  };
}

export function sessionStarted(e: Envelope & SessionRef): EventOf<'agent.session.started'> {
  return { ...envelope(e), type: 'agent.session.started', data: ref(e) };
}

export function sessionEnded(e: Envelope & SessionRef & { durationMs?: number }): EventOf<'agent.session.ended'> {
  return { ...envelope(e), type: 'agent.session.ended', data: { ...ref(e), reason: 'completed', durationMs: e.durationMs ?? 1000 } };
}

export function feedbackRecorded(e: Envelope & SessionRef & { score?: number; rating?: number }): EventOf<'agent.feedback.recorded'> {
  const feedback = e.score !== undefined ? { score: e.score } : { rating: e.rating ?? 5 };
  return { ...envelope(e), type: 'agent.feedback.recorded', data: { ...ref(e), requestId: 'req-1', feedback } };
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticStreamOptions {
  events: number;
  seed?: number;
  startMs?: number;
  /** Event-time rate. */
  eventsPerSecond?: number;
  versions?: number;
  tenants?: number;
  sessions?: number;
  /** Max event-time disorder (each event is shifted back by up to this). */
  jitterMs?: number;
  /** Share of session start/end and feedback events among the events. */
  lifecycleShare?: number;
}

/**
 * A realistic mix: requests over `versions` × `tenants` (10 % shadow), errors,
 * tool calls, policy violations, scores, feedback, session starts and ends.
 */
export function syntheticStream(options: SyntheticStreamOptions): TelemetryEvent[] {
  return new SyntheticTelemetry(options).next(options.events);
}

/** The same stream produced batch by batch (as a consumer decodes it), continuing ids and event time. */
export class SyntheticTelemetry {
  private readonly random: () => number;
  private readonly idBase: number;
  private produced = 0;

  constructor(private readonly options: Omit<SyntheticStreamOptions, 'events'>) {
    this.random = seededRandom(options.seed ?? 1);
    this.idBase = Math.floor(this.random() * 1e9) * 1e5;
  }

  next(count: number): TelemetryEvent[] {
    const random = this.random;
    const startMs = this.options.startMs ?? Date.UTC(2025, 0, 31, 12);
    const perMs = (this.options.eventsPerSecond ?? 5_000) / 1000;
    const versions = this.options.versions ?? 20;
    const tenants = this.options.tenants ?? 5;
    const sessions = this.options.sessions ?? 2_000;
    const jitterMs = this.options.jitterMs ?? 0;
    const lifecycleShare = this.options.lifecycleShare ?? 0.05;
    const pick = (n: number) => Math.floor(random() * n);
    const out: TelemetryEvent[] = [];
    for (let n = 0; n < count; n++) {
      const i = this.produced++;
      const atMs = Math.max(0, Math.floor(startMs + i / perMs - random() * jitterMs));
      const session = pick(sessions);
      const s: SessionRef & Envelope = {
        eventId: syntheticEventId(this.idBase + i + 1),
        atMs,
        agent: `agent-${session % 4}`,
        versionId: `v${session % versions}`,
        tenant: `tenant-${Math.floor(session / versions) % tenants}`,
        sessionId: `sess-${session}`,
      };
      const roll = random();
      if (roll < lifecycleShare / 3) out.push(sessionStarted(s));
      else if (roll < (2 * lifecycleShare) / 3) out.push(sessionEnded(s));
      else if (roll < lifecycleShare) out.push(feedbackRecorded({ ...s, rating: 1 + pick(5) }));
      else {
        const failed = random() < 0.03;
        out.push(
          requestCompleted({
            ...s,
            requestId: `req-${i}`,
            role: random() < 0.1 ? 'shadow' : 'primary',
            latencyMs: Math.round(200 + 3000 * random() ** 3) + 0.5,
            tokensIn: 200 + pick(2000),
            tokensOut: 50 + pick(500),
            costUsd: Math.round(random() * 1e5) / 1e7,
            toolCalls: random() < 0.5 ? [{ name: 'lookup_order', argsHash: 'sha256:9f2c', ok: random() > 0.05, latencyMs: 80 }] : [],
            error: failed ? { kind: random() < 0.5 ? 'timeout' : 'model_error', message: 'failed' } : null,
            policyViolations: random() < 0.01 ? [{ policy: 'pii.echo', detail: 'echoed' }] : [],
            ...(random() < 0.05 ? { userFeedback: { score: Math.round(random() * 200 - 100) / 100 } } : {}),
            ...(random() < 0.3 ? { scores: { accuracy: Math.round(random() * 100) / 100 } } : {}),
          }),
        );
      }
    }
    return out;
  }
}
