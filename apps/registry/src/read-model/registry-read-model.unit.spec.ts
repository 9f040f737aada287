import { createEvent, exampleOf } from '@iris/contracts';
import { parseAgentVersion } from '../domain';
import { baseInput } from '../domain/agent-version.fixtures';
import { decideRegistration, foldAgent, versionFromEvent, type RegisteredVersion } from '../registration';
import { RecentIds, RegistryReadModel } from './index';

function versions(agent: string, prompts: string[]): RegisteredVersion[] {
  const out: RegisteredVersion[] = [];
  for (const system of prompts) {
    const input = structuredClone(baseInput());
    input.prompt.system = system;
    const decision = decideRegistration(foldAgent(agent, out), { agent, spec: parseAgentVersion(input), registeredBy: 'otto' });
    if (decision.kind !== 'register') throw new Error('expected new');
    out.push(versionFromEvent(createEvent('registry.version.registered', decision.data), out.length + 1));
  }
  return out;
}

function routing(agent: string, revision: number, states: Array<[string, 'shadow' | 'canary' | 'active' | 'draining']>, eventId?: string) {
  const example = exampleOf('routing.decision');
  return createEvent(
    'routing.decision',
    {
      ...example.data,
      agent,
      revision,
      table: {
        ...example.data.table,
        versions: states.map(([versionId, state], i) => ({ versionId, state, newSessionWeight: i === 0 ? 1 : 0, existingSessions: 'keep' as const })),
        fallbackVersionId: states[0][0],
        targeting: { cohorts: [], overrides: [] },
        epochs: [],
      },
    },
    { eventId },
  );
}

describe('RegistryReadModel', () => {
  it('ends in the same state whatever order and however often registrations arrive', () => {
    const [v1, v2, v3] = versions('bot', ['a', 'b', 'c']);
    const inOrder = new RegistryReadModel();
    [v1, v2, v3].forEach((v) => inOrder.applyRegistered(v));
    const shuffled = new RegistryReadModel();
    expect(shuffled.applyRegistered(v3)).toBe(true); // this instance's own append, seen before the log catches up
    expect(shuffled.applyRegistered(v1)).toBe(true);
    expect(shuffled.applyRegistered(v3)).toBe(false);
    expect(shuffled.applyRegistered(v2)).toBe(true);
    expect(shuffled.agent('bot')).toEqual(inOrder.agent('bot'));
    expect(shuffled.agent('bot')!.latest).toBe(v3);
    expect(shuffled.agent('bot')!.versions.map((v) => v.label)).toEqual(['1.0.0', '1.0.1', '1.0.2']);
  });

  it('resolves a version by id, label (v prefix tolerated) or latest', () => {
    const model = new RegistryReadModel();
    const [v1, v2] = versions('bot', ['a', 'b']);
    model.applyRegistered(v1);
    model.applyRegistered(v2);
    expect(model.resolve('bot', v1.versionId)).toBe(v1);
    expect(model.resolve('bot', '1.0.1')).toBe(v2);
    expect(model.resolve('bot', 'v1.0.0')).toBe(v1);
    expect(model.resolve('bot', 'latest')).toBe(v2);
    expect(model.resolve('bot', '9.9.9')).toBeUndefined();
    expect(model.resolve('other', 'latest')).toBeUndefined();
    expect(model.agentNames()).toEqual(['bot']);
  });

  it('derives version states from routing decisions: latest revision wins, duplicates and older ones are ignored', () => {
    const model = new RegistryReadModel();
    expect(model.statusOf('bot', 'v1')).toEqual({ state: 'registered' });
    const r2 = routing('bot', 2, [['v1', 'active'], ['v2', 'canary']]);
    expect(model.applyRoutingDecision(r2)).toBe(true);
    expect(model.statusOf('bot', 'v2')).toMatchObject({ state: 'canary', revision: 2, newSessionWeight: 0 });
    expect(model.applyRoutingDecision(r2)).toBe(false); // redelivered
    expect(model.applyRoutingDecision(routing('bot', 1, [['v1', 'shadow']]))).toBe(false); // older
    expect(model.applyRoutingDecision(routing('bot', 3, [['v2', 'active']]))).toBe(true);
    expect(model.statusOf('bot', 'v2').state).toBe('active');
    expect(model.statusOf('bot', 'v1').state).toBe('active'); // not listed any more: keeps its last known state
    expect(model.statusOf('other', 'v2').state).toBe('registered');
  });
});

describe('RecentIds', () => {
  it('remembers the most recent ids only', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    ids.add('b');
    ids.add('c');
    expect(ids.add('a')).toBe(true);
    expect(ids.add('c')).toBe(false);
  });
});
