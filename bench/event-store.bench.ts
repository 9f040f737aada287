/**
 * Event store throughput: appends (1 and 16 writers, 1 and 10 events per append) against Emmett's
 * PostgreSQL event store on the same server in the same run, and readAll over 1,000,000 events.
 * Run: npx ts-node --transpile-only bench/event-store.bench.ts   (DATABASE_URL = admin URL)
 */
import { Pool } from 'pg';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { createEventStoreDataSource, PostgresEventStore } from '../libs/event-store/src';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase } from '../libs/testing/src';

const POOL_SIZE = 20;

export interface AppendFigures {
  writers: number;
  eventsPerAppend: number;
  appends: number;
  eventsPerSecond: number;
  appendsPerSecond: number;
  p99LatencyMs: number;
}

export interface EventStoreBenchResult {
  iris: AppendFigures[];
  emmett: AppendFigures[];
  /** iris events/s ÷ emmett events/s, per scenario (same order). */
  irisOverEmmett: number[];
  readAll: { events: number; pageSize: number; eventsPerSecond: number };
}

interface Scenario {
  writers: number;
  eventsPerAppend: number;
  appendsPerWriter: number;
}

const SCENARIOS: Scenario[] = [
  { writers: 1, eventsPerAppend: 1, appendsPerWriter: 2_000 },
  { writers: 16, eventsPerAppend: 1, appendsPerWriter: 500 },
  { writers: 1, eventsPerAppend: 10, appendsPerWriter: 1_000 },
  { writers: 16, eventsPerAppend: 10, appendsPerWriter: 250 },
];

/** append(streamId, events, expectedVersion) for one store under test. */
type Append = (streamId: string, count: number, expectedVersion: bigint) => Promise<void>;

async function measureAppends(label: string, append: Append, scenario: Scenario): Promise<AppendFigures> {
  const { writers, eventsPerAppend, appendsPerWriter } = scenario;
  const latenciesMs: number[] = [];
  const writer = async (w: number): Promise<void> => {
    const streamId = `${label}-${writers}x${eventsPerAppend}-${w}-${Date.now()}`;
    for (let i = 0; i < appendsPerWriter; i++) {
      const started = process.hrtime.bigint();
      await append(streamId, eventsPerAppend, BigInt(i * eventsPerAppend));
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const appends = writers * appendsPerWriter;
  return {
    writers,
    eventsPerAppend,
    appends,
    appendsPerSecond: Math.round(appends / seconds),
    eventsPerSecond: Math.round((appends * eventsPerAppend) / seconds),
    p99LatencyMs: percentile(latenciesMs, 0.99),
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 100) / 100;
}

const payload = (i: number) => ({ rolloutId: 'r-1', step: i, weight: 25, note: 'benchmark event' });

function newEvents(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    type: 'StepAdvanced',
    data: payload(i),
    metadata: { actor: 'bench', commandId: 'c' },
  }));
}

const READ_ALL_EVENTS = 1_000_000;
const READ_ALL_PAGE = 10_000;

async function benchReadAll(store: PostgresEventStore): Promise<EventStoreBenchResult['readAll']> {
  const { dataSource } = store;
  // Bulk load, not through the API: 1,000 streams × 1,000 events (on top of the appended ones).
  await dataSource.query(
    `INSERT INTO events (stream_id, stream_position, event_id, type, data, metadata)
     SELECT 'bulk-' || (g % 1000), g / 1000 + 1, gen_random_uuid(), 'StepAdvanced',
            jsonb_build_object('rolloutId', 'r-1', 'step', g, 'weight', 25, 'note', 'benchmark event'),
            '{"actor":"bench"}'::jsonb
     FROM generate_series(0, $1::int - 1) g`,
    [READ_ALL_EVENTS],
  );
  await dataSource.query('VACUUM ANALYZE events');
  for (let page = 0, position = 0n; page < 10; page++) {
    position = (await store.readAll({ fromPosition: position, maxCount: READ_ALL_PAGE })).nextPosition; // warm up (JIT)
  }
  let position = 0n;
  let events = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const page = await store.readAll({ fromPosition: position, maxCount: READ_ALL_PAGE });
    if (page.events.length === 0) break;
    events += page.events.length;
    position = page.nextPosition;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { events, pageSize: READ_ALL_PAGE, eventsPerSecond: Math.round(events / seconds) };
}

/** Both stores on their own fresh database; scenarios alternate iris/emmett so both see the same machine load. */
export async function runEventStoreBench(adminUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Promise<EventStoreBenchResult> {
  const irisUrl = await createFreshDatabase(adminUrl, 'iris_bench_es');
  const emmettUrl = await createFreshDatabase(adminUrl, 'iris_bench_emmett');
  const dataSource = createEventStoreDataSource({ url: irisUrl, poolSize: POOL_SIZE });
  const emmettPool = new Pool({ connectionString: emmettUrl, max: POOL_SIZE });
  const emmettStore = getPostgreSQLEventStore(emmettUrl, { connectionOptions: { pooled: true, pool: emmettPool } });
  try {
    await dataSource.initialize();
    await emmettStore.schema.migrate();
    const irisStore = new PostgresEventStore(dataSource);
    const iris: Append = async (streamId, count, expectedVersion) => {
      await irisStore.appendToStream(streamId, newEvents(count), { expectedVersion });
    };
    const emmett: Append = async (streamId, count, expectedVersion) => {
      await emmettStore.appendToStream(streamId, newEvents(count), { expectedStreamVersion: expectedVersion });
    };
    const warmUp: Scenario = { writers: 16, eventsPerAppend: 1, appendsPerWriter: 50 };
    await measureAppends('warmup', iris, warmUp);
    await measureAppends('warmup', emmett, warmUp);

    const result: EventStoreBenchResult = { iris: [], emmett: [], irisOverEmmett: [], readAll: undefined as never };
    for (const scenario of SCENARIOS) {
      const irisFigures = await measureAppends('iris', iris, scenario);
      const emmettFigures = await measureAppends('emmett', emmett, scenario);
      result.iris.push(irisFigures);
      result.emmett.push(emmettFigures);
      result.irisOverEmmett.push(Math.round((irisFigures.eventsPerSecond / emmettFigures.eventsPerSecond) * 100) / 100);
    }
    result.readAll = await benchReadAll(irisStore);
    return result;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await emmettStore.close().catch(() => undefined);
    await emmettPool.end().catch(() => undefined);
    await dropDatabase(irisUrl, adminUrl);
    await dropDatabase(emmettUrl, adminUrl);
  }
}

export function formatEventStoreBench(result: EventStoreBenchResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = result.iris.map((iris, i) => {
    const emmett = result.emmett[i];
    return (
      `event-store: ${String(iris.writers).padStart(2)} writer(s) × ${String(iris.eventsPerAppend).padStart(2)} event(s)/append: ` +
      `iris ${n(iris.eventsPerSecond)} events/s (${n(iris.appendsPerSecond)} appends/s, p99 ${iris.p99LatencyMs} ms) | ` +
      `emmett ${n(emmett.eventsPerSecond)} events/s (${n(emmett.appendsPerSecond)} appends/s, p99 ${emmett.p99LatencyMs} ms) | ` +
      `iris/emmett ${result.irisOverEmmett[i]}`
    );
  });
  lines.push(`event-store: readAll ${n(result.readAll.events)} events in pages of ${n(result.readAll.pageSize)}: ${n(result.readAll.eventsPerSecond)} events/s`);
  return lines.join('\n');
}

if (require.main === module) {
  runEventStoreBench()
    .then((result) => console.log(formatEventStoreBench(result)))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
