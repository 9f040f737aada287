import type { TelemetryRecorder } from '@iris/agent-sdk';
import { SimulationConfigError } from './errors';
import { resolveScenario, SimulationScenario } from './scenario';
import { PlannedTelemetry, SimulatedRoute, TelemetryPlanner } from './telemetry-planner';

export type SimulationClock =
  /** Paced by the wall clock at requestRatePerSec; event times are the record times. */
  | 'real'
  /** As fast as possible; event times follow a simulated clock starting at startMs. */
  | { startMs: number };

export interface SimulateAgentOptions extends SimulationScenario {
  /** One recorder for every version (versionId set per call) … */
  client?: TelemetryRecorder;
  /** … or one per versionId (e.g. one client per version process). */
  clients?: Record<string, TelemetryRecorder>;
  /** Default 'real'. */
  clock?: SimulationClock;
  /** Stops the run early. */
  signal?: AbortSignal;
  /**
   * Routes sessions like a routed agent (e.g. with the SDK's route()): asked when a session opens and before
   * each of its requests, with absolute times; replaces the scenario's weights. Shadow targets are mirrored.
   */
  router?: (request: AgentRouteRequest) => SimulatedRoute;
}

export interface AgentRouteRequest {
  sessionId: string;
  tenant: string;
  feature: string;
  user: string;
  sessionStartedAtMs: number;
  atMs: number;
  currentVersionId?: string;
}

export interface SimulationReport {
  requests: number;
  sessions: number;
  feedback: number;
  elapsedMs: number;
  requestsByVersion: Record<string, number>;
}

/** Yield to the event loop this often when not paced, so the SDK's flusher gets to run. */
const YIELD_EVERY_REQUESTS = 500;

/** Drives the SDK like an agent would: sessions of requests at the requested rate (0 = as fast as possible). */
export async function simulateAgent(options: SimulateAgentOptions): Promise<SimulationReport> {
  const scenario = resolveScenario(options);
  const recorderFor = recorders(options);
  const clock = options.clock ?? 'real';
  const simulatedStart = clock === 'real' ? undefined : clock.startMs;
  let runStartMs = simulatedStart ?? Date.now();
  const router = options.router;
  const planner = new TelemetryPlanner(
    scenario,
    router &&
      ((r) =>
        router({
          sessionId: r.sessionId,
          tenant: r.tenant,
          feature: r.feature,
          user: r.user,
          sessionStartedAtMs: runStartMs + r.sessionStartedAtOffsetMs,
          atMs: runStartMs + r.atOffsetMs,
          ...(r.currentVersionId !== undefined && { currentVersionId: r.currentVersionId }),
        })),
  );
  // Real clock, rate 0 and a duration: as many requests as fit in durationMs of wall-clock time.
  const requestLimit = clock === 'real' && scenario.requestRatePerSec === 0 && scenario.totalRequests === undefined ? Infinity : planner.plannedRequests;
  const report: SimulationReport = { requests: 0, sessions: 0, feedback: 0, elapsedMs: 0, requestsByVersion: {} };
  const record = (planned: PlannedTelemetry) => {
    const input = simulatedStart === undefined ? planned.input : { ...planned.input, occurredAt: simulatedStart + planned.offsetMs };
    const recorder = recorderFor(planned.versionId);
    switch (planned.type) {
      case 'agent.session.started':
        report.sessions++;
        return recorder.recordSessionStarted(input as typeof planned.input);
      case 'agent.request.completed':
        report.requests++;
        report.requestsByVersion[planned.versionId] = (report.requestsByVersion[planned.versionId] ?? 0) + 1;
        return recorder.recordRequest(input as typeof planned.input);
      case 'agent.feedback.recorded':
        report.feedback++;
        return recorder.recordFeedback(input as typeof planned.input);
      case 'agent.session.ended':
        return recorder.recordSessionEnded(input as typeof planned.input);
    }
  };

  const started = Date.now();
  if (simulatedStart === undefined) runStartMs = started;
  const paced = clock === 'real' && scenario.requestRatePerSec > 0;
  const wallClockBound = clock === 'real' && options.durationMs !== undefined ? started + options.durationMs : Infinity;
  const stepMs = 1000 / scenario.requestRatePerSec;
  while (planner.requestsPlanned < requestLimit && !options.signal?.aborted) {
    if (paced) {
      const dueAt = started + planner.requestsPlanned * stepMs;
      if (dueAt > wallClockBound) break;
      const wait = dueAt - Date.now();
      if (wait >= 1) await delay(wait);
    } else if (planner.requestsPlanned % YIELD_EVERY_REQUESTS === 0) {
      if (Date.now() >= wallClockBound) break;
      await new Promise((done) => setImmediate(done));
    }
    for (const planned of planner.nextStep()) record(planned);
  }
  for (const planned of planner.finish()) record(planned);
  report.elapsedMs = Date.now() - started;
  return report;
}

function recorders(options: SimulateAgentOptions): (versionId: string) => TelemetryRecorder {
  if (options.client) return () => options.client!;
  const clients = options.clients;
  if (!clients) throw new SimulationConfigError('client or clients is required');
  for (const version of options.versions) {
    if (!clients[version.versionId]) throw new SimulationConfigError(`no client for version ${version.versionId}`);
  }
  return (versionId) => clients[versionId];
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
