/**
 * Throughput of the metrics-aggregator core: WindowedAggregator.apply on
 * pre-decoded telemetry (95 % agent.request.completed, 100 version × tenant keys,
 * 10 % shadow, 4 partitions, ±2 s disorder), windows closing as event time advances.
 * Events are produced in batches of 500 and JSON round-tripped (as a consumer
 * decodes them: flat strings); only apply and closeReadyWindows are timed. Also: raw LatencyHistogram.record throughput.
 * Run: npx ts-node --transpile-only bench/aggregation.bench.ts
 */
import { LatencyHistogram, WindowedAggregator, type TelemetryEvent } from '../apps/metrics-aggregator/src/aggregation';
import { SyntheticTelemetry } from '../apps/metrics-aggregator/src/aggregation/synthetic-telemetry';

export interface AggregationBenchResult {
  /** ns per iteration of a trivial add loop: this machine's speed (a current laptop core: ~0.3–0.5 ns; shared CI vCPU: several). */
  calibrationNsPerLoop: number;
  /** Events per second spent inside apply (+ closeReadyWindows after each batch). */
  eventsPerSecond: number;
  /** Values/s through LatencyHistogram.record. */
  histogramRecordsPerSecond: number;
  events: number;
  windowsClosed: number;
  /** Distinct version × tenant keys seen (roles apart). */
  keys: number;
}

const BATCH = 500;
const PARTITIONS = ['partition-0', 'partition-1', 'partition-2', 'partition-3'];

export function runAggregationBench(durationMs = 3_000): AggregationBenchResult {
  const run = (budgetNs: bigint) => {
    const source = new SyntheticTelemetry({ eventsPerSecond: 20_000, versions: 20, tenants: 5, sessions: 5_000, jitterMs: 2_000 });
    const aggregator = new WindowedAggregator();
    const keys = new Set<string>();
    let spent = 0n;
    let events = 0;
    let windowsClosed = 0;
    while (spent < budgetNs) {
      const batch = JSON.parse(JSON.stringify(source.next(BATCH))) as TelemetryEvent[]; // decoded like a consumer's (flat strings)
      const start = process.hrtime.bigint();
      for (let i = 0; i < batch.length; i++) aggregator.apply(batch[i], PARTITIONS[i & 3]);
      windowsClosed += aggregator.closeReadyWindows().length;
      spent += process.hrtime.bigint() - start;
      events += batch.length;
      if (events <= 20_000) for (const e of batch) keys.add(`${e.data.versionId}/${e.data.tenant}`);
    }
    return { eventsPerSecond: Math.round(events / (Number(spent) / 1e9)), events, windowsClosed, keys: keys.size };
  };
  run(300_000_000n); // warm up (JIT)
  return { ...run(BigInt(durationMs) * 1_000_000n), histogramRecordsPerSecond: histogramBench(), calibrationNsPerLoop: calibrate() };
}

function calibrate(): number {
  const loops = 200_000_000;
  const start = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < loops; i++) x += i & 7;
  const ns = Number(process.hrtime.bigint() - start) / loops;
  return x < 0 ? -1 : Math.round(ns * 100) / 100;
}

function histogramBench(): number {
  const values = new Float64Array(1_000_000);
  for (let i = 0; i < values.length; i++) values[i] = 50 + ((i * 7919) % 10_000) * 0.731;
  const run = () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < values.length; i++) histogram.record(values[i]);
    return histogram.count;
  };
  run();
  const start = process.hrtime.bigint();
  let recorded = 0;
  for (let r = 0; r < 10; r++) recorded += run();
  return Math.round(recorded / (Number(process.hrtime.bigint() - start) / 1e9));
}

if (require.main === module) {
  const r = runAggregationBench();
  const fmt = (n: number) => n.toLocaleString('en-US');
  console.log(
    `aggregation: WindowedAggregator.apply: ${fmt(r.eventsPerSecond)} events/s (${fmt(r.events)} events, ${r.keys} version×tenant keys, ${r.windowsClosed} windows closed)`,
  );
  console.log(`aggregation: LatencyHistogram.record: ${fmt(r.histogramRecordsPerSecond)} values/s`);
  console.log(`aggregation: machine calibration: ${r.calibrationNsPerLoop} ns per trivial loop iteration`);
}
