import { comparePair, type CompareOptions, type PairComparison } from './compare';
import { pairKey, slotKey, type RunRecord, type ShadowSlot } from './run';

/**
 * Pairs primary and shadow runs by (session id, request id) — both arrive on the same partition, telemetry being
 * keyed by session — as a decider: time arrives in commands (event time, or wall time for an idle partition),
 * never read inside. A request whose primary listed shadow runs waits for each; a shadow run waits for its
 * primary; whichever side is still missing `timeoutMs` (event time) after the first arrived counts as a shadow failure.
 */

export type PairingCommand = { type: 'RecordRun'; run: RunRecord } | { type: 'AdvanceClock'; atMs: number };

export type PairingEvent =
  /** A run waits for its other side (a primary: for the shadow runs still `expected`). */
  | { type: 'RunHeld'; key: string; run: RunRecord; expected?: ShadowSlot[] }
  | { type: 'PairCompared'; key: string; slot: ShadowSlot; primary: RunRecord; shadow: RunRecord; comparison: PairComparison }
  /** A shadow failure: the shadow run (missing 'shadow') or its primary (missing 'primary') never arrived in time. */
  | { type: 'ShadowUnpaired'; key: string; slot: ShadowSlot; missing: 'shadow' | 'primary'; environment: string; agent: string; baselineVersionId: string; sessionId: string; requestId: string; atMs: number }
  | { type: 'ClockAdvanced'; atMs: number };

export interface PendingRequest {
  firstAtMs: number;
  primary?: RunRecord;
  /** Shadow runs the primary dispatched that have not reported yet. */
  expected: ShadowSlot[];
  /** Shadow runs waiting for their primary. */
  shadows: RunRecord[];
}

export interface PairingState {
  /** Insertion order ≈ event-time order: expiry scans from the oldest and stops at the first not yet due. */
  pending: Map<string, PendingRequest>;
  /** Newest event time seen (or wall time of an idle partition), epoch ms. */
  clockMs: number | null;
  /**
   * Requests settled lately (paired or failed), oldest first, at most DONE_REMEMBERED: a copy of one of their runs
   * (a producer retry re-publishing it) is ignored instead of waiting in vain and counting as a shadow failure.
   */
  done: DoneRequests;
}

/** How many settled requests a partition remembers (a copy published later than that many settlements is not recognised). */
export const DONE_REMEMBERED = 4_096;

/** Settled request keys, as 32-bit hashes (small checkpoints), in a FIFO with a set for lookups. */
export class DoneRequests {
  private readonly order: number[];
  private readonly members = new Map<number, number>();

  constructor(hashes: readonly number[] = []) {
    this.order = [];
    for (const hash of hashes) this.add(hash);
  }

  static hash(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }

  has(key: string): boolean {
    return this.members.has(DoneRequests.hash(key));
  }

  add(hash: number): void {
    this.order.push(hash);
    this.members.set(hash, (this.members.get(hash) ?? 0) + 1);
    while (this.order.length > DONE_REMEMBERED) {
      const oldest = this.order.shift()!;
      const left = (this.members.get(oldest) ?? 1) - 1;
      if (left === 0) this.members.delete(oldest);
      else this.members.set(oldest, left);
    }
  }

  toJSON(): number[] {
    return [...this.order];
  }
}

export interface PairingOptions extends CompareOptions {
  /** How long (event time) one side waits for the other. */
  timeoutMs: number;
}

export function initialPairingState(): PairingState {
  return { pending: new Map(), clockMs: null, done: new DoneRequests() };
}

const sameSlot = (a: ShadowSlot, b: ShadowSlot) => a.versionId === b.versionId && a.noise === b.noise;
const slotOf = (shadow: RunRecord): ShadowSlot => ({ versionId: shadow.versionId, noise: shadow.mirrors?.noise ?? false });

/**
 * The pairing decider. `evolve` updates the state it is handed and returns it (the state is owned by one
 * partition's consumer, and copying thousands of pending requests per record would dominate the cost);
 * `decide` never modifies it.
 */
export interface PairingDecider {
  decide(command: PairingCommand, state: PairingState): PairingEvent[];
  evolve(state: PairingState, event: PairingEvent): PairingState;
  initialState(): PairingState;
}

export function pairingDecider(options: PairingOptions): PairingDecider {
  return { decide: (command, state) => decidePairing(command, state, options), evolve: evolvePairing, initialState: initialPairingState };
}

export function decidePairing(command: PairingCommand, state: PairingState, options: PairingOptions): PairingEvent[] {
  const events: PairingEvent[] = [];
  const atMs = command.type === 'RecordRun' ? command.run.atMs : command.atMs;
  if (command.type === 'RecordRun') events.push(...recordRun(command.run, state, options));
  if (state.clockMs === null || atMs > state.clockMs) {
    events.push({ type: 'ClockAdvanced', atMs });
    events.push(...expired(state, atMs, options.timeoutMs, events));
  }
  return events;
}

