/**
 * Agent SDK routing: cost of route() on the agent's thread with 5 live versions (plus a shadow target,
 * cohorts, overrides and 8 weight epochs in the table), per call:
 *   - cached session: a session this instance routed before (LRU hit),
 *   - new session: a session id never seen (placement + cache insert),
 *   - cold pinned: a session this instance never saw, placed by sessionStartedAt (epoch lookup),
 *   - cached session with the kill switch followed: an environment kill set with no kill of this agent (the usual
 *     case: what following kills costs), and one with kills of this agent that the call is checked against
 *     (a version × tenant kill of another version and a feature kill of another feature: nothing applies).
 * Each call is timed alone (hrtime); the cost of the timing itself is measured in the same run (baseline).
 * Run: npx ts-node --transpile-only bench/route.bench.ts   (env: BENCH_ROUTE_CALLS)
 */
import '../libs/agent-sim/src/source-aliases';
import { CompiledKillSet, compileRoutingTable, RouteRequest, SessionRouter } from '../libs/agent-sdk/src';
import { createEvent, EventDataInput, KillData } from '../libs/contracts/src';

export interface Percentiles {
  medianNs: number;
  p99Ns: number;
  meanNs: number;
}

export interface RouteBenchResult {
  versions: number;
  calls: number;
  cachedSession: Percentiles;
  newSession: Percentiles;
  coldPinned: Percentiles;
  /** Cached session, kill switch followed, no kill of this agent. */
  cachedSessionKillSetWithoutAgentKills: Percentiles;
  /** Cached session checked against two kills of this agent that do not cover the call. */
  cachedSessionWithAgentKills: Percentiles;
  /** An empty timed call: what the timing itself adds to every figure above. */
  timerBaseline: Percentiles;
}

const AGENT = 'bench-agent';
const NOW = Date.parse('2030-06-01T12:00:00Z');
const MINUTE = 60_000;

type VersionInput = EventDataInput<'routing.decision'>['table']['versions'][number];
const iso = (ms: number) => new Date(ms).toISOString();
const version = (versionId: string, newSessionWeight: number, patch: Partial<VersionInput> = {}): VersionInput => ({
  versionId,
  state: 'active',
  newSessionWeight,
  existingSessions: 'keep',
  endpoint: `http://${versionId}.agents.internal:8080/`,
  ...patch,
});

function benchTable() {
  const weights = [0.4, 0.3, 0.2, 0.08, 0.02];
  const epochs = Array.from({ length: 8 }, (_, i) => ({
    revision: i + 1,
    effectiveAt: iso(NOW - (8 - i) * 10 * MINUTE),
    weights: { v1: 0.6 - i * 0.025, v2: 0.3, v3: 0.1 + i * 0.0125, v4: 0.0125 * i, ...(i > 3 ? { v5: 0.01 } : {}) },
  }));
  const decision = createEvent('routing.decision', {
    agent: AGENT,
    revision: 9,
    table: {
      fallbackVersionId: 'v1',
      versions: [
        ...weights.map((w, i) => version(`v${i + 1}`, w, { state: i < 3 ? 'active' : 'canary', spec: { model: `model-${i}` } })),
        version('v6', 0, { state: 'shadow' }),
      ],
      shadowTargets: [{ versionId: 'v6', sampleRate: 0.05 }],
      targeting: {
        cohorts: [{ versionId: 'v5', tenants: ['iris-internal'], users: [], features: ['beta'] }],
        overrides: [{ kind: 'user', value: 'debug-user', versionId: 'v4' }],
      },
      epochs,
      maxSessionAgeMs: 60 * MINUTE,
    },
  });
  return compileRoutingTable(decision.data);
}

function requests(count: number, prefix: string, extra: Partial<RouteRequest> = {}): RouteRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    agent: AGENT,
    sessionId: `${prefix}-${i.toString(36)}-9f2c1e`,
    tenant: 'acme',
    user: `user-${i % 5000}`,
    feature: 'chat',
    ...extra,
  }));
}

/** Times every call alone; returns percentiles in ns. */
function timeEach(inputs: RouteRequest[], call: (request: RouteRequest) => unknown): Percentiles {
  const samples = new Float64Array(inputs.length);
  let sink = 0; // uses every result, so no call can be optimised away
  for (let i = 0; i < inputs.length; i++) {
    const start = process.hrtime.bigint();
    const out = call(inputs[i]);
    samples[i] = Number(process.hrtime.bigint() - start);
    if (out === undefined) sink++;
  }
  if (sink > inputs.length) throw new Error('unreachable');
  samples.sort();
  const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
  return { medianNs: Math.round(samples[samples.length >> 1]), p99Ns: Math.round(samples[Math.floor(samples.length * 0.99)]), meanNs: Math.round(mean) };
}

