import fc from 'fast-check';
import type { KillSwitchCommand } from './commands';
import { decide } from './decide';
import { KillSwitchError } from './errors';
import type { KillSwitchEvent } from './events';
import { evolve } from './evolve';
import { initialState, type KillSetState } from './state';
import { at } from './testing/commands';

const AGENTS = ['a', 'b'];
const scope = fc.record(
  { agent: fc.constantFrom(...AGENTS), versionId: fc.constantFrom('v1', 'v2', 'v3'), tenant: fc.constantFrom('acme', 'globex'), feature: fc.constantFrom('chat', 'refunds') },
  { requiredKeys: [] },
).map((s) => (s.versionId !== undefined && s.agent === undefined ? { ...s, agent: 'a' } : s));

const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('engage' as const), id: fc.integer({ min: 0, max: 8 }), scope, ttlMs: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }), onKill: fc.constantFrom('migrate', 'terminate') as fc.Arbitrary<'migrate' | 'terminate'> }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), id: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fallback' as const), agent: fc.constantFrom(...AGENTS), versionId: fc.option(fc.constantFrom('v0', 'v1'), { nil: null }) }) },
);

type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function toCommands(steps: Step[], gaps: number[]): KillSwitchCommand[] {
  let t = 0;
  return steps.map((s, i): KillSwitchCommand => {
    t += gaps[i % gaps.length]!;
    const metadata = { commandId: `c-${i % 40}`, actor: 'prop', at: at(t) }; // ids repeat: redeliveries
    switch (s.kind) {
      case 'engage':
        return { type: 'EngageKill', data: { killId: `k-${s.id}`, scope: s.scope, reason: 'r', ttlMs: s.ttlMs, onKill: s.onKill }, metadata };
      case 'release':
        return { type: 'ReleaseKill', data: { killId: `k-${s.id}` }, metadata };
      case 'expire':
        return { type: 'ExpireKills', data: {}, metadata };
      case 'fallback':
      default:
        return { type: 'SetFallback', data: { agent: s.agent, versionId: s.versionId }, metadata };
    }
  });
}

/** Runs the commands (refusals append nothing) and returns the log and the live state. */
function run(commands: KillSwitchCommand[]): { log: KillSwitchEvent[]; state: KillSetState; overdue: number } {
  let state = initialState();
  const log: KillSwitchEvent[] = [];
  let overdue = 0;
  for (const command of commands) {
    try {
      const events = decide(command, state);
      // the log is stored as JSON: replay must not depend on object identity
      for (const event of JSON.parse(JSON.stringify(events)) as KillSwitchEvent[]) {
        state = evolve(state, event);
        log.push(event);
      }
      // a command that went through left no kill whose expiry its time has reached
      const nowMs = Date.parse(command.metadata.at);
      overdue += state.kills.filter((kill) => kill.expiresAt !== null && Date.parse(kill.expiresAt) <= nowMs).length;
    } catch (error) {
      if (!(error instanceof KillSwitchError)) throw error;
    }
  }
  return { log, state, overdue };
}

describe('kill-switch replay determinism', () => {
  it('replaying the log gives the live state bit for bit, whatever the wall clock; revisions grow by one; no kill outlives its expiry past a command', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 5 }), (steps, gaps) => {
        const commands = toCommands(steps, gaps);
        const live = run(commands);
        const replayed = live.log.reduce(evolve, initialState());
        expect(JSON.stringify(replayed)).toBe(JSON.stringify(live.state));
        expect(run(commands)).toEqual(live); // the same commands decide the same events again
        const revisions = live.log.filter((e) => e.type === 'KillSetRevised').map((e) => (e.data as { revision: number }).revision);
        expect(revisions).toEqual(revisions.map((_r, i) => i + 1));
        expect(live.overdue).toBe(0);
      }),
      { seed: 1207, numRuns: 300 },
    );
  });
});
