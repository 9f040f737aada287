import { fmix32, versionSeed } from './session-hash';

/**
 * Weighted placement by rendezvous hashing: every version draws u = point(session, version) ∈ (0, 1) and scores
 * −ln(u) / weight; the lowest score takes the session. Each version wins with probability weight / Σ weights,
 * and since a version's draw never depends on the others, the placement is monotone for EVERY version:
 * - raising one version's weight while the others shrink in proportion only moves sessions onto it (a candidate
 *   going from 1 % to 5 % keeps its 1 % sessions, and no session moves between the other versions);
 * - closing a version (killed, weight 0) only moves its own sessions, spread over the others by weight.
 * The answer does not depend on the order versions are listed in (ties — never seen in practice — go to the
 * first listed).
 */
export interface WeightRampSpec {
  /** Index of the ramped entry. */
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly startMs: number;
  readonly endMs: number;
}

export interface WeightLayout {
  readonly versionIds: readonly string[];
  /** Weights as published (not normalised). */
  readonly weights: Float64Array;
  /** 1 / weight (0 for weight 0): the static hot path multiplies. */
  readonly inverseWeights: Float64Array;
  /** Per entry: FNV-1a of its versionId, XOR-ed into the session hash for that version's draw. */
  readonly seeds: Uint32Array;
  /** While set, the ramped entry's weight moves linearly with time and the others share the rest in proportion. */
  readonly ramp?: WeightRampSpec;
  /** Sum of the weights of the entries other than the ramped one. */
  readonly othersTotal: number;
}

export interface RampInput {
  versionId: string;
  fromWeight: number;
  toWeight: number;
  startAt: string;
  endAt: string;
}

const TWO_POW_32 = 4_294_967_296;

/** Builds a layout; a ramped version missing from `entries` is added with weight 0. */
export function buildLayout(entries: ReadonlyArray<readonly [string, number]>, ramp?: RampInput): WeightLayout {
  const versionIds = entries.map(([id]) => id);
  const published = entries.map(([, weight]) => (Number.isFinite(weight) && weight > 0 ? weight : 0));
  let rampSpec: WeightRampSpec | undefined;
  if (ramp) {
    let index = versionIds.indexOf(ramp.versionId);
    if (index === -1) {
      index = versionIds.push(ramp.versionId) - 1;
      published.push(0);
    }
    const startMs = Date.parse(ramp.startAt);
    const endMs = Date.parse(ramp.endAt);
    if (Number.isFinite(startMs) && Number.isFinite(endMs) && endMs > startMs) {
      rampSpec = { index, from: ramp.fromWeight, to: ramp.toWeight, startMs, endMs };
    }
  }
  const weights = Float64Array.from(published);
  const total = published.reduce((sum, w) => sum + w, 0);
  return {
    versionIds,
    weights,
    inverseWeights: weights.map((w) => (w > 0 ? 1 / w : 0)),
    seeds: Uint32Array.from(versionIds, versionSeed),
    ramp: rampSpec,
    othersTotal: rampSpec ? total - published[rampSpec.index] : total,
  };
}

/** The ramped entry's weight at `atMs`: linear between startAt and endAt, constant outside. */
export function rampWeightAt(ramp: WeightRampSpec, atMs: number): number {
  if (atMs <= ramp.startMs) return ramp.from;
  if (atMs >= ramp.endMs) return ramp.to;
  return ramp.from + ((ramp.to - ramp.from) * (atMs - ramp.startMs)) / (ramp.endMs - ramp.startMs);
}

/** Effective weight of entry i at `atMs` (ramp applied; the others scaled to share 1 − ramped weight). */
export function weightAt(layout: WeightLayout, i: number, atMs: number): number {
  const ramp = layout.ramp;
  if (!ramp) return layout.weights[i];
  const ramped = rampWeightAt(ramp, atMs);
  if (i === ramp.index) return ramped;
  return layout.othersTotal > 0 ? (layout.weights[i] * (1 - ramped)) / layout.othersTotal : 0;
}

/** −ln(u) of the session's draw for entry i, u ∈ (0, 1) (never 0, so never infinite). */
function drawCost(hash: number, seed: number): number {
  return -Math.log((fmix32((hash ^ seed) >>> 0) + 0.5) / TWO_POW_32);
}

/**
 * Index of the entry the session lands on at `atMs`, or −1 when no entry has weight.
 * `open` (same length) restricts the choice to entries marked 1: the others are skipped.
 */
export function pickIndex(layout: WeightLayout, hash: number, atMs: number, open?: Uint8Array): number {
  const n = layout.weights.length;
  let best = -1;
  let bestScore = Infinity;
  if (!layout.ramp) {
    const inverse = layout.inverseWeights;
    for (let i = 0; i < n; i++) {
      if (inverse[i] === 0 || (open !== undefined && open[i] !== 1)) continue;
      const score = drawCost(hash, layout.seeds[i]) * inverse[i];
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }
  for (let i = 0; i < n; i++) {
    if (open !== undefined && open[i] !== 1) continue;
    const weight = weightAt(layout, i, atMs);
    if (!(weight > 0)) continue;
    const score = drawCost(hash, layout.seeds[i]) / weight;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** Index of the entry with the largest effective weight among the open ones (first on ties), or −1. */
export function heaviestIndex(layout: WeightLayout, atMs: number, open?: Uint8Array): number {
  let best = -1;
  let bestWeight = 0;
  for (let i = 0; i < layout.weights.length; i++) {
    if (open && open[i] !== 1) continue;
    const weight = weightAt(layout, i, atMs);
    if (weight > bestWeight) {
      best = i;
      bestWeight = weight;
    }
  }
  return best;
}
