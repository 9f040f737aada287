/**
 * What one version does in one window, drawn from its behaviour: the window's sufficient statistics (requests,
 * errors, Σcost, Σcost², latency counts on a fixed support, violations by policy), never millions of single
 * requests. `summaryOfRequests` builds the same summary from explicit requests, so the self-test can check the
 * snapshot built from a summary against the real aggregator fed those requests.
 */
import { Prng } from '../../libs/agent-sim/src/prng';

export interface VersionBehaviour {
  /** Share of requests whose `error` is not null. */
  errorRate: number;
  /** Cost per request in USD: lognormal with this median and log-sd. */
  cost: { median: number; sigma: number };
  /** Latency in ms: `shiftMs` + lognormal(median, sigma). */
  latency: { median: number; sigma: number; shiftMs: number };
  /** Violations per request, by policy name (at most one per request and policy). */
  policies: Record<string, number>;
  /** Requests of one session within a window (sessions are cut at window ends, as the aggregator sees them). */
  sessionLength: number;
  /** Errors clustered in sessions: this share of sessions fails at `errorRate` (the others less, keeping the mean). */
  degradedSessions?: { share: number; errorRate: number };
}

export interface WindowSummary {
  requests: number;
  errors: number;
  costSum: number;
  costSquares: number;
  /** Count per latency support point (index into LatencySupport.valuesMs). */
  latencyCounts: Float64Array;
  violations: Record<string, number>;
  sessions: number;
  /** Σ over sessions of errors², errors × requests, requests² (what the aggregator's session tallies give). */
  sessionErrorsSquared: number;
  sessionErrorsTimesRequests: number;
  sessionRequestsSquared: number;
}

/** Fixed latency values standing for quantile bins: coarse in the body, fine in the tail (the p99 gates live there). */
export interface LatencySupport {
  valuesMs: Float64Array;
  /** Probability of each value. */
  probabilities: Float64Array;
}

const QUANTILE_EDGES: number[] = (() => {
  const edges: number[] = [];
  for (let q = 0; q < 0.9 - 1e-12; q += 0.05) edges.push(q);
  for (let q = 0.9; q < 0.99 - 1e-12; q += 0.0025) edges.push(q);
  for (let q = 0.99; q < 0.999 - 1e-12; q += 0.00025) edges.push(q);
  edges.push(0.999, 0.99925, 0.9995, 0.99975, 0.9999, 1);
  return edges;
})();

