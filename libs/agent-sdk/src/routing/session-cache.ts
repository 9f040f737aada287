import { fmix32 } from './session-hash';

const WAYS = 4;
const TWO_POW_32 = 4_294_967_296;

/**
 * Bounded LRU of session → (version, start time), built for the route() hot path: a 4-way set-associative
 * table in preallocated arrays, indexed by the session hash route() computes anyway. A lookup compares at most
 * four keys; a hit moves the entry to the front of its set, an insert evicts the least recently used entry of
 * its set. No allocation and no string hashing per call (a Map-based LRU pays both, and its garbage).
 */
export class SessionCache {
  private readonly keys: string[];
  private readonly versionIndexes: Int32Array;
  private readonly startedAt: Float64Array;
  private readonly sets: number;
  private readonly versions: string[] = [];
  private readonly versionIndex = new Map<string, number>();
  private entries = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < WAYS) throw new RangeError(`capacity must be an integer ≥ ${WAYS}`);
    this.sets = Math.floor(capacity / WAYS);
    const slots = this.sets * WAYS;
    this.keys = new Array<string>(slots).fill('');
    this.versionIndexes = new Int32Array(slots).fill(-1);
    this.startedAt = new Float64Array(slots);
  }

  /** Slots (the most entries held at once). */
  get capacity(): number {
    return this.keys.length;
  }

  get size(): number {
    return this.entries;
  }

  /**
   * The slot holding the session (moved to the front of its set), or −1.
   * `hash` must be the same for the same session (route() passes its session hash).
   */
  find(hash: number, sessionId: string): number {
    const base = this.setOf(hash);
    const keys = this.keys;
    for (let way = 0; way < WAYS; way++) {
      const slot = base + way;
      if (keys[slot] === sessionId && this.versionIndexes[slot] >= 0) return way === 0 ? slot : this.promote(base, way);
    }
    return -1;
  }

  versionAt(slot: number): string {
    return this.versions[this.versionIndexes[slot]];
  }

  startedAtAt(slot: number): number {
    return this.startedAt[slot];
  }

  /** Updates a slot returned by find(). */
  update(slot: number, versionId: string, startedAtMs: number): void {
    this.versionIndexes[slot] = this.intern(versionId);
    this.startedAt[slot] = startedAtMs;
  }

  /** Inserts a session find() just missed at the front of its set (evicting the set's least recent entry). */
  add(hash: number, sessionId: string, versionId: string, startedAtMs: number): void {
    const base = this.setOf(hash);
    if (this.versionIndexes[base + WAYS - 1] < 0) this.entries++;
    this.shiftDown(base, WAYS - 1);
    this.keys[base] = sessionId;
    this.versionIndexes[base] = this.intern(versionId);
    this.startedAt[base] = startedAtMs;
  }

  /** The version and start time of a session, if held (convenience for tests and tools). */
  get(hash: number, sessionId: string): { versionId: string; startedAtMs: number } | undefined {
    const slot = this.find(hash, sessionId);
    return slot < 0 ? undefined : { versionId: this.versionAt(slot), startedAtMs: this.startedAtAt(slot) };
  }

  /** The set from the high bits of the mixed hash (its low bits are not uniform enough for `% sets`). */
  private setOf(hash: number): number {
    return Math.min(this.sets - 1, Math.floor((fmix32(hash) / TWO_POW_32) * this.sets)) * WAYS;
  }

  /** Moves the entry at `way` to the front; returns its new slot. */
  private promote(base: number, way: number): number {
    const slot = base + way;
    const key = this.keys[slot];
    const version = this.versionIndexes[slot];
    const started = this.startedAt[slot];
    this.shiftDown(base, way);
    this.keys[base] = key;
    this.versionIndexes[base] = version;
    this.startedAt[base] = started;
    return base;
  }

  /** Shifts ways [0, upTo) one place back, overwriting way `upTo`. */
  private shiftDown(base: number, upTo: number): void {
    for (let way = upTo; way > 0; way--) {
      const to = base + way;
      this.keys[to] = this.keys[to - 1];
      this.versionIndexes[to] = this.versionIndexes[to - 1];
      this.startedAt[to] = this.startedAt[to - 1];
    }
  }

  private intern(versionId: string): number {
    let index = this.versionIndex.get(versionId);
    if (index === undefined) {
      index = this.versions.push(versionId) - 1;
      this.versionIndex.set(versionId, index);
    }
    return index;
  }
}
