import fc from 'fast-check';
import { VERSION_STATES } from '@iris/contracts';
import { iso, routingDecision, sessionIds, version } from '../testing/routing-tables';
import { compileRoutingTable } from './compiled-table';
import { route, RouteDecision, RouteRequest } from './route';

const AGENT = 'support-bot';
const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const req = (sessionId: string, extra: Partial<RouteRequest> = {}): RouteRequest => ({ agent: AGENT, sessionId, ...extra });

function shares(decisions: RouteDecision[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of decisions) counts[String(d.versionId)] = (counts[String(d.versionId)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / decisions.length]));
}

describe('route(): weighted placement', () => {
  it('splits 100k new sessions by weight within tolerance, in a fixed version order', () => {
    const table = compileRoutingTable(
      routingDecision(AGENT, 1, {
        versions: [version('v1', 0.6), version('v2', 0.3), version('v3', 0.08, { state: 'canary' }), version('v4', 0.02, { state: 'canary' })],
      }),
    );
    const decisions = sessionIds(100_000).map((s) => route(table, req(s), T0));
    const got = shares(decisions);
    for (const [id, weight] of Object.entries({ v1: 0.6, v2: 0.3, v3: 0.08, v4: 0.02 })) expect(Math.abs(got[id] - weight)).toBeLessThan(0.006);
    expect(decisions.every((d) => d.reason === 'weighted' && d.revision === 1 && d.pin === `${d.versionId}@1`)).toBe(true);
    expect(decisions[0].endpoint).toBe(`http://${decisions[0].versionId}.agents.test:8080/`);
  });

  it('is deterministic: same table, request and time give the same decision (raw or compiled table)', () => {
    const decision = routingDecision(AGENT, 3, { versions: [version('v1', 0.5), version('v2', 0.5)] });
    const compiled = compileRoutingTable(decision);
    for (const s of sessionIds(1_000)) expect(route(decision, req(s), T0)).toEqual(route(compiled, req(s), T0 + 5));
  });

  it('is monotone: raising the candidate from 1% to 5% keeps every 1% session on it', () => {
    const at = (w: number) => compileRoutingTable(routingDecision(AGENT, 1, { versions: [version('v1', 1 - w), version('v2', w, { state: 'canary' })] }));
    const [one, five] = [at(0.01), at(0.05)];
    let onCandidate = 0;
    let lost = 0;
    for (const s of sessionIds(30_000)) {
      if (route(one, req(s), T0).versionId !== 'v2') continue;
      onCandidate++;
      if (route(five, req(s), T0).versionId !== 'v2') lost++;
    }
    expect(onCandidate).toBeGreaterThan(200);
    expect(lost).toBe(0);
  });

  it('property: growing any version only moves sessions onto it (the others shrink in proportion)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 5 }),
        fc.nat(),
        fc.double({ min: 0.001, max: 0.9, noNaN: true }),
        fc.double({ min: 0.001, max: 0.099, noNaN: true }),
        (base, pick, w1, delta) => {
          const grown = pick % base.length;
          const w2 = Math.min(0.999, w1 + delta);
          const othersTotal = base.reduce((sum, b, i) => (i === grown ? sum : sum + b), 0);
          const tableAt = (w: number) =>
            compileRoutingTable(
              routingDecision(AGENT, 1, { versions: base.map((b, i) => version(`v${i}`, i === grown ? w : ((1 - w) * b) / othersTotal)) }),
            );
          const [before, after] = [tableAt(w1), tableAt(w2)];
          for (const s of sessionIds(300)) {
            const a = route(before, req(s), T0).versionId;
            const b = route(after, req(s), T0).versionId;
            if (a !== b) expect(b).toBe(`v${grown}`);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('closing a version (killed while still weighted) moves only its own sessions, spread by weight', () => {
    const versions = [version('v1', 0.5), version('v2', 0.3), version('v3', 0.2)];
    const open = compileRoutingTable(routingDecision(AGENT, 1, { versions }));
    const closed = compileRoutingTable(routingDecision(AGENT, 2, { versions: versions.map((v) => (v.versionId === 'v2' ? { ...v, state: 'killed' as const } : v)) }));
    const moved: string[] = [];
    let others = 0;
    for (const s of sessionIds(20_000)) {
      const before = route(open, req(s), T0).versionId;
      const after = route(closed, req(s), T0).versionId!;
      if (before === 'v2') moved.push(after);
      else if (after !== before) others++;
    }
    expect(others).toBe(0);
    expect(moved).not.toContain('v2');
    expect(Math.abs(moved.filter((v) => v === 'v1').length / moved.length - 0.5 / 0.7)).toBeLessThan(0.02);
  });

  it('does not depend on the order versions are listed in', () => {
    const versions = [version('v1', 0.5), version('v2', 0.3), version('v3', 0.2)];
    const a = compileRoutingTable(routingDecision(AGENT, 1, { versions }));
    const b = compileRoutingTable(routingDecision(AGENT, 1, { versions: [...versions].reverse() }));
    for (const s of sessionIds(5_000)) expect(route(a, req(s), T0).versionId).toBe(route(b, req(s), T0).versionId);
  });

  it('falls back when nothing takes new sessions, and to the default version without a table', () => {
    expect(route(undefined, req('s1'), T0, { defaultVersionId: 'v0' })).toEqual({ versionId: 'v0', reason: 'fallback', revision: 0, shadow: [], pin: 'v0@0' });
    expect(route(undefined, req('s1'), T0)).toMatchObject({ versionId: null, reason: 'fallback' });
    const idle = routingDecision(AGENT, 4, { versions: [version('v1', 0, { state: 'draining' }), version('v2', 0, { state: 'drained' })], fallbackVersionId: 'v1' });
    expect(route(idle, req('s1'), T0)).toMatchObject({ versionId: 'v1', reason: 'fallback', revision: 4 });
  });
});

describe('route(): pinning', () => {
  const e1 = { revision: 1, effectiveAt: iso(T0), weights: { v1: 0.9, v2: 0.1 } };
  const e2 = { revision: 2, effectiveAt: iso(T0 + 10 * MINUTE), weights: { v1: 0.2, v2: 0.8 } };
  const r2 = compileRoutingTable(
    routingDecision(AGENT, 2, { versions: [version('v1', 0.2), version('v2', 0.8, { state: 'canary' })], epochs: [e1, e2] }),
  );

  it('places a session by the epoch in force when it started (no cache, no network)', () => {
    const r1 = compileRoutingTable(routingDecision(AGENT, 1, { versions: [version('v1', 0.9), version('v2', 0.1, { state: 'canary' })], epochs: [e1] }));
    const now = T0 + 20 * MINUTE;
    const startedAt = T0 + MINUTE;
    const mismatches: string[] = [];
    for (const s of sessionIds(5_000)) {
      const then = route(r1, req(s), startedAt).versionId;
      if (route(r2, req(s, { sessionStartedAt: startedAt }), now).versionId !== then) mismatches.push(`${s}: by time`);
      if (route(r2, req(s, { sessionStartedAt: iso(startedAt) }), now).versionId !== then) mismatches.push(`${s}: by ISO time`);
      // a session started in the current epoch sits where a new session would
      const fresh = route(r2, req(s, { sessionStartedAt: now - 1 }), now);
      if (fresh.versionId !== route(r2, req(s), now).versionId || fresh.reason !== 'weighted') mismatches.push(`${s}: current epoch`);
    }
    expect(mismatches).toEqual([]);
  });

  it('reports kept sessions of earlier epochs as pinned', () => {
    const moved = sessionIds(2_000)
      .map((s) => ({ s, d: route(r2, req(s, { sessionStartedAt: T0 + MINUTE }), T0 + 20 * MINUTE), now: route(r2, req(s), T0 + 20 * MINUTE) }))
      .filter(({ d, now }) => d.versionId !== now.versionId);
    expect(moved.length).toBeGreaterThan(1_000); // 0.9/0.1 → 0.2/0.8 moves ~70 %
    expect(moved.every(({ d }) => d.reason === 'pinned')).toBe(true);
  });

  it('before the oldest kept epoch, uses the oldest', () => {
    for (const s of sessionIds(500)) {
      expect(route(r2, req(s, { sessionStartedAt: T0 - 99 * MINUTE }), T0 + 20 * MINUTE).versionId).toBe(
        route(r2, req(s, { sessionStartedAt: T0 + MINUTE }), T0 + 20 * MINUTE).versionId,
      );
    }
  });

  it('a pin token takes precedence over the start time', () => {
    const d = route(r2, req('s1', { pinnedVersionId: 'v1', sessionStartedAt: T0 + 15 * MINUTE }), T0 + 20 * MINUTE);
    expect(d).toMatchObject({ versionId: 'v1', reason: 'pinned', pin: expect.stringMatching(/^v1@\d+$/) });
  });
});

describe('route(): existing sessions of a version', () => {
  const at = (existingSessions: 'keep' | 'migrate' | 'terminate', state: 'draining' | 'killed' = 'draining', maxSessionAgeMs?: number) =>
    compileRoutingTable(
      routingDecision(AGENT, 5, {
        versions: [version('old', 0, { state, existingSessions }), version('v2', 0.7), version('v3', 0.3, { state: 'canary' })],
        fallbackVersionId: 'v2',
        maxSessionAgeMs,
      }),
    );

  it('keep: the session stays on its draining version', () => {
    expect(route(at('keep'), req('s1', { pinnedVersionId: 'old' }), T0)).toMatchObject({ versionId: 'old', reason: 'pinned' });
  });

  it('migrate: re-placed by the current weights', () => {
    const decisions = sessionIds(5_000).map((s) => route(at('migrate'), req(s, { pinnedVersionId: 'old' }), T0));
    expect(decisions.every((d) => d.reason === 'migrated' && d.previousVersionId === 'old' && d.versionId !== 'old')).toBe(true);
    expect(Math.abs(shares(decisions).v2 - 0.7)).toBeLessThan(0.03);
    // and exactly where a new session would go
    for (const [i, s] of sessionIds(100).entries()) expect(decisions[i].versionId).toBe(route(at('migrate'), req(s), T0).versionId);
  });

  it('terminate: the answer says the session must end, and where to start a fresh one', () => {
    const d = route(at('terminate', 'killed'), req('s1', { pinnedVersionId: 'old' }), T0);
    expect(d).toMatchObject({ terminated: true, reason: 'migrated', previousVersionId: 'old' });
    expect(['v2', 'v3']).toContain(d.versionId);
  });

  it('a killed version never keeps its sessions, even if told to keep them', () => {
    expect(route(at('keep', 'killed'), req('s1', { pinnedVersionId: 'old' }), T0)).toMatchObject({ reason: 'migrated', previousVersionId: 'old' });
  });

  it('sessions older than maxSessionAgeMs on a draining version are migrated; younger ones stay', () => {
    const table = at('keep', 'draining', 30 * MINUTE);
    expect(route(table, req('s1', { pinnedVersionId: 'old', sessionStartedAt: T0 - 31 * MINUTE }), T0)).toMatchObject({ reason: 'migrated', previousVersionId: 'old' });
    expect(route(table, req('s1', { pinnedVersionId: 'old', sessionStartedAt: T0 - 29 * MINUTE }), T0)).toMatchObject({ versionId: 'old', reason: 'pinned' });
  });

  it('a version that left the table migrates its sessions', () => {
    expect(route(at('keep'), req('s1', { pinnedVersionId: 'gone' }), T0)).toMatchObject({ reason: 'migrated', previousVersionId: 'gone' });
    expect(route(at('keep'), req('s1', { pinnedVersionId: 'gone@1' }), T0)).toMatchObject({ reason: 'migrated', previousVersionId: 'gone' });
  });

  it('a pin placed by a newer table than this instance has is kept (the instance is a moment behind)', () => {
    const table = at('keep');
    const ahead = `v9@${table.revision + 1}`;
    expect(route(table, req('s1', { pinnedVersionId: ahead }), T0)).toEqual({ versionId: 'v9', reason: 'pinned', revision: table.revision, shadow: [], pin: ahead, tableBehind: true });
  });
});

describe('route(): targeting', () => {
  const table = compileRoutingTable(
    routingDecision(AGENT, 6, {
      versions: [version('v1', 1), version('v2', 0, { state: 'canary' }), version('v3', 0, { state: 'shadow' }), version('vk', 0, { state: 'killed' })],
      targeting: {
        overrides: [
          { kind: 'tenant', value: 'acme', versionId: 'v2' },
          { kind: 'user', value: 'alice', versionId: 'v3' },
          { kind: 'session', value: 'debug-session', versionId: 'v1' },
          { kind: 'user', value: 'mallory', versionId: 'vk' },
        ],
        cohorts: [
          { versionId: 'vk', tenants: ['dogfood'], users: [], features: [] },
          { versionId: 'v2', tenants: ['dogfood'], users: ['bob'], features: [] },
          { versionId: 'v3', tenants: [], users: [], features: ['beta-search'] },
        ],
      },
    }),
  );

  it('overrides: session > user > tenant, over cohorts and pins', () => {
    expect(route(table, req('debug-session', { user: 'alice', tenant: 'acme' }), T0)).toMatchObject({ versionId: 'v1', reason: 'override' });
    expect(route(table, req('s1', { user: 'alice', tenant: 'acme', feature: 'beta-search' }), T0)).toMatchObject({ versionId: 'v3', reason: 'override' });
    expect(route(table, req('s1', { tenant: 'acme', pinnedVersionId: 'v1' }), T0)).toMatchObject({ versionId: 'v2', reason: 'override' });
  });

  it('cohorts: the first listed cohort naming the tenant, user or feature, over pins', () => {
    expect(route(table, req('s1', { tenant: 'dogfood' }), T0)).toMatchObject({ versionId: 'v2', reason: 'cohort' }); // the killed cohort is skipped
    expect(route(table, req('s1', { user: 'bob', feature: 'beta-search' }), T0)).toMatchObject({ versionId: 'v2', reason: 'cohort' });
    expect(route(table, req('s1', { feature: 'beta-search', pinnedVersionId: 'v1' }), T0)).toMatchObject({ versionId: 'v3', reason: 'cohort' });
    expect(route(table, req('s1', { tenant: 'other' }), T0)).toMatchObject({ versionId: 'v1', reason: 'weighted' });
  });

  it('never targets a killed version', () => {
    expect(route(table, req('s1', { user: 'mallory' }), T0)).toMatchObject({ versionId: 'v1', reason: 'weighted' });
  });
});

describe('route(): ramp', () => {
  const start = T0;
  const end = T0 + 60 * MINUTE;
  const table = compileRoutingTable(
    routingDecision(AGENT, 7, {
      versions: [version('v1', 0.6), version('v2', 0.3), version('v3', 0.1, { state: 'canary' })],
      targeting: { ramp: { versionId: 'v3', fromWeight: 0.1, toWeight: 0.5, startAt: iso(start), endAt: iso(end) } },
    }),
  );
  const sessions = sessionIds(20_000);
  const sharesAt = (t: number) => shares(sessions.map((s) => route(table, req(s), t)));

  it('interpolates the ramped weight linearly; the others share the rest in proportion', () => {
    for (const [t, w] of [
      [start - MINUTE, 0.1],
      [start + 30 * MINUTE, 0.3],
      [end + MINUTE, 0.5],
    ] as const) {
      const got = sharesAt(t);
      expect(Math.abs(got.v3 - w)).toBeLessThan(0.015);
      expect(Math.abs(got.v1 / got.v2 - 2)).toBeLessThan(0.1);
    }
  });

  it('is monotone in time: a session on the ramped version stays there', () => {
    const early = sessions.map((s) => route(table, req(s), start + 10 * MINUTE).versionId);
    const late = sessions.map((s) => route(table, req(s), start + 40 * MINUTE).versionId);
    expect(early.filter((v, i) => v === 'v3' && late[i] !== 'v3')).toEqual([]);
    expect(early.filter((v, i) => v !== late[i] && late[i] !== 'v3')).toEqual([]); // nothing moves between v1 and v2
  });

  it('a session keeps the weights of when it started, mid-ramp', () => {
    for (const s of sessions.slice(0, 2_000)) {
      const then = route(table, req(s), start + 10 * MINUTE).versionId;
      expect(route(table, req(s, { sessionStartedAt: start + 10 * MINUTE }), end).versionId).toBe(then);
    }
  });
});

describe('route(): blue-green', () => {
  const table = compileRoutingTable(
    routingDecision(AGENT, 8, {
      strategy: 'blue-green',
      versions: [version('blue', 0, { state: 'draining' }), version('green', 1)],
    }),
  );

  it('sends every session, also pinned and old ones, to the version with weight 1', () => {
    expect(route(table, req('s1'), T0)).toMatchObject({ versionId: 'green', reason: 'blue-green' });
    expect(route(table, req('s1', { pinnedVersionId: 'blue' }), T0)).toMatchObject({ versionId: 'green', reason: 'blue-green', previousVersionId: 'blue' });
    expect(route(table, req('s1', { sessionStartedAt: T0 - 99 * MINUTE }), T0)).toMatchObject({ versionId: 'green', reason: 'blue-green' });
  });
});

describe('route(): shadow targets', () => {
  const table = compileRoutingTable(
    routingDecision(AGENT, 9, {
      versions: [version('v1', 1), version('v2', 0, { state: 'shadow' }), version('vk', 0, { state: 'killed' })],
      shadowTargets: [
        { versionId: 'v2', sampleRate: 0.2 },
        { versionId: 'vk', sampleRate: 1 },
      ],
    }),
  );

  it('mirrors a deterministic sample of sessions, never to a killed version', () => {
    const decisions = sessionIds(20_000).map((s) => route(table, req(s), T0));
    const mirrored = decisions.filter((d) => d.shadow.length > 0);
    expect(Math.abs(mirrored.length / decisions.length - 0.2)).toBeLessThan(0.015);
    expect(mirrored.every((d) => d.shadow.length === 1 && d.shadow[0].versionId === 'v2' && d.shadow[0].endpoint === 'http://v2.agents.test:8080/')).toBe(true);
    expect(route(table, req('session-7'), T0).shadow).toEqual(decisions[7].shadow);
  });
});

describe('route(): killed versions never get traffic (property)', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const arbitraryTable = fc
    .record({
      states: fc.tuple(...ids.map(() => fc.constantFrom(...VERSION_STATES))),
      weights: fc.tuple(...ids.map(() => fc.integer({ min: 0, max: 10 }))),
      existing: fc.tuple(...ids.map(() => fc.constantFrom('keep' as const, 'migrate' as const, 'terminate' as const))),
      strategy: fc.constantFrom('rainbow' as const, 'canary' as const, 'blue-green' as const),
      fallback: fc.constantFrom(...ids),
      overrideTo: fc.constantFrom(...ids),
      cohortTo: fc.constantFrom(...ids),
      epochWeights: fc.tuple(...ids.map(() => fc.integer({ min: 0, max: 10 }))),
    })
    .map((t) => {
      const total = t.weights.reduce((a, b) => a + b, 0);
      const epochTotal = t.epochWeights.reduce((a, b) => a + b, 0);
      return routingDecision(AGENT, 1, {
        strategy: t.strategy,
        versions: ids.map((id, i) => version(id, total > 0 ? t.weights[i] / total : 0, { state: t.states[i], existingSessions: t.existing[i] })),
        fallbackVersionId: t.fallback,
        shadowTargets: ids.map((versionId) => ({ versionId, sampleRate: 0.5 })),
        targeting: {
          overrides: [{ kind: 'user', value: 'u1', versionId: t.overrideTo }],
          cohorts: [{ versionId: t.cohortTo, tenants: ['t1'], users: [], features: [] }],
        },
        epochs: epochTotal > 0 ? [{ revision: 1, effectiveAt: iso(T0 - MINUTE), weights: Object.fromEntries(ids.map((id, i) => [id, t.epochWeights[i] / epochTotal])) }] : [],
      });
    });
  const arbitraryRequest = fc.record({
    sessionId: fc.string({ minLength: 1, maxLength: 12 }),
    user: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
    tenant: fc.option(fc.constantFrom('t1', 't2'), { nil: undefined }),
    pinnedVersionId: fc.option(fc.constantFrom(...ids), { nil: undefined }),
    sessionStartedAt: fc.option(fc.integer({ min: T0 - 2 * MINUTE, max: T0 }), { nil: undefined }),
  });

  it('whatever the table and the request (pins, overrides and cohorts to killed versions included)', () => {
    fc.assert(
      fc.property(arbitraryTable, fc.array(arbitraryRequest, { minLength: 1, maxLength: 20 }), (decision, requests) => {
        const killed = new Set(decision.table.versions.filter((v) => v.state === 'killed').map((v) => v.versionId));
        for (const request of requests) {
          const d = route(decision, { agent: AGENT, ...request }, T0, { defaultVersionId: 'a' });
          if (d.versionId !== null) expect(killed.has(d.versionId)).toBe(false);
          for (const shadow of d.shadow) expect(killed.has(shadow.versionId)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
