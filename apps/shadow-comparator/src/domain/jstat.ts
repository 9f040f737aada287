/** The part of jStat (npm `jstat`, which ships no types) the comparator uses. */
interface JStat {
  normal: { cdf(x: number, mean: number, std: number): number };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jStat: JStat = (require('jstat') as { jStat: JStat }).jStat;
