/**
 * Bucket bounds of the `log2-7` latency distribution carried by metrics.snapshot: the bucket of a value is read
 * from its IEEE-754 bits (exponent + top 7 mantissa bits), relative to the underflow bucket 0 (values < 2^-10).
 * Consumers use it to count requests beyond a limit; the metrics-aggregator's histogram produces it.
 */
const SUB_BUCKET_BITS = 7;
const SHIFT = 20 - SUB_BUCKET_BITS;
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

function rawIndex(value: number): number {
  bits[0] = value;
  return words[HIGH_WORD] >>> SHIFT;
}

const BASE = rawIndex(2 ** -10) - 1;

/** Smallest value of bucket `index` (bucket 0, the underflow bucket, starts at 0). */
export function latencyBucketLowerBound(index: number): number {
  if (index <= 0) return 0;
  words[HIGH_WORD] = (index + BASE) * 2 ** SHIFT;
  words[1 - HIGH_WORD] = 0;
  return bits[0]!;
}

/** [lowerBound, upperBound, count] of each non-empty bucket of a sparse `[indexDelta, count, …]` list. */
export function latencyBuckets(sparse: readonly number[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let index = 0;
  for (let i = 0; i + 1 < sparse.length; i += 2) {
    index += sparse[i]!;
    out.push([latencyBucketLowerBound(index), latencyBucketLowerBound(index + 1), sparse[i + 1]!]);
  }
  return out;
}
