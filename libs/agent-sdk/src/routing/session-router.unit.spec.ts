import fc from 'fast-check';
import { iso, routingDecision, sessionIds, version } from '../testing/routing-tables';
import { compileRoutingTable, CompiledRoutingTable } from './compiled-table';
import { route } from './route';
import { SessionCache } from './session-cache';
import { SessionRouter } from './session-router';

const AGENT = 'support-bot';
const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;

const e1 = { revision: 1, effectiveAt: iso(T0), weights: { v1: 0.95, v2: 0.05 } };
const e2 = { revision: 2, effectiveAt: iso(T0 + 10 * MINUTE), weights: { v1: 0.5, v2: 0.5 } };
const r1 = compileRoutingTable(routingDecision(AGENT, 1, { versions: [version('v1', 0.95), version('v2', 0.05, { state: 'canary' })], epochs: [e1] }));
const r2 = compileRoutingTable(routingDecision(AGENT, 2, { versions: [version('v1', 0.5), version('v2', 0.5, { state: 'canary' })], epochs: [e1, e2] }));

/** A router whose table can be swapped, as the subscriber does. */
function routerWith(initial: CompiledRoutingTable | undefined, maxCachedSessions?: number) {
  let table = initial;
  const router = new SessionRouter({ tables: (agent) => (agent === AGENT ? table : undefined), defaultVersionId: 'v0', maxCachedSessions });
  return { router, set: (next: CompiledRoutingTable) => (table = next) };
}

