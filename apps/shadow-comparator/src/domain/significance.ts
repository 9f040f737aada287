import { jStat } from './jstat';

/**
 * One-sided two-proportion z-test of H1: p_candidate > p_noise, with the pooled standard error. Returns the p-value
 * (1 when there is nothing to test: no candidate sample, or no difference anywhere). Without a noise sample the floor
 * is taken as 0: any difference then counts against the candidate (p-value 0), which is the conservative reading.
 */
export function excessPValue(candidateCount: number, candidateN: number, noiseCount: number, noiseN: number): number {
  if (candidateN === 0 || candidateCount === 0) return 1;
  if (noiseN === 0) return 0;
  const p1 = candidateCount / candidateN;
  const p0 = noiseCount / noiseN;
  const pooled = (candidateCount + noiseCount) / (candidateN + noiseN);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / candidateN + 1 / noiseN));
  if (se === 0) return p1 > p0 ? 0 : 1;
  const z = (p1 - p0) / se;
  return Math.min(1, Math.max(0, 1 - jStat.normal.cdf(z, 0, 1)));
}
