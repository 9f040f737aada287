import { AggregationError } from './errors';
import { ExactSum, type ExactSumJSON } from './exact-sum';

/**
 * Log-linear histogram over non-negative doubles (HdrHistogram-like, base 2):
 * each power-of-two octave [2^e, 2^(e+1)) is split into 128 equal sub-buckets.
 * The bucket index is read straight from the IEEE-754 bits (exponent + top 7
 * mantissa bits), so recording is branch-light and needs no log().
 *
 * Precision: a bucket [l, u) has u − l ≤ l/128; quantiles return the bucket
 * midpoint clamped to [min, max], so the RELATIVE ERROR IS ≤ 1/256 ≈ 0.39 %
 * of the true (nearest-rank) value, for values in [2^-10, 2^44) (≈ 1 µs … 557
 * years when recording milliseconds). Smaller values share one underflow bucket
 * (absolute error < 2^-10), larger ones one overflow bucket (reported as max).
 *
 * Buckets are a pure function of the value, so merge() is exact: merging is
 * bucket-for-bucket identical to recording every value into one histogram;
 * count/min/max are exact and sum is an ExactSum (order-independent).
 */
export const SUB_BUCKET_BITS = 7;
export const LATENCY_RELATIVE_ERROR = 1 / 2 ** (SUB_BUCKET_BITS + 1);
const SCHEME = `log2-${SUB_BUCKET_BITS}` as const;

const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
const SHIFT = 20 - SUB_BUCKET_BITS; // the high 32-bit word holds sign(1) exponent(11) mantissa(20)
const LOWEST_TRACKED = 2 ** -10;
const HIGHEST_TRACKED = 2 ** 44;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian → words[1]

function rawIndex(value: number): number {
  bits[0] = value;
  return words[HIGH_WORD] >>> SHIFT;
}

/** Absolute index of the underflow bucket; stored indices are relative to it. */
const BASE = rawIndex(LOWEST_TRACKED) - 1;
const OVERFLOW = rawIndex(HIGHEST_TRACKED) - BASE;

function lowerBound(bucket: number): number {
  words[HIGH_WORD] = (bucket + BASE) * 2 ** SHIFT;
  words[1 - HIGH_WORD] = 0;
  return bits[0];
}

export interface LatencyHistogramJSON {
  scheme: typeof SCHEME;
  count: number;
  sum: ExactSumJSON;
  min: number | null;
  max: number | null;
  /** Sparse buckets: [index, count, indexDelta, count, …] with increasing indices. */
  buckets: number[];
}

export class LatencyHistogram {
  private counts = new Float64Array(0);
  /** Bucket index of counts[0]. */
  private offset = 0;
  private total = 0;
  private readonly sumOfValues = new ExactSum();
  private minimum = Infinity;
  private maximum = -Infinity;

  static fromJSON(json: LatencyHistogramJSON): LatencyHistogram {
    if (json.scheme !== SCHEME) throw new AggregationError('INCOMPATIBLE_STATE', `Histogram scheme ${json.scheme}, expected ${SCHEME}`);
    const histogram = new LatencyHistogram();
    let bucket = 0;
    for (let i = 0; i < json.buckets.length; i += 2) {
      bucket += json.buckets[i];
      histogram.add(bucket, json.buckets[i + 1]);
    }
    histogram.total = json.count;
    histogram.sumOfValues.merge(ExactSum.fromJSON(json.sum));
    histogram.minimum = json.min ?? Infinity;
    histogram.maximum = json.max ?? -Infinity;
    return histogram;
  }

  get count(): number {
    return this.total;
  }
  get sum(): number {
    return this.sumOfValues.value();
  }
  get min(): number | null {
    return this.total === 0 ? null : this.minimum;
  }
  get max(): number | null {
    return this.total === 0 ? null : this.maximum;
  }
  get mean(): number | null {
    return this.total === 0 ? null : this.sumOfValues.value() / this.total;
  }

