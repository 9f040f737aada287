/** Small, dependency-free statistics for gate decisions. */

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; absolute error < 1.5e-7). */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface ProportionTest {
  z: number;
  /** One-sided p-value for "the first proportion is larger". */
  pValue: number;
}

/**
 * Pooled two-proportion z-test, one-sided (H1: p1 > p2).
 * Returns null when the normal approximation is not valid: too few trials, or no variance at all.
 */
export function twoProportionZTest(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
  minTrials = 30,
): ProportionTest | null {
  if (trials1 < minTrials || trials2 < minTrials) return null;
  const p1 = successes1 / trials1;
  const p2 = successes2 / trials2;
  const pooled = (successes1 + successes2) / (trials1 + trials2);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / trials1 + 1 / trials2));
  if (standardError === 0) return null;
  const z = (p1 - p2) / standardError;
  return { z, pValue: 1 - normalCdf(z) };
}

/** One-sample z-test, one-sided (H1: p > p0). Null when too few trials or p0 is degenerate. */
export function oneProportionZTest(successes: number, trials: number, p0: number, minTrials = 30): ProportionTest | null {
  if (trials < minTrials || p0 <= 0 || p0 >= 1) return null;
  const z = (successes / trials - p0) / Math.sqrt((p0 * (1 - p0)) / trials);
  return { z, pValue: 1 - normalCdf(z) };
}

/**
 * Exact one-sided binomial test (H1: p > p0): P(X ≥ successes) for X ~ Binomial(trials, p0).
 * Summed term by term (ratio recurrence) below the count, normal approximation beyond 5,000 successes.
 */
export function binomialUpperTail(successes: number, trials: number, p0: number): number {
  if (successes <= 0) return 1;
  if (successes > trials) return 0;
  if (successes > 5_000) return 1 - normalCdf((successes - 0.5 - trials * p0) / Math.sqrt(trials * p0 * (1 - p0)));
  let term = Math.exp(trials * Math.log1p(-p0));
  let below = 0;
  for (let i = 0; i < successes; i++) {
    below += term;
    term *= ((trials - i) / (i + 1)) * (p0 / (1 - p0));
  }
  return Math.max(0, 1 - below);
}
