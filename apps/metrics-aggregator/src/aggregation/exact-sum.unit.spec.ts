import fc from 'fast-check';
import { AggregationError } from './errors';
import { ExactSum } from './exact-sum';

const sumOf = (values: readonly number[]) => {
  const sum = new ExactSum();
  for (const v of values) sum.add(v);
  return sum;
};

describe('ExactSum', () => {
  it('is the correctly rounded exact sum, not the naive float sum', () => {
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(sumOf([0.1, 0.2, 0.3]).value()).toBe(0.6);
    expect(sumOf([1e100, 1, -1e100]).value()).toBe(1);
    expect(sumOf([]).value()).toBe(0);
    expect(sumOf([-0]).value()).toBe(0);
  });

  it('does not depend on order nor on how sums were split and merged', () => {
    const values = [0.00421, 1234.5, 0.1, 3e-9, 77.7, -0.2, 1e16, -1e16, 0.3];
    const whole = sumOf(values).value();
    expect(sumOf([...values].reverse()).value()).toBe(whole);
    const left = sumOf(values.slice(0, 4));
    left.merge(sumOf(values.slice(4)));
    expect(left.value()).toBe(whole);
    expect(left.toJSON()).toEqual(sumOf(values).toJSON());
  });

  it('round-trips through JSON', () => {
    const sum = sumOf([0.1, 0.2, 1e-30, 5]);
    const restored = ExactSum.fromJSON(JSON.parse(JSON.stringify(sum)));
    expect(restored.value()).toBe(sum.value());
    restored.add(0.7);
    sum.add(0.7);
    expect(restored.value()).toBe(sum.value());
  });

  it('rejects non-finite numbers with a typed error', () => {
    expect(() => new ExactSum().add(NaN)).toThrow(AggregationError);
    expect(() => new ExactSum().add(Infinity)).toThrow(expect.objectContaining({ reason: 'INVALID_VALUE' }));
  });

  it('property: permutation and split/merge give bit-identical values and canonical JSON', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 60 }), fc.nat(), fc.nat(), (values, cut, seed) => {
        const k = values.length === 0 ? 0 : cut % values.length;
        const merged = sumOf(values.slice(0, k));
        merged.merge(sumOf(values.slice(k)));
        const shuffled = [...values].sort((a, b) => ((a * 31 + seed) % 7) - ((b * 31 + seed) % 7));
        const whole = sumOf(values);
        expect(merged.value()).toBe(whole.value());
        expect(sumOf(shuffled).value()).toBe(whole.value());
        expect(merged.toJSON()).toEqual(whole.toJSON());
      }),
      { numRuns: 300 },
    );
  });
});
