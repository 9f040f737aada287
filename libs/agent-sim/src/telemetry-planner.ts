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

/** What a routed agent asks before each request of a session (e.g. the SDK's route()). */
export interface SimulatedRouteRequest {
  sessionId: string;
  tenant: string;
  feature: string;
  user: string;
  /** Offset of the session's start / of this request, in ms after the start of the run. */
  sessionStartedAtOffsetMs: number;
  atOffsetMs: number;
  /** The version that served the session so far (undefined on its first request). */
  currentVersionId?: string;
}

export interface SimulatedRoute {
  versionId: string;
  /** Versions the request is mirrored to (their results are reported with role `shadow`). */
  shadowVersionIds?: string[];
}

/** Chooses versions instead of the scenario's weights. Unknown version ids are served by the first profile's behaviour under that id. */
export type SimulatedRouter = (request: SimulatedRouteRequest) => SimulatedRoute;

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

  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly router?: SimulatedRouter,
  ) {
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
    const shadows = this.reroute(session, offsetMs, out);
    this.planRequest(session, offsetMs, out, session.version, 'primary');
    for (const shadow of shadows) this.planRequest(session, offsetMs, out, shadow, 'shadow');
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

  /** A routed session follows its router before every request (it may be migrated); returns the shadow targets. */
  private reroute(session: OpenSession, offsetMs: number, out: PlannedTelemetry[]): VersionModel[] {
    if (!this.router) return [];
    const route = this.router({
      sessionId: session.id,
      tenant: session.tenant,
      feature: session.feature,
      user: session.user,
      sessionStartedAtOffsetMs: session.startedAtMs,
      atOffsetMs: offsetMs,
      currentVersionId: session.version.profile.versionId,
    });
    if (route.versionId !== session.version.profile.versionId) {
      // Moved (migrated, or its version was terminated): it ends on the old version and goes on on the new one.
      out.push({ ...this.endSession(session, 'migrated'), offsetMs });
      session.version = this.modelFor(route.versionId);
      const versionId = route.versionId;
      out.push({ type: 'agent.session.started', offsetMs, versionId, input: { sessionId: session.id, tenant: session.tenant, feature: session.feature, user: session.user, versionId } });
    }
    return (route.shadowVersionIds ?? []).filter((id) => id !== route.versionId).map((id) => this.modelFor(id));
  }

  private modelFor(versionId: string): VersionModel {
    const known = this.versions.find((v) => v.profile.versionId === versionId);
    if (known) return known;
    const first = this.versions[0]!;
    const model = { profile: { ...first.profile, versionId }, latency: first.latency };
    this.versions.push(model);
    return model;
  }

  private openSession(slot: number, offsetMs: number, out: PlannedTelemetry[]): OpenSession {
    const tenant = this.random.pick(this.scenario.tenants);
    const feature = this.random.pick(this.scenario.features);
    const user = `user-${this.random.int(0, 999)}`;
    const id = `sess-${this.runId}-${this.sessionCount++}`;
    const version = this.router
      ? this.modelFor(this.router({ sessionId: id, tenant, feature, user, sessionStartedAtOffsetMs: offsetMs, atOffsetMs: offsetMs }).versionId)
      : this.versions[this.random.weightedIndex(this.weights)]!;
    const session: OpenSession = {
      id,
      version,
      tenant,
      feature,
      user,
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

  private planRequest(session: OpenSession, offsetMs: number, out: PlannedTelemetry[], model: VersionModel, role: 'primary' | 'shadow'): void {
    const v = model.profile;
    const random = this.random;
    const requestId = role === 'primary' ? `${session.id}-r${session.done++}` : `${session.id}-r${session.done - 1}`;
    const latencyMs = round3(model.latency());
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
      ...(role === 'shadow' && { role }),
    };
    if (v.scores) {
      input.scores = Object.fromEntries(
        Object.entries(v.scores).map(([name, s]) => [name, round3(Math.min(1, Math.max(0, s.mean + s.sd * random.normal())))]),
      );
    }
    const completedAtMs = offsetMs + latencyMs;
    session.lastEndMs = Math.max(session.lastEndMs, completedAtMs);
    out.push({ type: 'agent.request.completed', offsetMs: completedAtMs, versionId: v.versionId, input });
    if (role === 'primary' && random.chance(v.feedbackRate)) {
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
