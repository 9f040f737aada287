import fc from 'fast-check';
import { mergeClosedWindows, type ClosedWindow } from './closed-window';
import { MetricsAccumulator } from './metrics-accumulator';
import { syntheticStream } from './synthetic-telemetry';
import { WindowedAggregator, type TelemetryEvent } from './windowed-aggregator';

/** Property tests of the merge / serialise / dedupe invariants over random synthetic streams. */

const partitionOf = (e: TelemetryEvent) => `p${Number(e.data.sessionId.slice(5)) % 4}`;

function run(events: readonly TelemetryEvent[], aggregator = new WindowedAggregator(), out: ClosedWindow[] = []) {
  for (const e of events) {
    aggregator.apply(e, partitionOf(e));
    out.push(...aggregator.closeReadyWindows());
  }
  return { aggregator, out };
}

function finish({ aggregator, out }: { aggregator: WindowedAggregator; out: ClosedWindow[] }): ClosedWindow[] {
  for (const p of ['p0', 'p1', 'p2', 'p3']) aggregator.advanceWatermark(p, Date.UTC(2030, 0, 1));
  return [...out, ...aggregator.closeReadyWindows()];
}

const streamArb = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  events: fc.integer({ min: 50, max: 400 }),
  eventsPerSecond: fc.integer({ min: 5, max: 200 }),
  jitterMs: fc.integer({ min: 0, max: 5_000 }), // ≤ allowedLatenessMs: never late
  sessions: fc.integer({ min: 4, max: 60 }),
});

describe('aggregation properties', () => {
  it('redeliveries never change the figures', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 20 })), { maxLength: 30 }), (options, redeliveries) => {
        const stream = syntheticStream(options);
        const withDuplicates = [...stream];
        for (const [at, delay] of redeliveries) {
          const i = at % stream.length;
          withDuplicates.splice(Math.min(withDuplicates.length, i + delay), 0, structuredClone(stream[i]));
        }
        expect(finish(run(withDuplicates))).toEqual(finish(run(stream)));
      }),
      { numRuns: 25 },
    );
  });

  it('two consumers split by session id, merged window by window, equal one consumer', () => {
    fc.assert(
      fc.property(streamArb, (options) => {
        const stream = syntheticStream(options);
        const single = finish(run(stream));
        const left = finish(run(stream.filter((e) => ['p0', 'p2'].includes(partitionOf(e)))));
        const right = finish(run(stream.filter((e) => ['p1', 'p3'].includes(partitionOf(e)))));
        const byStart = (ws: ClosedWindow[]) => new Map(ws.map((w) => [w.startMs, w]));
        const l = byStart(left);
        const r = byStart(right);
        const merged = single.map((w) => mergeClosedWindows([l.get(w.startMs), r.get(w.startMs)].filter((x) => x !== undefined)));
        expect(merged).toEqual(single);
        expect(new Set([...l.keys(), ...r.keys()]).size).toBe(single.length);
      }),
      // a sparse stream: spans where one consumer saw no event still carry its live sessions
      { numRuns: 20, examples: [[{ seed: 1, events: 201, eventsPerSecond: 5, jitterMs: 0, sessions: 18 }]] },
    );
  });

  it('snapshot → JSON → restore at any point, then continuing, equals an uninterrupted run', () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), (options, cutAt) => {
        const stream = syntheticStream(options);
        const cut = cutAt % stream.length;
        const first = run(stream.slice(0, cut));
        const restored = WindowedAggregator.restore(JSON.parse(JSON.stringify(first.aggregator.snapshot())));
        expect(finish(run(stream.slice(cut), restored, first.out))).toEqual(finish(run(stream)));
      }),
      { numRuns: 25 },
    );
  });

  it('accumulators: merge of any split (any order) equals accumulating everything; JSON round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), (seed, sides) => {
        const requests = syntheticStream({ events: sides.length, seed, lifecycleShare: 0 }).filter(
          (e): e is Extract<TelemetryEvent, { type: 'agent.request.completed' }> => e.type === 'agent.request.completed',
        );
        const whole = new MetricsAccumulator();
        const parts = [new MetricsAccumulator(), new MetricsAccumulator()];
        requests.forEach((e, i) => {
          whole.recordRequest(e.data);
          parts[sides[i] ? 1 : 0].recordRequest(e.data);
        });
        const merged = MetricsAccumulator.fromJSON(JSON.parse(JSON.stringify(parts[1]))).merge(parts[0]);
        expect(merged.toJSON()).toEqual(whole.toJSON());
      }),
      { numRuns: 100 },
    );
  });
});
