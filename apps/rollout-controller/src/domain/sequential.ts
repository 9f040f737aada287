/**
 * Always-valid (time-uniform) statistics for the rollout gates: evidence accumulates over a stage and may be looked
 * at after every window, as often as one likes, without raising the false-failure probability above its alpha
 * (Ville's inequality). Two tools:
 * - proportions (error rate, requests beyond a latency limit, policy violations): the beta-binomial mixture
 *   confidence sequence (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, §3). Exact at any count: no
 *   normal approximation, so 3 errors in 30 requests are judged as exactly as 30,000 in 300,000;
 * - means (cost per request): the normal-mixture sequential probability ratio test (mSPRT; Robbins 1970,
 *   Johari, Pekelis & Walsh 2017), valid asymptotically, on Welch's variance of the margin-adjusted difference.
 * Distributions come from jStat; everything here is pure and deterministic.
 */
import { jStat } from './jstat';

/** Beta(a, b) mixing distribution of the beta-binomial mixture. */
export interface BetaPrior {
  a: number;
  b: number;
}

/**
 * The mixture's prior: centred on the rate the gate cares about (its limit), worth `strength` observations.
 * A prior worth a few dozen requests keeps the sequence tight from the first windows (fast detection) and costs
 * only ½·ln(n/strength) of evidence at large n.
 */
export function priorAround(rate: number, strength = DEFAULT_PRIOR_STRENGTH): BetaPrior {
  const mean = Math.min(Math.max(rate, 1e-6), 1 - 1e-6);
  return { a: mean * strength, b: (1 - mean) * strength };
}

export const DEFAULT_PRIOR_STRENGTH = 20;

/**
 * ln M_n(p): the log of the mixture martingale for the true rate p after `successes` in `trials`.
 * Under the true p, M_n is a non-negative martingale with M_0 = 1, so P(∃n: M_n(p) ≥ 1/α) ≤ α.
 */
export function logMixture(successes: number, trials: number, p: number, prior: BetaPrior): number {
  const failures = trials - successes;
  const logLikelihood = (successes > 0 ? successes * Math.log(p) : 0) + (failures > 0 ? failures * Math.log1p(-p) : 0);
  return jStat.betaln(prior.a + successes, prior.b + failures) - jStat.betaln(prior.a, prior.b) - logLikelihood;
}

export interface ProportionBounds {
  lower: number;
  upper: number;
}

/**
 * The time-uniform confidence sequence {p : M_n(p) < 1/α}: an interval around k/n (ln M_n is convex in p with
 * its minimum ≤ 0 at k/n). Each end alone is a valid one-sided bound at level α.
 */
export function proportionBounds(successes: number, trials: number, alpha: number, prior: BetaPrior): ProportionBounds {
  if (trials <= 0) return { lower: 0, upper: 1 };
  const threshold = Math.log(1 / alpha);
  const estimate = successes / trials;
  const above = (p: number) => logMixture(successes, trials, p, prior) >= threshold;
  const lower = successes === 0 || !above(1e-12) ? 0 : bisect(1e-12, estimate, above, true);
  const upper = successes === trials || !above(1 - 1e-12) ? 1 : bisect(estimate, 1 - 1e-12, above, false);
  return { lower, upper };
}

/** The boundary of `outside` between lo and hi (outside at lo when `outsideLow`, else at hi), to 1e-9 absolute. */
function bisect(lo: number, hi: number, outside: (p: number) => boolean, outsideLow: boolean): number {
  for (let i = 0; i < 60 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (outside(mid) === outsideLow) lo = mid;
    else hi = mid;
  }
  return outsideLow ? hi : lo;
}

/**
 * Always-valid test of H0 "rate ≤ limit" after `successes` in `trials`: e = M_n(limit) when the estimate exceeds
 * the limit (the infimum of M_n over the null), else ≤ 1. Fails at α when e ≥ 1/α (equivalently: the sequence's
 * lower end is above the limit).
 */
export function logEvidenceAbove(successes: number, trials: number, limit: number, prior: BetaPrior): number {
  if (trials <= 0 || successes / trials <= limit) return 0;
  if (limit <= 0) return MAX_LOG_EVIDENCE;
  return Math.min(MAX_LOG_EVIDENCE, Math.max(0, logMixture(successes, trials, Math.min(limit, 1 - 1e-12), prior)));
}

/** Evidence is capped at a finite e^1e9 ("certain"), so that verdicts survive JSON (Infinity would become null). */
export const MAX_LOG_EVIDENCE = 1e9;

export interface MeanSample {
  n: number;
  sum: number;
  sumOfSquares: number;
}

export const meanOf = (s: MeanSample): number => s.sum / s.n;
export const varianceOf = (s: MeanSample): number => (s.n < 2 ? 0 : Math.max(0, (s.sumOfSquares - (s.sum * s.sum) / s.n) / (s.n - 1)));

/**
 * mSPRT for H0 "mean(candidate) ≤ factor × mean(baseline)": the difference D = x̄_c − factor·x̄_b with Welch's
 * variance V, mixed over effects θ ~ N(0, τ²): ln Λ = ½ln(V/(V+τ²)) + τ²D²/(2V(V+τ²)). Only an excess (D > 0)
 * counts as evidence. `tau` is the effect size worth detecting (in the mean's units).
 */
export function logMixtureEvidenceOfExcess(candidate: MeanSample, baseline: MeanSample, factor: number, tau: number): { logE: number; difference: number; standardError: number } {
  const variance = varianceOf(candidate) / candidate.n + (factor * factor * varianceOf(baseline)) / baseline.n;
  const difference = meanOf(candidate) - factor * meanOf(baseline);
  const standardError = Math.sqrt(variance);
  if (difference <= 0 || !(tau > 0)) return { logE: 0, difference, standardError };
  // No spread at all (a fixed price, or a snapshot without standard deviations): the excess is certain.
  if (!(variance > 0)) return { logE: MAX_LOG_EVIDENCE, difference, standardError };
  const t2 = tau * tau;
  const logE = 0.5 * Math.log(variance / (variance + t2)) + (t2 * difference * difference) / (2 * variance * (variance + t2));
  return { logE: Math.min(MAX_LOG_EVIDENCE, Math.max(0, logE)), difference, standardError };
}

/** Always-valid p-value of an e-process: 1 / the largest evidence seen so far (capped at 1). */
export const alwaysValidPValue = (maxLogEvidence: number): number => Math.min(1, Math.exp(-maxLogEvidence));