export function runRouteBench(options: { calls?: number; log?: (line: string) => void } = {}): RouteBenchResult {
  const calls = options.calls ?? Number(process.env.BENCH_ROUTE_CALLS ?? 200_000);
  const log = options.log ?? (() => undefined);
  const table = benchTable();
  const tables = (agent: string) => (agent === AGENT ? table : undefined);
  const clock = () => NOW;

  // warm-up: JIT the whole path (new, cached, cold pinned)
  const warm = new SessionRouter({ tables, defaultVersionId: 'v1' });
  for (const request of requests(50_000, 'warm')) warm.route(request, clock());
  for (const request of requests(50_000, 'warm')) warm.route(request, clock());
  for (const request of requests(20_000, 'warm-cold', { sessionStartedAt: NOW - 35 * MINUTE })) warm.route(request, clock());

  const timerBaseline = timeEach(requests(calls, 'noop'), (request) => request);

  const router = new SessionRouter({ tables, defaultVersionId: 'v1' });
  const fresh = requests(calls, 'new');
  const newSession = timeEach(fresh, (request) => router.route(request, clock()));
  log(`route() new session: median ${newSession.medianNs} ns, p99 ${newSession.p99Ns} ns`);

  const seen = fresh.slice(0, 10_000); // well inside the cache bound
  const cachedInputs = Array.from({ length: calls }, (_, i) => seen[(i * 7919) % seen.length]);
  const cachedSession = timeEach(cachedInputs, (request) => router.route(request, clock()));
  log(`route() cached session: median ${cachedSession.medianNs} ns, p99 ${cachedSession.p99Ns} ns`);

  const coldRouter = new SessionRouter({ tables, defaultVersionId: 'v1' });
  const coldPinned = timeEach(requests(calls, 'cold', { sessionStartedAt: NOW - 35 * MINUTE }), (request) => coldRouter.route(request, clock()));
  log(`route() cold pinned (sessionStartedAt): median ${coldPinned.medianNs} ns, p99 ${coldPinned.p99Ns} ns`);

  const killOf = (killId: string, scope: KillData['scope']): KillData => ({ killId, scope, reason: 'bench', actor: 'bench', killedAt: iso(NOW), expiresAt: null, onKill: 'migrate', allowNoRoute: false });
  const killSet = (kills: KillData[]) => new CompiledKillSet({ revision: 1, changedAt: iso(NOW), kills, fallbacks: [] });
  const otherAgents = killSet([killOf('k-other', { agent: 'other-agent', versionId: 'v9' })]);
  const thisAgent = killSet([killOf('k-v4', { agent: AGENT, versionId: 'v4', tenant: 'globex' }), killOf('k-f', { feature: 'refunds' })]);
  const withKills = (set: CompiledKillSet) => {
    const killRouter = new SessionRouter({ tables, defaultVersionId: 'v1', kills: (agent) => set.forAgent(agent) });
    for (const request of seen) killRouter.route(request, clock()); // the same sessions, cached
    for (const request of cachedInputs) killRouter.route(request, clock()); // warm
    return timeEach(cachedInputs, (request) => killRouter.route(request, clock()));
  };
  const cachedSessionKillSetWithoutAgentKills = withKills(otherAgents);
  log(`route() cached session, kill set without kills of the agent: median ${cachedSessionKillSetWithoutAgentKills.medianNs} ns, p99 ${cachedSessionKillSetWithoutAgentKills.p99Ns} ns`);
  const cachedSessionWithAgentKills = withKills(thisAgent);
  log(`route() cached session, two kills of the agent checked: median ${cachedSessionWithAgentKills.medianNs} ns, p99 ${cachedSessionWithAgentKills.p99Ns} ns`);

  return { versions: 5, calls, cachedSession, newSession, coldPinned, cachedSessionKillSetWithoutAgentKills, cachedSessionWithAgentKills, timerBaseline };
}

if (require.main === module) {
  console.log(JSON.stringify(runRouteBench({ log: (line) => console.error(line) }), null, 2));
}
