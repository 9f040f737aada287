import { AggregationError } from './errors';

/** Serialised ExactSum: the canonical non-overlapping expansion, largest magnitude first. */
export type ExactSumJSON = number[];

/**
 * A floating-point sum whose value is the correctly rounded EXACT sum of every
 * added number (Shewchuk's partials, as Python's math.fsum). Hence the value
 * does not depend on the order of additions nor on how sums were split and
 * merged: merge(a, b) gives bit-for-bit the value of adding everything to one.
 * Typical cost: 1–2 partials, a few ns per add.
 */
export class ExactSum {
  /** parts[0..n): non-overlapping partial sums, increasing magnitude (an array of ≤ 40 for any doubles). */
  private parts = new Float64Array(4);
  private n = 0;

  static fromJSON(json: ExactSumJSON): ExactSum {
    const sum = new ExactSum();
    for (const part of json) sum.add(part);
    return sum;
  }

  add(value: number): void {
    if (!(value - value === 0)) throw new AggregationError('INVALID_VALUE', `Cannot add ${value} to a sum`); // NaN, ±Infinity
    const parts = this.parts;
    const n = this.n;
    if (n === 1) {
      // fast path: a single partial and an exact addition (integers, short binary fractions)
      const head = parts[0];
      const hi = head + value;
      const lo = Math.abs(value) < Math.abs(head) ? value - (hi - head) : head - (hi - value);
      if (lo === 0) {
        parts[0] = hi;
        return;
      }
      parts[0] = lo;
      this.push(1, hi);
      return;
    }
    let x = value;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      let y = parts[i];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) parts[kept++] = lo;
      x = hi;
    }
    this.push(kept, x);
  }

  merge(other: ExactSum): void {
    for (let i = 0; i < other.n; i++) this.add(other.parts[i]);
  }

  /** The exact sum, correctly rounded to the nearest double (ties to even). */
  value(): number {
    return roundPartials(this.parts, this.n);
  }

  /** Canonical form: equal exact sums serialise identically, whatever the history. */
  toJSON(): ExactSumJSON {
    const out: number[] = [];
    const rest = this.clone();
    for (let head = rest.value(); head !== 0; head = rest.value()) {
      out.push(head);
      rest.add(-head);
    }
    return out;
  }

  clone(): ExactSum {
    const copy = new ExactSum();
    copy.parts = this.parts.slice();
    copy.n = this.n;
    return copy;
  }

  /** Keeps parts[0..index) and sets parts[index] = last (x === 0 only when the sum is exactly 0). */
  private push(index: number, last: number): void {
    if (last === 0 && index === 0) {
      this.n = 0;
      return;
    }
    if (index >= this.parts.length) {
      const grown = new Float64Array(this.parts.length * 2);
      grown.set(this.parts);
      this.parts = grown;
    }
    this.parts[index] = last;
    this.n = index + 1;
  }
}

/** CPython's math.fsum final step: round non-overlapping partials to the nearest double, half-even. */
function roundPartials(partials: Float64Array, count: number): number {
  let n = count;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi === 0 ? 0 : hi; // no -0 in figures
}
