import type { FeedbackInput, RequestCompletedInput, SessionEndedInput, SessionStartedInput } from '@iris/agent-sdk';
import { Prng } from './prng';
import { latencySampler, ResolvedScenario, SimulatedVersion } from './scenario';

/** One telemetry call to make, at `offsetMs` after the start of the run (simulated time). */
export type PlannedTelemetry = { offsetMs: number; versionId: string } & (
  | { type: 'agent.session.started'; input: SessionStartedInput }
  | { type: 'agent.request.completed'; input: RequestCompletedInput }
  | { type: 'agent.session.ended'; input: SessionEndedInput }
  | { type: 'agent.feedback.recorded'; input: FeedbackInput }
);

interface OpenSession {
  id: string;
  version: VersionModel;
  tenant: string;
  feature: string;
  user: string;
  length: number;
  done: number;
  startedAtMs: number;
  lastEndMs: number;
}

interface VersionModel {
  profile: SimulatedVersion;
  latency: () => number;
}

const ERROR_KINDS = ['model_error', 'timeout', 'rate_limited'] as const;
const TOOLS = ['search', 'crm_lookup', 'calculator', 'ticket_update'] as const;

/**
 * Deterministic telemetry stream of a scenario: sessions (start → N requests → end) interleaved over
 * `concurrentSessions` slots, one request per step at the configured rate. Pure: no I/O, no clock.
 */
export class TelemetryPlanner {
  private readonly random: Prng;
  private readonly versions: VersionModel[];
  private readonly weights: number[];
  private readonly slots: Array<OpenSession | undefined>;
  private readonly effectiveRate: number;
  private readonly stepMs: number;
  private sessionCount = 0;
  private requestCount = 0;
  private readonly runId: string;

  constructor(private readonly scenario: ResolvedScenario) {
    this.random = new Prng(scenario.seed);
    this.runId = (scenario.seed >>> 0).toString(36);
    const normal = () => this.random.normal();
    const uniform = () => this.random.next();
    this.versions = scenario.versions.map((profile) => ({ profile, latency: latencySampler(profile.latencyMs, normal, uniform) }));
    this.weights = scenario.versions.map((v) => v.weight);
    this.slots = new Array(scenario.concurrentSessions).fill(undefined);
    this.effectiveRate = scenario.requestRatePerSec > 0 ? scenario.requestRatePerSec : 1000;
    this.stepMs = 1000 / this.effectiveRate;
  }

  /** Requests the run makes: totalRequests, else durationMs (simulated) at the rate (rate 0: 1,000 per second). */
  get plannedRequests(): number {
    const { totalRequests, durationMs } = this.scenario;
    return totalRequests ?? Math.floor((durationMs! * this.effectiveRate) / 1000 + 1e-9);
  }

  get requestsPlanned(): number {
    return this.requestCount;
  }

  /** The calls of the next request step: maybe a session start, the request, maybe feedback, maybe the session end. */
  nextStep(): PlannedTelemetry[] {
    const out: PlannedTelemetry[] = [];
    const offsetMs = this.requestCount * this.stepMs;
    const slot = this.random.int(0, this.slots.length - 1);
    const session = this.slots[slot] ?? this.openSession(slot, offsetMs, out);
    this.planRequest(session, offsetMs, out);
    this.requestCount++;
    if (session.done === session.length) {
      out.push(this.endSession(session, 'completed'));
      this.slots[slot] = undefined;
    }
    return out;
  }

  /** Ends the sessions still open when the run stops. */
  finish(): PlannedTelemetry[] {
    const out: PlannedTelemetry[] = [];
    for (let slot = 0; slot < this.slots.length; slot++) {
      const session = this.slots[slot];
      if (session) out.push(this.endSession(session, 'abandoned'));
      this.slots[slot] = undefined;
    }
    return out;
  }

