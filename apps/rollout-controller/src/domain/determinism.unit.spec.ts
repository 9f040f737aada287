import fc from 'fast-check';
import type { RolloutCommand } from './commands';
import { decide } from './decide';
import { RolloutDomainError } from './errors';
import type { RolloutEvent } from './events';
import { evolve } from './evolve';
import { initialState, type RolloutAggregateState } from './state';
import type { StageSpec } from './types';

const T0 = Date.parse('2025-01-31T12:00:00.000Z');
const VERSIONS = ['v1', 'v2', 'v3', 'v4'];
const STAGES: StageSpec[] = [
  { name: 'shadow', trafficPercent: 0, minDurationMs: 60_000, minSamples: 50 },
  { name: 'third', trafficPercent: 33.3333, minDurationMs: 60_000, minSamples: 50 },
  { name: 'full', trafficPercent: 100, minDurationMs: 60_000, minSamples: 50 },
];

const figures = fc.record({
  requests: fc.integer({ min: 0, max: 3000 }),
  errorRate: fc.oneof(fc.constant(0.01), fc.double({ min: 0, max: 0.3, noNaN: true })),
  p99LatencyMs: fc.oneof(fc.constant(500), fc.integer({ min: 100, max: 3000 })),
  costPerRequest: fc.oneof(fc.constant(0.01), fc.double({ min: 0.001, max: 0.05, noNaN: true })),
  policyViolations: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }) }),
});
const version = fc.constantFrom(...VERSIONS);

/** A command shape without metadata; time and ids are assigned in sequence. */
const step = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), candidate: version, baseline: fc.option(version, { nil: undefined }), strategy: fc.constantFrom('rainbow', 'canary', 'blue-green') as fc.Arbitrary<'rainbow' | 'canary' | 'blue-green'>, policy: fc.constantFrom('let-finish', 'migrate', 'terminate') as fc.Arbitrary<'let-finish' | 'migrate' | 'terminate'>, supersede: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), versions: fc.dictionary(version, figures, { maxKeys: 4 }), span: fc.integer({ min: 0, max: 5 }), reuseId: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('advance', 'pause', 'resume', 'promote', 'abort', 'rollBack') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('external' as const), passed: fc.option(fc.boolean(), { nil: undefined }), value: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sessions' as const), versionId: version, live: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), back: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('policy' as const), maxLive: fc.option(fc.integer({ min: 2, max: 4 }), { nil: null }), maxAgeMinutes: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }), terminate: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('target' as const), versionId: version, tenant: fc.constantFrom('acme', 'globex') }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function toCommands(steps: { step: Step; minutesLater: number; decidedLaterMs?: number }[]): RolloutCommand[] {
  const commands: RolloutCommand[] = [];
  let minutes = 0;
  steps.forEach(({ step: s, minutesLater, decidedLaterMs }, i) => {
    minutes += minutesLater;
    const atMs = T0 + minutes * 60_000;
    // as the command handler stamps it: decided (and appended) a little after `at` (a window's end: seconds later)
    const decided = decidedLaterMs === undefined ? {} : { routingEffectiveAt: new Date(atMs + decidedLaterMs).toISOString() };
    const metadata = { commandId: `c${i}`, actor: 'prop', at: new Date(atMs).toISOString(), ...decided };
    const command = ((): RolloutCommand | undefined => {
      switch (s.kind) {
        case 'start':
          return { type: 'StartRollout', data: { candidateVersionId: s.candidate, baselineVersionId: s.baseline, strategy: s.strategy, stages: STAGES, sessionPolicyOnRollback: s.policy, supersedeRunning: s.supersede, rollbackLimits: { cooldownMs: 120_000, maxAutomaticRollbacksPerHour: 2 } }, metadata };
        case 'snapshot':
          return { type: 'EvaluateSnapshot', data: { snapshotEventId: s.reuseId ? 'snap-dup' : `snap-${i}`, windowStart: new Date(T0 + (minutes - s.span) * 60_000).toISOString(), windowEnd: metadata.at, versions: s.versions }, metadata };
        case 'tick':
          return { type: 'Tick', data: {}, metadata };
        case 'advance':
          return { type: 'Advance', data: {}, metadata };
        case 'pause':
          return { type: 'Pause', data: { reason: 'prop' }, metadata };
        case 'resume':
          return { type: 'Resume', data: {}, metadata };
        case 'promote':
          return { type: 'Promote', data: {}, metadata };
        case 'abort':
          return { type: 'Abort', data: { reason: 'prop' }, metadata };
        case 'rollBack':
          return { type: 'RollBack', data: { reason: 'prop' }, metadata };
        case 'external':
          return { type: 'RecordExternalGate', data: { name: 'evals', value: s.value, passed: s.passed }, metadata };
        case 'sessions':
          return { type: 'ReportLiveSessions', data: { versionId: s.versionId, liveSessions: s.live }, metadata };
        case 'policy':
          return { type: 'SetFleetPolicy', data: { policy: { maxLiveVersions: s.maxLive, maxSessionAgeMs: s.maxAgeMinutes === null ? null : s.maxAgeMinutes * 60_000, onForcedDrain: s.terminate ? 'terminate' : 'migrate' } }, metadata };
        case 'target':
          return { type: 'SetTargeting', data: { targeting: { cohorts: [{ versionId: s.versionId, tenants: [s.tenant], users: [], features: [] }], overrides: [] } }, metadata };
        case 'redeliver':
          return commands.length === 0 ? undefined : commands[s.back % commands.length];
      }
    })();
    if (command) commands.push(command);
  });
  return commands;
}