function recordRun(run: RunRecord, state: PairingState, options: PairingOptions): PairingEvent[] {
  const key = pairKey(run.sessionId, run.requestId);
  const entry = state.pending.get(key);
  if (!entry && state.done.has(key)) return []; // a copy of a run of a request already settled
  if (run.role === 'primary') {
    if (entry?.primary) return []; // the same primary again (re-published): already held
    const events: PairingEvent[] = [];
    const expected = [...new Map((run.dispatched ?? []).map((s) => [slotKey(s), s])).values()];
    for (const shadow of entry?.shadows ?? []) {
      const slot = slotOf(shadow);
      events.push({ type: 'PairCompared', key, slot, primary: run, shadow, comparison: comparePair(run, shadow, options) });
      const at = expected.findIndex((s) => sameSlot(s, slot));
      if (at >= 0) expected.splice(at, 1);
    }
    if (expected.length > 0) events.push({ type: 'RunHeld', key, run, expected });
    return events;
  }
  const slot = slotOf(run);
  if (entry?.primary) {
    // Paired once: a slot no longer expected is a duplicate (or was never dispatched) and is ignored.
    if (!entry.expected.some((s) => sameSlot(s, slot))) return [];
    return [{ type: 'PairCompared', key, slot, primary: entry.primary, shadow: run, comparison: comparePair(entry.primary, run, options) }];
  }
  if (entry?.shadows.some((s) => sameSlot(slotOf(s), slot))) return [];
  return [{ type: 'RunHeld', key, run }];
}

/** Requests whose wait ended at `clockMs`: each missing side is a ShadowUnpaired. */
function expired(state: PairingState, clockMs: number, timeoutMs: number, decided: readonly PairingEvent[]): PairingEvent[] {
  const events: PairingEvent[] = [];
  const touched = new Set(decided.flatMap((e) => ('key' in e ? [e.key] : [])));
  for (const [key, entry] of state.pending) {
    if (entry.firstAtMs + timeoutMs > clockMs) break;
    if (touched.has(key)) continue; // completed or changed by this very command: its rest expires next time
    const { primary } = entry;
    if (primary) {
      for (const slot of entry.expected) {
        events.push({ type: 'ShadowUnpaired', key, slot, missing: 'shadow', environment: primary.environment, agent: primary.agent, baselineVersionId: primary.versionId, sessionId: primary.sessionId, requestId: primary.requestId, atMs: primary.atMs });
      }
    }
    for (const shadow of entry.shadows) {
      events.push({
        type: 'ShadowUnpaired',
        key,
        slot: slotOf(shadow),
        missing: 'primary',
        environment: shadow.environment,
        agent: shadow.agent,
        baselineVersionId: shadow.mirrors?.primaryVersionId ?? shadow.versionId,
        sessionId: shadow.sessionId,
        requestId: shadow.requestId,
        atMs: shadow.atMs,
      });
    }
  }
  return events;
}

export function evolvePairing(state: PairingState, event: PairingEvent): PairingState {
  switch (event.type) {
    case 'ClockAdvanced':
      state.clockMs = event.atMs;
      return state;
    case 'RunHeld': {
      let entry = state.pending.get(event.key);
      if (!entry) {
        entry = { firstAtMs: event.run.atMs, expected: [], shadows: [] };
        state.pending.set(event.key, entry);
      }
      if (event.run.role === 'primary') {
        entry.primary = event.run;
        entry.expected = event.expected ?? [];
      } else {
        entry.shadows.push(event.run);
      }
      return state;
    }
    case 'PairCompared':
    case 'ShadowUnpaired': {
      const entry = state.pending.get(event.key);
      if (!entry) return state;
      const fromPrimarySide = event.type === 'ShadowUnpaired' ? event.missing === 'shadow' : entry.primary !== undefined;
      if (fromPrimarySide) entry.expected = entry.expected.filter((s) => !sameSlot(s, event.slot));
      else entry.shadows = entry.shadows.filter((s) => !sameSlot(slotOf(s), event.slot));
      if (entry.expected.length === 0 && entry.shadows.length === 0) {
        state.pending.delete(event.key);
        state.done.add(DoneRequests.hash(event.key));
      }
      return state;
    }
  }
}

/** JSON form of the pairing state (checkpoints). */
export interface PairingStateJSON {
  clockMs: number | null;
  pending: Array<[string, PendingRequest]>;
  /** Absent in checkpoints written before it existed. */
  done?: number[];
}

export function pairingStateToJSON(state: PairingState): PairingStateJSON {
  return { clockMs: state.clockMs, pending: [...state.pending], done: state.done.toJSON() };
}

export function pairingStateFromJSON(json: PairingStateJSON): PairingState {
  return { clockMs: json.clockMs, pending: new Map(json.pending), done: new DoneRequests(json.done ?? []) };
}