  private openSession(slot: number, offsetMs: number, out: PlannedTelemetry[]): OpenSession {
    const version = this.versions[this.random.weightedIndex(this.weights)];
    const session: OpenSession = {
      id: `sess-${this.runId}-${this.sessionCount++}`,
      version,
      tenant: this.random.pick(this.scenario.tenants),
      feature: this.random.pick(this.scenario.features),
      user: `user-${this.random.int(0, 999)}`,
      length: this.random.int(this.scenario.sessionLength.min, this.scenario.sessionLength.max),
      done: 0,
      startedAtMs: offsetMs,
      lastEndMs: offsetMs,
    };
    this.slots[slot] = session;
    const versionId = version.profile.versionId;
    out.push({
      type: 'agent.session.started',
      offsetMs,
      versionId,
      input: { sessionId: session.id, tenant: session.tenant, feature: session.feature, user: session.user, versionId },
    });
    return session;
  }

  private planRequest(session: OpenSession, offsetMs: number, out: PlannedTelemetry[]): void {
    const v = session.version.profile;
    const random = this.random;
    const requestId = `${session.id}-r${session.done++}`;
    const latencyMs = round3(session.version.latency());
    const toolCalls = Array.from({ length: this.scenario.toolCallsPerRequest }, (_, i) => ({
      name: TOOLS[(session.done + i) % TOOLS.length],
      argsHash: `args-${random.int(0, 0xffff).toString(16)}`,
      ok: !random.chance(v.toolFailureRate),
      latencyMs: round3(latencyMs * 0.2 * random.next()),
    }));
    const failed = random.chance(v.errorRate);
    const input: RequestCompletedInput = {
      sessionId: session.id,
      tenant: session.tenant,
      requestId,
      feature: session.feature,
      versionId: v.versionId,
      latencyMs,
      tokensIn: noisyCount(v.tokens?.inMean ?? 400, random),
      tokensOut: noisyCount(v.tokens?.outMean ?? 150, random),
      costUsd: Math.max(0, round6(v.costUsd.mean + v.costUsd.sd * random.normal())),
      toolCalls,
      error: failed ? { kind: random.pick(ERROR_KINDS), message: 'simulated failure' } : null,
      policyViolations: random.chance(v.policyViolationRate) ? [{ policy: 'pii', detail: 'simulated violation' }] : [],
      outputDigest: `sha256:${random.int(0, 0x7fffffff).toString(16)}`,
    };
    if (v.scores) {
      input.scores = Object.fromEntries(
        Object.entries(v.scores).map(([name, s]) => [name, round3(Math.min(1, Math.max(0, s.mean + s.sd * random.normal())))]),
      );
    }
    const completedAtMs = offsetMs + latencyMs;
    session.lastEndMs = Math.max(session.lastEndMs, completedAtMs);
    out.push({ type: 'agent.request.completed', offsetMs: completedAtMs, versionId: v.versionId, input });
    if (random.chance(v.feedbackRate)) {
      const score = round3(Math.max(-1, Math.min(1, (failed ? -0.6 : 0.5) + 0.4 * random.normal())));
      out.push({
        type: 'agent.feedback.recorded',
        offsetMs: completedAtMs + 1,
        versionId: v.versionId,
        input: { sessionId: session.id, tenant: session.tenant, requestId, feature: session.feature, user: session.user, versionId: v.versionId, feedback: { score } },
      });
    }
  }

  private endSession(session: OpenSession, reason: string): PlannedTelemetry {
    const versionId = session.version.profile.versionId;
    const endMs = session.lastEndMs + 1;
    return {
      type: 'agent.session.ended',
      offsetMs: endMs,
      versionId,
      input: {
        sessionId: session.id,
        tenant: session.tenant,
        feature: session.feature,
        user: session.user,
        versionId,
        reason,
        durationMs: round3(endMs - session.startedAtMs),
      },
    };
  }
}

function noisyCount(mean: number, random: Prng): number {
  return Math.max(0, Math.round(mean * (1 + 0.25 * random.normal())));
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
