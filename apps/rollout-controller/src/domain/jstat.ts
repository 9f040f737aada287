/** The part of jStat (npm `jstat`, which ships no types) the gates use. */
interface JStat {
  betaln(a: number, b: number): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jStat: JStat = (require('jstat') as { jStat: JStat }).jStat;