export function latencySupport(latency: VersionBehaviour['latency']): LatencySupport {
  const bins = QUANTILE_EDGES.length - 1;
  const valuesMs = new Float64Array(bins);
  const probabilities = new Float64Array(bins);
  for (let i = 0; i < bins; i++) {
    const lo = QUANTILE_EDGES[i]!;
    const hi = QUANTILE_EDGES[i + 1]!;
    probabilities[i] = hi - lo;
    valuesMs[i] = latency.shiftMs + latency.median * Math.exp(latency.sigma * inverseNormal((lo + hi) / 2));
  }
  return { valuesMs, probabilities };
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Binomial(n, p): inversion while n·p is small, else the normal approximation (rounded, clamped). */
export function binomial(rng: Prng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  const mean = n * p;
  if (mean < 25) {
    // inversion by sequential search (expected O(n·p) steps)
    const q = 1 - p;
    let pmf = Math.exp(n * Math.log1p(-p));
    let cdf = pmf;
    const u = rng.next();
    let k = 0;
    while (u > cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * (p / q);
      k++;
      cdf += pmf;
      if (pmf < 1e-300 && k > mean) break;
    }
    return k;
  }
  const draw = Math.round(mean + Math.sqrt(mean * (1 - p)) * rng.normal());
  return Math.min(n, Math.max(0, draw));
}

/** Lognormal moments E[X^k] = exp(kμ + k²σ²/2). */
const lognormalMoment = (median: number, sigma: number, k: number) => Math.exp(k * Math.log(median) + (k * k * sigma * sigma) / 2);

/** Exact draws below this many requests; above, (Σx, Σx²) from their joint normal limit. */
const EXACT_COST_BELOW = 64;

export class WindowSampler {
  private readonly support: LatencySupport;
  private readonly costMoments: [number, number, number, number];

  constructor(readonly behaviour: VersionBehaviour) {
    this.support = latencySupport(behaviour.latency);
    const { median, sigma } = behaviour.cost;
    this.costMoments = [1, 2, 3, 4].map((k) => lognormalMoment(median, sigma, k)) as [number, number, number, number];
  }

  get latencyValuesMs(): Float64Array {
    return this.support.valuesMs;
  }

  sample(rng: Prng, requests: number): WindowSummary {
    const b = this.behaviour;
    const sessions = this.sampleSessions(rng, requests);
    const [costSum, costSquares] = this.sampleCost(rng, requests);
    const latencyCounts = new Float64Array(this.support.valuesMs.length);
    let left = requests;
    let mass = 1;
    for (let i = 0; i < latencyCounts.length && left > 0; i++) {
      const p = this.support.probabilities[i]!;
      const k = i === latencyCounts.length - 1 ? left : binomial(rng, left, Math.min(1, p / mass));
      latencyCounts[i] = k;
      left -= k;
      mass -= p;
    }
    const violations: Record<string, number> = {};
    for (const [policy, rate] of Object.entries(b.policies)) violations[policy] = binomial(rng, requests, rate);
    return { requests, costSum, costSquares, latencyCounts, violations, ...sessions };
  }

  /** Sessions of `sessionLength` requests (the last one shorter) and their errors. */
  private sampleSessions(rng: Prng, requests: number) {
    const { sessionLength, errorRate, degradedSessions } = this.behaviour;
    const degraded = degradedSessions ?? { share: 0, errorRate };
    const healthyRate = (errorRate - degraded.share * degraded.errorRate) / (1 - degraded.share);
    let errors = 0;
    let sessions = 0;
    let sessionErrorsSquared = 0;
    let sessionErrorsTimesRequests = 0;
    let sessionRequestsSquared = 0;
    for (let left = requests; left > 0; left -= sessionLength) {
      const n = Math.min(sessionLength, left);
      const rate = degraded.share > 0 && rng.chance(degraded.share) ? degraded.errorRate : healthyRate;
      const e = binomial(rng, n, rate);
      sessions++;
      errors += e;
      sessionErrorsSquared += e * e;
      sessionErrorsTimesRequests += e * n;
      sessionRequestsSquared += n * n;
    }
    return { errors, sessions, sessionErrorsSquared, sessionErrorsTimesRequests, sessionRequestsSquared };
  }

  private sampleCost(rng: Prng, n: number): [number, number] {
    if (n === 0) return [0, 0];
    const { median, sigma } = this.behaviour.cost;
    if (n < EXACT_COST_BELOW) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const x = median * Math.exp(sigma * rng.normal());
        sum += x;
        squares += x * x;
      }
      return [sum, squares];
    }
    const [m1, m2, m3, m4] = this.costMoments;
    const varSum = n * (m2 - m1 * m1);
    const varSquares = n * (m4 - m2 * m2);
    const cov = n * (m3 - m1 * m2);
    // Cholesky of [[varSum, cov], [cov, varSquares]]
    const l11 = Math.sqrt(varSum);
    const l21 = cov / l11;
    const l22 = Math.sqrt(Math.max(0, varSquares - l21 * l21));
    const z1 = rng.normal();
    const z2 = rng.normal();
    const sum = Math.max(0, n * m1 + l11 * z1);
    // Σx² ≥ (Σx)²/n always (Cauchy–Schwarz): keep the draw consistent.
    const squares = Math.max((sum * sum) / n, n * m2 + l21 * z1 + l22 * z2);
    return [sum, squares];
  }
}