  record(value: number): void {
    if (!(value >= 0 && value < Infinity)) throw new AggregationError('INVALID_VALUE', `Cannot record latency ${value}`);
    let bucket = rawIndex(value) - BASE;
    if (bucket < 0) bucket = 0;
    else if (bucket > OVERFLOW) bucket = OVERFLOW;
    const slot = bucket - this.offset;
    if (slot >= 0 && slot < this.counts.length) this.counts[slot]++;
    else this.add(bucket, 1);
    this.total++;
    this.sumOfValues.add(value);
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
  }

  merge(other: LatencyHistogram): void {
    const counts = other.counts;
    for (let slot = 0; slot < counts.length; slot++) if (counts[slot] !== 0) this.add(other.offset + slot, counts[slot]);
    this.total += other.total;
    this.sumOfValues.merge(other.sumOfValues);
    if (other.minimum < this.minimum) this.minimum = other.minimum;
    if (other.maximum > this.maximum) this.maximum = other.maximum;
  }

  /** Nearest-rank quantile (the ⌈q·count⌉-th smallest value) within LATENCY_RELATIVE_ERROR; null when empty. */
  quantile(q: number): number | null {
    return this.quantiles([q])[0];
  }

  /** Several quantiles in one pass over the buckets. */
  quantiles(qs: readonly number[]): (number | null)[] {
    if (this.total === 0) return qs.map(() => null);
    const order = qs.map((q, i) => ({ i, rank: Math.max(1, Math.ceil(clampUnit(q) * this.total)) })).sort((a, b) => a.rank - b.rank);
    const out: (number | null)[] = new Array<number | null>(qs.length).fill(null);
    let next = 0;
    let seen = 0;
    for (let slot = 0; slot < this.counts.length && next < order.length; slot++) {
      seen += this.counts[slot];
      while (next < order.length && seen >= order[next].rank) out[order[next++].i] = this.representative(this.offset + slot);
    }
    return out;
  }

  toJSON(): LatencyHistogramJSON {
    const buckets: number[] = [];
    let previous = 0;
    for (let slot = 0; slot < this.counts.length; slot++) {
      if (this.counts[slot] === 0) continue;
      buckets.push(this.offset + slot - previous, this.counts[slot]);
      previous = this.offset + slot;
    }
    return { scheme: SCHEME, count: this.total, sum: this.sumOfValues.toJSON(), min: this.min, max: this.max, buckets };
  }

  clone(): LatencyHistogram {
    const copy = new LatencyHistogram();
    copy.merge(this);
    return copy;
  }

  private representative(bucket: number): number {
    if (bucket === 0) return this.minimum;
    if (bucket === OVERFLOW) return this.maximum;
    const estimate = (lowerBound(bucket) + lowerBound(bucket + 1)) / 2;
    return Math.min(this.maximum, Math.max(this.minimum, estimate));
  }

  private add(bucket: number, count: number): void {
    this.ensureCovers(bucket);
    this.counts[bucket - this.offset] += count;
  }

  /** Grows the dense window to whole octaves, one spare octave on the growing side. */
  private ensureCovers(bucket: number): void {
    const end = this.offset + this.counts.length;
    if (this.counts.length > 0 && bucket >= this.offset && bucket < end) return;
    const octaveStart = bucket - (bucket % SUB_BUCKETS);
    const start = this.counts.length === 0 ? octaveStart : Math.min(this.offset, Math.max(0, octaveStart - SUB_BUCKETS));
    const stop = this.counts.length === 0 ? octaveStart + SUB_BUCKETS : Math.max(end, Math.min(OVERFLOW + 1, octaveStart + 2 * SUB_BUCKETS));
    const grown = new Float64Array(stop - start);
    if (this.counts.length > 0) grown.set(this.counts, this.offset - start);
    this.counts = grown;
    this.offset = start;
  }
}

function clampUnit(q: number): number {
  if (!(q >= 0)) return 0;
  return q > 1 ? 1 : q;
}