describe('SessionRouter', () => {
  it('two instances agree on a session placed under an older revision: one by its cache, the other by sessionStartedAt', () => {
    const a = routerWith(r1);
    const startedAt = T0 + MINUTE;
    const sessions = sessionIds(5_000);
    const first = sessions.map((sessionId) => a.router.route({ agent: AGENT, sessionId }, startedAt).versionId);
    a.set(r2);
    const b = routerWith(r2); // another instance: never saw these sessions
    const now = T0 + 20 * MINUTE;
    sessions.forEach((sessionId, i) => {
      expect(a.router.route({ agent: AGENT, sessionId }, now)).toMatchObject({ versionId: first[i], reason: 'pinned' });
      expect(b.router.route({ agent: AGENT, sessionId, sessionStartedAt: startedAt }, now).versionId).toBe(first[i]);
    });
    // new sessions follow the new weights (~50/50 instead of 95/5)
    const fresh = sessionIds(10_000, 'new').map((sessionId) => b.router.route({ agent: AGENT, sessionId }, now));
    expect(Math.abs(fresh.filter((d) => d.versionId === 'v2').length / fresh.length - 0.5)).toBeLessThan(0.02);
    expect(fresh.every((d) => d.reason === 'weighted')).toBe(true);
  });

  describe('a table received before its newest weights take effect (effectiveAt ahead of now)', () => {
    const effectiveAt = T0 + 10 * MINUTE;
    const pendingEpoch = { revision: 2, effectiveAt: iso(effectiveAt), weights: { v1: 0.5, v2: 0.5 } };
    const pending = compileRoutingTable(routingDecision(AGENT, 2, { versions: [version('v1', 0.5), version('v2', 0.5, { state: 'canary' })], epochs: [e1, pendingEpoch] }));
    const sessions = sessionIds(5_000);

    it('given one instance holding the new table and one still on the old, when both place new sessions before effectiveAt, then both use the old weights, and a third instance placing them later by start time agrees', () => {
      const early = routerWith(pending); // received the new table
      const late = routerWith(r1); // has not received it yet
      const before = effectiveAt - 1;
      const byEarly = sessions.map((sessionId) => early.router.route({ agent: AGENT, sessionId }, before));
      const byLate = sessions.map((sessionId) => late.router.route({ agent: AGENT, sessionId: `late-${sessionId}` }, before));
      const later = routerWith(pending);
      const disagreements = sessions.filter(
        (sessionId, i) =>
          byEarly[i]!.versionId !== route(r1, { agent: AGENT, sessionId }, before).versionId ||
          later.router.route({ agent: AGENT, sessionId, sessionStartedAt: before }, T0 + 20 * MINUTE).versionId !== byEarly[i]!.versionId ||
          later.router.route({ agent: AGENT, sessionId: `late-${sessionId}`, sessionStartedAt: before }, T0 + 20 * MINUTE).versionId !== byLate[i]!.versionId,
      );
      expect(disagreements).toEqual([]);
      expect(byEarly.every((d) => d.reason === 'weighted' && d.previousVersionId === undefined && d.revision === 2)).toBe(true);
      expect(byEarly.filter((d) => d.versionId === 'v2').length / sessions.length).toBeLessThan(0.1); // still ~5 %
    });

    it('given the same table, when new sessions start at effectiveAt or later, then the new weights place them, on every instance alike', () => {
      const a = routerWith(pending);
      const b = routerWith(pending);
      const placed = sessions.map((sessionId) => a.router.route({ agent: AGENT, sessionId }, effectiveAt).versionId);
      expect(Math.abs(placed.filter((v) => v === 'v2').length / sessions.length - 0.5)).toBeLessThan(0.03);
      sessions.forEach((sessionId, i) => expect(b.router.route({ agent: AGENT, sessionId, sessionStartedAt: effectiveAt }, T0 + 20 * MINUTE).versionId).toBe(placed[i]));
    });

    it.each([
      ['let-finish', 'draining', 'keep'],
      ['migrate', 'draining', 'migrate'],
      ['terminate', 'killed', 'terminate'],
    ] as const)('given a rollback (%s) not in force yet, when sessions start before it takes effect, then every instance ends up with the same version for each', (_policy, state, existingSessions) => {
      const rollbackEpoch = { revision: 2, effectiveAt: iso(effectiveAt), weights: { v1: 1 } };
      const rolledBack = compileRoutingTable(routingDecision(AGENT, 2, { versions: [version('v1', 1), version('v2', 0, { state, existingSessions })], epochs: [e1, rollbackEpoch] }));
      const received = routerWith(rolledBack);
      const lagging = routerWith(r1);
      const before = effectiveAt - 1;
      const byReceived = sessions.map((sessionId) => received.router.route({ agent: AGENT, sessionId }, before));
      sessions.forEach((sessionId) => lagging.router.route({ agent: AGENT, sessionId }, before));
      lagging.set(rolledBack); // the table reaches the lagging instance (before effectiveAt)
      const other = routerWith(rolledBack); // never saw the sessions
      const now = effectiveAt + MINUTE;
      const disagreements = sessions.filter((sessionId) => {
        const cached = received.router.route({ agent: AGENT, sessionId }, now).versionId;
        return lagging.router.route({ agent: AGENT, sessionId }, now).versionId !== cached || other.router.route({ agent: AGENT, sessionId, sessionStartedAt: before }, now).versionId !== cached;
      });
      expect(disagreements).toEqual([]);
      // a new session is never told it was moved or ended, and only a let-finish rollback still places on v2 until it takes effect
      expect(byReceived.every((d) => d.reason === 'weighted' && d.previousVersionId === undefined && d.terminated === undefined)).toBe(true);
      const onCandidate = byReceived.filter((d) => d.versionId === 'v2').length;
      if (existingSessions === 'keep') expect(onCandidate).toBeGreaterThan(0);
      else expect(onCandidate).toBe(0);
      expect(sessions.every((sessionId) => received.router.route({ agent: AGENT, sessionId: `after-${sessionId}` }, effectiveAt).versionId === 'v1')).toBe(true);
    });
  });

  it('property: whatever the weight change and what it does to the versions, every instance ends up placing each session started around it alike', () => {
    const ids = ['v1', 'v2', 'v3'] as const;
    const shares = fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 10 }));
    const normalised = (w: readonly number[]) => w.map((x) => x / w.reduce((a, b) => a + b, 0));
    const scenario = fc.record({
      before: shares,
      after: shares,
      // what the new table does to each version: take sessions, or close (its sessions kept, moved or ended)
      closed: fc.tuple(...ids.map(() => fc.constantFrom('open' as const, 'draining-keep' as const, 'draining-migrate' as const, 'killed' as const))),
      starts: fc.array(fc.integer({ min: -3_000, max: 3_000 }), { minLength: 1, maxLength: 40 }), // ms around effectiveAt
    });
    fc.assert(
      fc.property(scenario, ({ before, after, closed, starts }) => {
        const effectiveAt = T0 + 10 * MINUTE;
        const old = normalised(before);
        const next = normalised(after.map((w, i) => (closed[i] === 'open' ? w : 0)).some((w) => w > 0) ? after.map((w, i) => (closed[i] === 'open' ? w : 0)) : [0, 0, 1]);
        const e0 = { revision: 1, effectiveAt: iso(T0), weights: Object.fromEntries(ids.map((id, i) => [id, old[i]!]).filter(([, w]) => (w as number) > 0)) };
        const e1 = { revision: 2, effectiveAt: iso(effectiveAt), weights: Object.fromEntries(ids.map((id, i) => [id, next[i]!]).filter(([, w]) => (w as number) > 0)) };
        const oldTable = compileRoutingTable(routingDecision(AGENT, 1, { versions: ids.map((id, i) => version(id, old[i]!)), epochs: [e0] }));
        const state = (i: number) =>
          next[i]! > 0 || closed[i] === 'open'
            ? { state: 'active' as const, existingSessions: 'keep' as const }
            : closed[i] === 'killed'
              ? { state: 'killed' as const, existingSessions: 'terminate' as const }
              : { state: 'draining' as const, existingSessions: closed[i] === 'draining-migrate' ? ('migrate' as const) : ('keep' as const) };
        const newTable = compileRoutingTable(routingDecision(AGENT, 2, { versions: ids.map((id, i) => version(id, next[i]!, state(i))), epochs: [e0, e1] }));
        const early = routerWith(newTable); // received the new table before its effectiveAt
        const late = routerWith(oldTable); // receives it only later (but before effectiveAt)
        starts.forEach((offset, n) => {
          const t = effectiveAt + offset;
          early.router.route({ agent: AGENT, sessionId: `s-${n}` }, t);
          if (offset < 0) late.router.route({ agent: AGENT, sessionId: `s-${n}` }, t);
        });
        late.set(newTable);
        const other = routerWith(newTable);
        const now = effectiveAt + 5_000;
        starts.forEach((offset, n) => {
          const sessionId = `s-${n}`;
          const byEarly = early.router.route({ agent: AGENT, sessionId }, now).versionId;
          expect(other.router.route({ agent: AGENT, sessionId, sessionStartedAt: effectiveAt + offset }, now).versionId).toBe(byEarly);
          if (offset < 0) expect(late.router.route({ agent: AGENT, sessionId }, now).versionId).toBe(byEarly);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('the pin token gives the same answer on an instance without cache', () => {
    const a = routerWith(r1);
    const pins = sessionIds(1_000).map((sessionId) => a.router.route({ agent: AGENT, sessionId }, T0 + MINUTE).pin);
    const b = routerWith(r2);
    sessionIds(1_000).forEach((sessionId, i) => {
      expect(b.router.route({ agent: AGENT, sessionId, pinnedVersionId: pins[i] }, T0 + 20 * MINUTE).versionId).toBe(pins[i]!.split('@')[0]);
    });
  });

  it('a cached session follows its version when that one starts migrating its sessions', () => {
    const a = routerWith(r1);
    const onV2 = sessionIds(2_000).filter((sessionId) => a.router.route({ agent: AGENT, sessionId }, T0 + MINUTE).versionId === 'v2');
    expect(onV2.length).toBeGreaterThan(0);
    a.set(compileRoutingTable(routingDecision(AGENT, 3, { versions: [version('v1', 1), version('v2', 0, { state: 'draining', existingSessions: 'migrate' })] })));
    for (const sessionId of onV2) {
      expect(a.router.route({ agent: AGENT, sessionId }, T0 + 2 * MINUTE)).toMatchObject({ versionId: 'v1', reason: 'migrated', previousVersionId: 'v2' });
      expect(a.router.route({ agent: AGENT, sessionId }, T0 + 3 * MINUTE)).toMatchObject({ versionId: 'v1', reason: 'pinned' }); // moved once
    }
  });

  it('remembers when it first saw a session: maxSessionAgeMs applies without sessionStartedAt', () => {
    const draining = compileRoutingTable(
      routingDecision(AGENT, 4, { versions: [version('v1', 0, { state: 'draining' }), version('v2', 1)], maxSessionAgeMs: 30 * MINUTE }),
    );
    const a = routerWith(draining);
    expect(a.router.route({ agent: AGENT, sessionId: 's1', pinnedVersionId: 'v1' }, T0)).toMatchObject({ versionId: 'v1', reason: 'pinned' });
    expect(a.router.route({ agent: AGENT, sessionId: 's1' }, T0 + 29 * MINUTE)).toMatchObject({ versionId: 'v1', reason: 'pinned' });
    expect(a.router.route({ agent: AGENT, sessionId: 's1' }, T0 + 31 * MINUTE)).toMatchObject({ versionId: 'v2', reason: 'migrated' });
  });

  it('serves the default version before any table arrives, and keeps its cache bounded', () => {
    const empty = routerWith(undefined);
    expect(empty.router.route({ agent: AGENT, sessionId: 's1' }, T0)).toMatchObject({ versionId: 'v0', reason: 'fallback', revision: 0 });
    expect(empty.router.route({ agent: 'other-agent', sessionId: 's1' }, T0)).toMatchObject({ versionId: 'v0', reason: 'fallback' });
    const bounded = routerWith(r1, 1_000);
    for (const sessionId of sessionIds(10_000)) bounded.router.route({ agent: AGENT, sessionId }, T0);
    expect(bounded.router.cachedSessions(AGENT)).toBeLessThanOrEqual(1_000);
  });
});

describe('SessionCache', () => {
  const entry = (cache: SessionCache, id: string) => cache.get(0, id)?.versionId;

  it('keeps the most recently used entries of a set and evicts its least recent one', () => {
    const cache = new SessionCache(4); // one set of 4 ways: every hash lands in it
    for (const id of ['a', 'b', 'c', 'd']) cache.add(0, id, `v-${id}`, 0);
    expect(entry(cache, 'a')).toBe('v-a'); // a is now the most recent
    cache.add(0, 'e', 'v-e', 0); // evicts b, the least recent
    expect(entry(cache, 'b')).toBeUndefined();
    expect(['a', 'c', 'd', 'e'].map((id) => entry(cache, id))).toEqual(['v-a', 'v-c', 'v-d', 'v-e']);
    expect(cache.size).toBe(4);
  });

  it('updates in place and never holds more than its capacity', () => {
    const cache = new SessionCache(1_000);
    for (let i = 0; i < 10_000; i++) cache.add(i * 2654435761, `s-${i}`, 'v1', i);
    expect(cache.size).toBeLessThanOrEqual(1_000);
    expect(cache.capacity).toBe(1_000);
    const slot = cache.find(9_999 * 2654435761, 's-9999');
    cache.update(slot, 'v2', 5);
    expect(cache.get(9_999 * 2654435761, 's-9999')).toEqual({ versionId: 'v2', startedAtMs: 5 });
    expect(() => new SessionCache(3)).toThrow(RangeError);
  });
});
