import { deciderSpecification } from '@iris/testing';
import { comparePair } from './compare';
import { DONE_REMEMBERED, DoneRequests, pairingDecider, pairingStateFromJSON, pairingStateToJSON, type PairingCommand } from './pairing';
import { pairKey, type RunRecord } from './run';

const TIMEOUT = 30_000;
const decider = pairingDecider({ timeoutMs: TIMEOUT });
const { given, history } = deciderSpecification(decider);

const primary = (over: Partial<RunRecord> = {}): RunRecord => ({
  role: 'primary',
  environment: 'production',
  agent: 'support-bot',
  versionId: 'v1',
  sessionId: 's1',
  requestId: 'r1',
  atMs: 1_000,
  latencyMs: 100,
  costUsd: 0.01,
  tools: [{ name: 'lookup_order', argsHash: 'a' }],
  outputDigest: 'd1',
  violations: [],
  error: null,
  dispatched: [{ versionId: 'v2', noise: false }],
  ...over,
});
const shadow = (over: Partial<RunRecord> = {}): RunRecord =>
  primary({ role: 'shadow', versionId: 'v2', atMs: 1_200, dispatched: undefined, mirrors: { primaryVersionId: 'v1', noise: false }, ...over });
const record = (run: RunRecord): PairingCommand => ({ type: 'RecordRun', run });
const key = pairKey('s1', 'r1');

describe('pairing', () => {
  it('given a primary that dispatched a shadow run, when the shadow run reports, then the pair is compared', () => {
    const p = primary();
    const s = shadow();
    given(history(record(p)))
      .when(record(s))
      .then([
        { type: 'PairCompared', key, slot: { versionId: 'v2', noise: false }, primary: p, shadow: s, comparison: comparePair(p, s) },
        { type: 'ClockAdvanced', atMs: 1_200 },
      ]);
  });

  it('given a shadow run that reported first, when its primary arrives, then the pair is compared and nothing stays pending', () => {
    const p = primary({ atMs: 1_300 });
    const s = shadow();
    const spec = given(history(record(s))).when(record(p));
    spec.thenMatches([{ type: 'PairCompared', primary: p, shadow: s }, { type: 'ClockAdvanced', atMs: 1_300 }]);
    expect(spec.stateAfter().pending.size).toBe(0);
  });

  it('given a compared pair, when the same shadow run is delivered again, then nothing happens', () => {
    given(history(record(primary({ dispatched: [{ versionId: 'v2', noise: false }, { versionId: 'v1', noise: true }] })), record(shadow())))
      .when(record(shadow()))
      .thenNothing();
  });

  it('given a primary waiting for a candidate and a noise rerun, when the noise rerun reports, then it pairs as noise and the candidate is still awaited', () => {
    const p = primary({ dispatched: [{ versionId: 'v2', noise: false }, { versionId: 'v1', noise: true }] });
    const noise = shadow({ versionId: 'v1', mirrors: { primaryVersionId: 'v1', noise: true } });
    const spec = given(history(record(p))).when(record(noise));
    spec.thenMatches([{ type: 'PairCompared', slot: { versionId: 'v1', noise: true } }, { type: 'ClockAdvanced' }]);
    expect(spec.stateAfter().pending.get(key)?.expected).toEqual([{ versionId: 'v2', noise: false }]);
  });

  it('given a primary whose shadow run never reports, when the clock passes the timeout, then it is a shadow failure', () => {
    given(history(record(primary())))
      .when({ type: 'AdvanceClock', atMs: 1_000 + TIMEOUT })
      .then([
        { type: 'ClockAdvanced', atMs: 1_000 + TIMEOUT },
        { type: 'ShadowUnpaired', key, slot: { versionId: 'v2', noise: false }, missing: 'shadow', environment: 'production', agent: 'support-bot', baselineVersionId: 'v1', sessionId: 's1', requestId: 'r1', atMs: 1_000 },
      ]);
  });

  it('given a shadow run whose primary never arrives, when a later run moves the clock past the timeout, then it is a shadow failure', () => {
    const later = primary({ sessionId: 's9', requestId: 'r9', atMs: 1_200 + TIMEOUT });
    given(history(record(shadow())))
      .when(record(later))
      .thenMatches([
        { type: 'RunHeld', key: pairKey('s9', 'r9') },
        { type: 'ClockAdvanced', atMs: 1_200 + TIMEOUT },
        { type: 'ShadowUnpaired', key, missing: 'primary', baselineVersionId: 'v1', slot: { versionId: 'v2', noise: false } },
      ]);
  });

  it('given a pending request not yet due, when the clock moves, then only the clock moves', () => {
    given(history(record(primary()))).when({ type: 'AdvanceClock', atMs: 1_000 + TIMEOUT - 1 }).then([{ type: 'ClockAdvanced', atMs: 1_000 + TIMEOUT - 1 }]);
  });

  it('a primary that dispatched no shadow run is not the comparator’s business (never held)', () => {
    given([]).when(record(primary({ dispatched: [] }))).then([{ type: 'ClockAdvanced', atMs: 1_000 }]);
  });

  it('given a settled pair, when a copy of its primary or its shadow run arrives (a producer retry), then it is ignored and never times out as a failure', () => {
    const settled = history(record(primary()), record(shadow()));
    given(settled).when(record(primary())).thenNothing();
    given(settled).when(record(shadow())).thenNothing();
    const later = given(settled).when(record(primary({ atMs: 1_000 + TIMEOUT }))).stateAfter();
    expect(later.pending.size).toBe(0);
  });

  it('given a request that timed out as a shadow failure, when its shadow run arrives late, then it is not counted again', () => {
    given(history(record(primary()), { type: 'AdvanceClock', atMs: 1_000 + TIMEOUT }))
      .when(record(shadow({ atMs: 2_000 + TIMEOUT })))
      .then([{ type: 'ClockAdvanced', atMs: 2_000 + TIMEOUT }]);
  });

  it('remembers a bounded number of settled requests', () => {
    const done = new DoneRequests();
    for (let i = 0; i < DONE_REMEMBERED + 10; i++) done.add(DoneRequests.hash(pairKey(`s${i}`, 'r')));
    expect(done.toJSON()).toHaveLength(DONE_REMEMBERED);
    expect(done.has(pairKey('s0', 'r'))).toBe(false);
    expect(done.has(pairKey(`s${DONE_REMEMBERED + 9}`, 'r'))).toBe(true);
  });

  it('the state survives its JSON form (checkpoints)', () => {
    const state = history(record(primary()), record(shadow({ sessionId: 's2', requestId: 'r2' }))).reduce(decider.evolve, decider.initialState());
    const restored = pairingStateFromJSON(JSON.parse(JSON.stringify(pairingStateToJSON(state))));
    expect(restored).toEqual(state);
  });
});
