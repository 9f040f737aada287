import fc from 'fast-check';
import { AggregationError } from './errors';
import { LATENCY_RELATIVE_ERROR, LatencyHistogram } from './latency-histogram';

const histogramOf = (values: readonly number[]) => {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
};

/** The ⌈q·n⌉-th smallest value (nearest rank), the quantile the histogram estimates. */
const nearestRank = (sorted: readonly number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];

describe('LatencyHistogram', () => {
  it('states ≤ 0.4 % relative error', () => {
    expect(LATENCY_RELATIVE_ERROR).toBeCloseTo(1 / 256, 10);
  });

  it('gives count, exact sum/min/max/mean and quantiles within the stated precision', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => i + 1); // 1 … 10 000 ms
    const h = histogramOf(values);
    expect(h.count).toBe(10_000);
    expect(h.sum).toBe(50_005_000);
    expect(h.min).toBe(1);
    expect(h.max).toBe(10_000);
    expect(h.mean).toBe(5_000.5);
    for (const [q, exact] of [[0.5, 5_000], [0.95, 9_500], [0.99, 9_900], [0, 1], [1, 10_000]] as const) {
      const estimate = h.quantile(q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR);
    }
  });

  it('is empty-safe', () => {
    const h = new LatencyHistogram();
    expect([h.count, h.min, h.max, h.mean, h.quantile(0.5)]).toEqual([0, null, null, null, null]);
    expect(LatencyHistogram.fromJSON(h.toJSON()).toJSON()).toEqual(h.toJSON());
  });

  it('handles 0, sub-microsecond and huge values (underflow/overflow buckets report min/max)', () => {
    const h = histogramOf([0, 0.0001, 1e15]);
    expect(h.quantile(0)).toBe(0);
    expect(h.quantile(1)).toBe(1e15);
    expect(h.count).toBe(3);
  });

  it('merges exactly: bucket-for-bucket equal to recording everything into one', () => {
    const a = [12.5, 80, 1234.5, 99_000];
    const b = [0.25, 3, 1234.5, 7_777_777];
    const merged = histogramOf(a);
    merged.merge(histogramOf(b));
    expect(merged.toJSON()).toEqual(histogramOf([...a, ...b]).toJSON());
  });

  it('serialises compactly (sparse buckets) and round-trips', () => {
    const h = histogramOf([100, 100, 100, 5_000]);
    const json = h.toJSON();
    expect(json.buckets).toHaveLength(4); // two non-empty buckets: [index, count, delta, count]
    const restored = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(restored.toJSON()).toEqual(json);
    expect(restored.quantile(0.5)).toBe(h.quantile(0.5));
  });

  it('refuses invalid values and foreign state with typed errors', () => {
    const h = new LatencyHistogram();
    for (const bad of [-1, NaN, Infinity]) expect(() => h.record(bad)).toThrow(AggregationError);
    expect(() => LatencyHistogram.fromJSON({ ...h.toJSON(), scheme: 'log2-5' as never })).toThrow(
      expect.objectContaining({ reason: 'INCOMPATIBLE_STATE' }),
    );
  });

  it('property: quantiles within relative precision; merge of any split equals the whole', () => {
    const latency = fc.oneof(fc.double({ min: 0.001, max: 1e7, noNaN: true }), fc.integer({ min: 0, max: 60_000 }));
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 300 }), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (values, cut, q) => {
        const k = cut % values.length;
        const merged = histogramOf(values.slice(0, k));
        merged.merge(histogramOf(values.slice(k)));
        const whole = histogramOf(values);
        expect(merged.toJSON()).toEqual(whole.toJSON());
        const exact = nearestRank([...values].sort((x, y) => x - y), q);
        const estimate = whole.quantile(q)!;
        if (exact >= 2 ** -10) expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(exact * LATENCY_RELATIVE_ERROR);
        else expect(Math.abs(estimate - exact)).toBeLessThan(2 ** -10);
      }),
      { numRuns: 300 },
    );
  });
});

describe('wire format shared with gate consumers (@iris/contracts latency-buckets)', () => {
  it('bucket bounds decoded by consumers contain every recorded value', () => {
    const { latencyBuckets } = jest.requireActual('@iris/contracts') as typeof import('@iris/contracts');
    const values = [0.0001, 0.5, 1, 3.7, 99.9, 400, 1_199.5, 2_000, 2_001, 65_000];
    for (const value of values) {
      const histogram = new LatencyHistogram();
      histogram.record(value);
      const [[lower, upper, count]] = latencyBuckets(histogram.toJSON().buckets);
      expect(count).toBe(1);
      expect(lower).toBeLessThanOrEqual(value);
      expect(upper).toBeGreaterThan(value);
    }
  });
});