type Outcome = { events: RolloutEvent[] } | { error: string };
const attempt = (command: RolloutCommand, state: RolloutAggregateState): Outcome => {
  try {
    return { events: decide(command, state) };
  } catch (error) {
    if (error instanceof RolloutDomainError) return { error: error.code };
    throw error;
  }
};
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const scenarios = fc.array(
  fc.record({ step, minutesLater: fc.integer({ min: 0, max: 4 }), decidedLaterMs: fc.option(fc.integer({ min: -1_000, max: 200_000 }), { nil: undefined }) }),
  { minLength: 1, maxLength: 40 },
);

describe('decider determinism (property)', () => {
  it('replaying the events rebuilds the live state bit for bit, and re-deciding gives the same decisions', () => {
    fc.assert(
      fc.property(scenarios, (steps) => {
        const commands = toCommands(steps);
        let live = initialState();
        const log: RolloutEvent[] = [];
        const decisions: { before: number; command: RolloutCommand; outcome: Outcome }[] = [];
        for (const command of commands) {
          const outcome = attempt(command, live);
          decisions.push({ before: log.length, command, outcome });
          if ('events' in outcome) {
            live = outcome.events.reduce(evolve, live);
            log.push(...outcome.events);
          }
        }

        // Events as stored (JSON) fold back into the same state, key order included.
        const stored = roundTrip(log);
        const rebuilt = stored.reduce(evolve, initialState());
        expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(live));

        // Every decision is reproduced from the state rebuilt out of the stored prefix.
        for (const { before, command, outcome } of decisions) {
          const state = stored.slice(0, before).reduce(evolve, initialState());
          expect(roundTrip(attempt(command, state))).toEqual(roundTrip(outcome));
        }

        // Routing invariants: consecutive revisions, weights sum to 1, one active version at most, a deployed fallback.
        const tables = log.flatMap((e) => (e.type === 'RoutingTableChanged' ? [e.data] : []));
        tables.forEach((t, i) => {
          expect(t.revision).toBe(i + 1);
          expect(Math.abs(t.table.versions.reduce((sum, v) => sum + v.newSessionWeight, 0) - 1)).toBeLessThan(1e-9);
          expect(t.table.versions.filter((v) => v.state === 'active').length).toBeLessThanOrEqual(1);
          // The fallback is the known-good version: listed and still deployed (it may be draining at 100 %).
          const fallback = t.table.versions.find((v) => v.versionId === t.table.fallbackVersionId);
          expect(fallback && !['killed', 'retired'].includes(fallback.state)).toBe(true);
          // Weight epochs take effect in order, so "the epoch in force at t" is one answer on every instance.
          const effective = t.table.epochs.map((e) => Date.parse(e.effectiveAt));
          expect(effective).toEqual([...effective].sort((a, b) => a - b));
        });
        // A new epoch never takes effect before the time its command was decided (+ allowance), nor before `at`.
        for (const { command, outcome } of decisions) {
          const changed = 'events' in outcome ? outcome.events.find((e) => e.type === 'RoutingTableChanged') : undefined;
          if (changed?.type !== 'RoutingTableChanged') continue;
          const newest = changed.data.table.epochs[changed.data.table.epochs.length - 1]!;
          if (newest.revision !== changed.data.revision) continue; // weights unchanged: no new epoch
          const floor = Math.max(Date.parse(command.metadata.at), Date.parse(command.metadata.routingEffectiveAt ?? command.metadata.at));
          expect(Date.parse(newest.effectiveAt)).toBeGreaterThanOrEqual(floor);
        }

        // Idempotency: a command that produced events produces nothing when delivered again.
        for (const { command, outcome } of decisions)
          if ('events' in outcome && outcome.events.length > 0) expect(decide(command, live)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
