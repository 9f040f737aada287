import { createEvent, validateEvent } from '@iris/contracts';
import { decide, initialState, type RolloutCommand } from './domain';
import { fold } from './rollout-command-handler';
import { derivedEventId, kindOf, rolloutStreamId, toLogEntries } from './rollout-log';
import { SnapshotPairing } from './snapshot-pairing';
import { VersionCatalog } from './version-catalog';

const snapshotOf = (role: 'primary' | 'shadow', versions: Record<string, Record<string, number>>, start = '2025-01-31T12:00:00Z', end = '2025-01-31T12:00:10Z') =>
  createEvent('metrics.snapshot', { agent: 'bot', windowStart: start, windowEnd: end, versions, view: 'window', role });

describe('snapshot pairing', () => {
  it('outside shadow, a primary window is evaluated as it is; shadow-role ones are ignored', () => {
    const pairing = new SnapshotPairing();
    const primary = snapshotOf('primary', { v1: { requests: 10 }, v2: { requests: 5 } });
    expect(pairing.offer(primary, false, 'v2')).toEqual({ snapshotEventId: primary.eventId, windowStart: primary.data.windowStart, windowEnd: primary.data.windowEnd, versions: primary.data.versions });
    expect(pairing.offer(snapshotOf('shadow', { v2: { requests: 5 } }), false, 'v2')).toBeUndefined();
  });

  it('in shadow, the candidate figures of the shadow window join the baseline figures of the primary window, in either order', () => {
    const pairing = new SnapshotPairing();
    const shadow = snapshotOf('shadow', { v2: { requests: 7, errorRate: 0.5 } });
    const primary = snapshotOf('primary', { v1: { requests: 10 }, v2: { requests: 1 } });
    expect(pairing.offer(shadow, true, 'v2')).toBeUndefined();
    expect(pairing.offer(primary, true, 'v2')).toMatchObject({ snapshotEventId: `${primary.eventId}+${shadow.eventId}`, versions: { v1: { requests: 10 }, v2: { requests: 7, errorRate: 0.5 } } });
  });

  it('keeps bounded memory of unpaired windows', () => {
    const pairing = new SnapshotPairing(2);
    for (let i = 0; i < 5; i++) pairing.offer(snapshotOf('primary', { v1: { requests: 1 } }, `2025-01-31T12:00:0${i}Z`, `2025-01-31T12:00:0${i + 1}Z`), true, 'v2');
    expect((pairing as unknown as { pending: Map<string, unknown> }).pending.size).toBe(2);
  });
});

describe('rollout log', () => {
  const command: RolloutCommand = {
    type: 'StartRollout',
    data: { candidateVersionId: 'v1', strategy: 'rainbow', sessionPolicyOnRollback: 'let-finish' },
    metadata: { commandId: 'c1', actor: 'olga', at: '2025-01-31T12:00:00.000Z' },
  };

  it('derives stable RFC 4122 event ids from stream, command and index', () => {
    const id = derivedEventId('rollout-production-bot', 'c1', 0);
    expect(id).toBe(derivedEventId('rollout-production-bot', 'c1', 0));
    expect(id).not.toBe(derivedEventId('rollout-production-bot', 'c1', 1));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('appends beside each domain event its contract event, which folds back to the same state', () => {
    const events = decide(command, initialState());
    const catalog = new VersionCatalog();
    const entries = toLogEntries(events, { environment: 'production', agent: 'bot', streamId: rolloutStreamId('production', 'bot') }, catalog);
    expect(entries.map((e) => e.type)).toEqual(['RolloutStarted', 'rollout.event', 'RolloutCompleted', 'rollout.event', 'RoutingTableChanged', 'routing.decision']);
    const decision = entries[5]!;
    expect(() => validateEvent({ type: decision.type, schemaVersion: 1, eventId: decision.id, occurredAt: command.metadata.at, correlationId: 'c1', causationId: null, environment: 'production', data: decision.data })).not.toThrow();
    const stored = entries.map((e, i) => ({ globalPosition: BigInt(i + 1), streamId: 's', streamPosition: BigInt(i + 1), eventId: e.id!, type: e.type, data: e.data, metadata: e.metadata ?? {}, recordedAt: new Date(0) }));
    const folded = fold({ state: initialState(), version: 0n }, stored);
    expect(folded.version).toBe(6n);
    expect(folded.state.fleet).toEqual([{ versionId: 'v1', state: 'active', weightPpm: 1_000_000, existingSessions: 'keep', shadowSampleRate: 0 }]);
  });

  it('names audit kinds after the domain events', () => {
    expect(kindOf('StageAdvanced')).toBe('stage-advanced');
    expect(kindOf('RolledBack')).toBe('rolled-back');
  });
});
