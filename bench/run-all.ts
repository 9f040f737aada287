/**
 * `npm run bench`: every benchmark, each with its baseline measured in the same run, against the
 * targets the issues name. Published figures of other tools (Flagger's rollback time) are listed apart, as
 * anchors: they are not measured here and have no ok / MISS. Starts a local Kafka broker unless KAFKA_BROKERS is set; uses the
 * PostgreSQL at DATABASE_URL (default local) in fresh databases. `npm run bench -- foundation`
 * (or `telemetry`, `routing`, `rollback`, `kills`, `shadow`, `decisions`) runs one group (`routing` needs neither Kafka nor PostgreSQL).
 * Results are also written to bench/results/latest.json, and each group's to bench/results/<group>.json (committed), from
 * which the README's table is regenerated (bench/results-table.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { startKafkaBroker } from '../libs/testing/src';
import { runContractsBench } from './contracts.bench';
import { runEventStoreBench } from './event-store.bench';
import { runMessagingBench } from './messaging.bench';
import { runAggregationBench } from './aggregation.bench';
import { runAgentSdkBench } from './agent-sdk.bench';
import { runMetricsAggregatorBench } from './metrics-aggregator.bench';
import { runRouteBench } from './route.bench';
import { runRollbackLatencyBench } from './rollback-latency.bench';
import { runDecisionsBench } from './decisions.bench';
import { runKillPropagationBench } from './kill-propagation.bench';
import { runShadowComparatorBench } from './shadow-comparator.bench';
import { BENCH_GROUPS, type BenchGroup, type GroupRecord, updateReadmeTable, writeGroupRecord } from './results-table';

/** A figure measured in this run, against its target (or a baseline measured in the same run). */
interface Check {
  group: BenchGroup;
  figure: string;
  value: number;
  target: string;
  ok: boolean;
}

/** A published figure of another tool that a result is read against: not measured here, so never ok or missed. */
interface Anchor {
  group: BenchGroup;
  figure: string;
  value: number;
  unit: string;
  source: string;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

async function main(): Promise<void> {
  const group = process.argv[2] ?? 'all';
  const messages = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
  const results: Record<string, unknown> = {};
  if (group !== 'all' && !(BENCH_GROUPS as readonly string[]).includes(group)) throw new Error(`unknown group ${group} (${BENCH_GROUPS.join(', ')} or all)`);
  const checks: Check[] = [];
  let current: BenchGroup = 'foundation';
  const runs = (name: BenchGroup) => (group === 'all' || group === name) && ((current = name), true);
  const check = (figure: string, value: number, target: string, ok: boolean) => checks.push({ group: current, figure, value, target, ok });
  const anchors: Anchor[] = [];

  let brokers = process.env.KAFKA_BROKERS;
  const broker = brokers || group === 'routing' || group === 'decisions' ? undefined : await startKafkaBroker();
  brokers ??= broker?.brokers ?? ''; // the routing group needs no broker
  try {
    if (runs('foundation')) {
      const store = await runEventStoreBench();
      results.eventStore = store;
      const sixteen = store.iris.find((f) => f.writers === 16 && f.eventsPerAppend === 1)!;
      const one = store.iris.find((f) => f.writers === 1 && f.eventsPerAppend === 1)!;
      const ratio16 = store.irisOverEmmett[store.iris.indexOf(sixteen)];
      check('event store: appends/s, 1 writer (p99 ms)', one.appendsPerSecond, `p99 ${fmt(one.p99LatencyMs)} ms`, true);
      check('event store: appends/s, 16 writers', sixteen.appendsPerSecond, '≥ 5,000', sixteen.appendsPerSecond >= 5_000);
      check('event store: 16 writers, Iris ÷ Emmett', ratio16, '≥ 1.00', ratio16 >= 1);
      check('event store: readAll events/s', store.readAll.eventsPerSecond, '≥ 100,000', store.readAll.eventsPerSecond >= 100_000);

      const messaging = await runMessagingBench({ brokers, messages });
      results.messaging = messaging;
      check(`messaging: consume ${fmt(messages)} msgs, libs/messaging ÷ raw kafkajs`, messaging.ratio.consume, '≥ 0.80', messaging.ratio.consume >= 0.8);
      check(`messaging: produce ${fmt(messages)} msgs, libs/messaging ÷ raw kafkajs`, messaging.ratio.produce, '≥ 0.80', messaging.ratio.produce >= 0.8);

      const decode = runContractsBench();
      results.contracts = decode;
    }
    if (runs('telemetry')) {
      const aggregation = runAggregationBench();
      results.aggregation = aggregation;
      const sdk = await runAgentSdkBench({ brokers });
      results.agentSdk = sdk;
      check('SDK: recordRequest median µs (single calls, each timed)', sdk.recordRequest.medianNs / 1000, '≤ 2', sdk.recordRequest.medianNs <= 2_000);
      check('  recordRequest p99 µs (single calls)', sdk.recordRequest.p99Ns / 1000, `baseline: timing an empty call ${fmt(sdk.recordRequest.timerNs / 1000)}`, true);
      check('SDK: one process publishes events/s', sdk.endToEnd.eventsPerSecond, '≥ 50,000', sdk.endToEnd.eventsPerSecond >= 50_000);
      check('SDK ÷ raw kafkajs (same run)', sdk.endToEnd.eventsPerSecond / sdk.rawKafkajsBaseline.eventsPerSecond, 'baseline', true);
      const onAgent = sdk.agentThreadPublishing;
      check('  agent thread busy µs per event published', sdk.endToEnd.agentThread.busyUsPerEvent, `baseline: kafkajs on that thread ${fmt(onAgent.agentThread.busyUsPerEvent)}`, true);
      check('  agent thread stalls p99 ms', sdk.endToEnd.agentThread.stallP99Ms, `baseline: kafkajs on that thread ${fmt(onAgent.agentThread.stallP99Ms)}`, true);
      check('  SDK with kafkajs on the agent thread, events/s', onAgent.eventsPerSecond, 'baseline', true);

      const aggregator = await runMetricsAggregatorBench({ brokers });
      results.metricsAggregator = aggregator;
      const t = aggregator.throughput;
      check(`aggregator: ${fmt(t.events)} telemetry events/s, median of ${t.rounds} interleaved rounds`, t.aggregator.eventsPerSecond, '≥ 50,000', t.aggregator.eventsPerSecond >= 50_000);
      check(`aggregator ÷ best raw kafkajs JSON.parse consumer (${t.raw.configuration}, ${fmt(t.raw.eventsPerSecond)}/s, same run)`, t.ratio, '≥ 0.80', t.ratio >= 0.8);
      if (aggregator.latency) {
        check('aggregator: snapshot p99 ms after window close (1 s windows)', aggregator.latency.p99Ms, '≤ 500', aggregator.latency.p99Ms <= 500);
        check('aggregator: snapshot p50 ms after window close', aggregator.latency.p50Ms, 'baseline', true);
      }
    }
    if (runs('shadow')) {
      const shadow = await runShadowComparatorBench({ brokers });
      results.shadowComparator = shadow;
      check(`shadow comparator: pairs/s, one instance (raw kafkajs ${fmt(shadow.raw.pairsPerSecond)})`, shadow.oneInstance.pairsPerSecond, 'baseline: raw', true);
      check('shadow comparator ÷ raw kafkajs JSON.parse, same records and consumer settings', shadow.ratio, '≥ 0.50', shadow.ratio >= 0.5);
      check('shadow comparator: pairs/s, two instances in one group', shadow.twoInstances.pairsPerSecond, 'baseline', true);
      check('client.shadow() dispatch on the agent thread: median µs', shadow.dispatch.medianNs / 1000, '≤ 5', shadow.dispatch.medianNs <= 5_000);
      check('  p99 µs', shadow.dispatch.p99Ns / 1000, `baseline: timing an empty call ${fmt(shadow.dispatch.timerNs / 1000)}`, true);
      const added = shadow.primaryLatency.withShadowMedianMs - shadow.primaryLatency.withoutShadowMedianMs;
      check(`primary (5 ms) median ms with a 10× slower shadow run (without: ${fmt(shadow.primaryLatency.withoutShadowMedianMs)})`, shadow.primaryLatency.withShadowMedianMs, 'within noise (≤ +1 ms)', added <= 1);
    }
    if (runs('routing')) {
      const routing = runRouteBench();
      results.routing = routing;
      const us = (ns: number) => ns / 1000;
      for (const [name, figures] of [['cached session', routing.cachedSession], ['new session', routing.newSession]] as const) {
        check(`route(), ${routing.versions} live versions, ${name}: median µs`, us(figures.medianNs), '≤ 1', figures.medianNs <= 1_000);
        check(`route(), ${routing.versions} live versions, ${name}: p99 µs`, us(figures.p99Ns), '≤ 5', figures.p99Ns <= 5_000);
      }
      check('route(), cold instance, pinned by sessionStartedAt: median µs', us(routing.coldPinned.medianNs), 'baseline', true);
      check('route(), cached session, kill set followed (no kill of the agent): median µs', us(routing.cachedSessionKillSetWithoutAgentKills.medianNs), '≤ 1', routing.cachedSessionKillSetWithoutAgentKills.medianNs <= 1_000);
      check('route(), cached session, two kills of the agent checked: median µs', us(routing.cachedSessionWithAgentKills.medianNs), '≤ 1', routing.cachedSessionWithAgentKills.medianNs <= 1_000);
      check('timing one empty call (included above): median µs', us(routing.timerBaseline.medianNs), 'baseline', true);
    }
    if (runs('decisions')) {
      // Hours of CPU at the full 1,000 rollouts per case; `npm run bench` (all) runs a smaller sample unless told.
      const decisions = await runDecisionsBench(group === 'all' ? { rollouts: Number(process.env.DECISIONS_ROLLOUTS ?? 200), fullLengthRollouts: Number(process.env.DECISIONS_FULL_ROLLOUTS ?? 20) } : {});
      results.decisions = decisions;
      for (const c of decisions.cases) {
        const [, upper] = c.rolledBackInterval95;
        if (c.kind === 'a/a') check(`decisions: ${c.name}, false rollbacks (95 % CI upper end)`, 100 * upper, '≤ 2 %', upper <= 0.02);
        if (c.kind === 'a/a' && c.name.includes('2000')) check(`decisions: ${c.name}, completed within 1.2 × min durations %`, 100 * c.completedWithin12x, '≥ 95 %', c.completedWithin12x >= 0.95);
        if (c.kind === 'within-tolerance') check(`decisions: ${c.name}, rolled back %`, 100 * c.rolledBackRate, '≤ 5 %', c.rolledBackRate <= 0.05);
        if (c.kind === 'regression') {
          check(`decisions: ${c.name}, detected %`, 100 * c.rolledBackRate, '≥ 99 %', c.rolledBackRate >= 0.99);
          check(`  median windows to detection`, c.detectionWindows.median ?? Infinity, `≤ ${c.detectionWindows.target}`, (c.detectionWindows.median ?? Infinity) <= (c.detectionWindows.target ?? Infinity));
        }
      }
    }
    if (runs('rollback')) {
      const rollback = await runRollbackLatencyBench({ brokers });
      results.rollbackLatency = rollback;
      check(`first breaching request → rollback applied in the SDK, median ms (${rollback.trials.length} trials, window ${fmt(rollback.windowMs)} ms)`, rollback.medianMs, `≤ ${fmt(rollback.windowMs + 1_000)}`, rollback.medianMs <= rollback.windowMs + 1_000);
      check('  same, worst trial ms', rollback.maxMs, `≤ ${fmt(rollback.windowMs + 1_000)}`, rollback.maxMs <= rollback.windowMs + 1_000);
      check('  of which: rollback table received in the SDK, median ms (its weights take effect ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS after the decision)', rollback.receivedMedianMs, 'breakdown', true);
      anchors.push({
        group: 'rollback',
        figure: 'Flagger: failing canary → rollback (analysis interval 1m × threshold 5 failed checks)',
        value: 300_000,
        unit: 'ms',
        source: 'published configuration in the Flagger docs (docs.flagger.app, canary analysis); not measured in this run',
      });
    }
    if (runs('kills')) {
      const kills = await runKillPropagationBench({ brokers });
      results.killPropagation = kills;
      const label = `${kills.kills} kills × ${kills.instances} SDK processes`;
      check(`kill API 2xx → route() answers killed, p50 ms (${label})`, kills.sdk.p50Ms, 'baseline', true);
      check('  same, p99 ms', kills.sdk.p99Ms, '≤ 50', kills.sdk.p99Ms <= 50);
      check('  same, every instance has it (slowest per kill), p99 ms', kills.sdkAllInstances.p99Ms, '≤ 50', kills.sdkAllInstances.p99Ms <= 50);
      check(`polling GET /v1/kills every ${fmt(kills.polling.intervalMs)} ms (Unleash's default), same run: p50 ms`, kills.polling.p50Ms, 'baseline', true);
      check('  same, p99 ms', kills.polling.p99Ms, 'baseline', true);
      check('Iris faster than the poller at p50 (×)', kills.speedupP50, 'baseline', true);
    }
  } finally {
    await broker?.stop();
  }

  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // `checks`: measured in this run; `publishedAnchors`: figures of other tools as published, for reading the results.
  const at = new Date().toISOString();
  const machine = machineDescription();
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ at, machine, group, results, checks, publishedAnchors: anchors }, null, 2));
  writeFileSync(join(dir, 'latest.md'), markdownReport(at, machine, group, checks, anchors));
  // One committed file per group (the README's table is generated from them, each group with its own date and machine).
  for (const name of BENCH_GROUPS.filter((g) => group === 'all' || g === group)) {
    const record: GroupRecord = { group: name, at, machine, command: group === 'all' ? 'npm run bench' : `npm run bench -- ${name}`, checks: checks.filter((c) => c.group === name), publishedAnchors: anchors.filter((a) => a.group === name) };
    writeGroupRecord(record);
  }
  updateReadmeTable();

  process.stdout.write('\nfigure'.padEnd(64) + 'value'.padStart(14) + '   target\n');
  for (const c of checks) {
    process.stdout.write(`${c.ok ? 'ok  ' : 'MISS'} ${c.figure.padEnd(58)} ${fmt(c.value).padStart(14)}   ${c.target}\n`);
  }
  if (anchors.length > 0) {
    process.stdout.write('\npublished anchors (not measured in this run)\n');
    for (const a of anchors) process.stdout.write(`     ${a.figure.padEnd(58)} ${`${fmt(a.value)} ${a.unit}`.padStart(14)}   ${a.source}\n`);
  }
}

/** The machine the figures come from: they only mean something beside it. */
function machineDescription(): string {
  const processors = cpus();
  // The 1-minute load average when the run ended: a busy machine lowers absolute figures (baselines of the same run too).
  return `${processors.length} × ${processors[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.versions.node}, load ${loadavg()[0]!.toFixed(1)}`;
}

/** The same table as the console's, for the README: measured figures, then published anchors apart. */
function markdownReport(at: string, machine: string, group: string, checks: Check[], anchors: Array<{ figure: string; value: number; unit: string; source: string }>): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    `Measured in one run of \`npm run bench${group === 'all' ? '' : ` -- ${group}`}\`, ${at.slice(0, 10)}, on ${machine}.`,
    '',
    '| | figure | value | target |',
    '|---|---|---|---|',
    ...checks.map((c) => `| ${c.ok ? 'ok' : 'MISS'} | ${cell(c.figure.trim())} | ${fmt(c.value)} | ${cell(c.target)} |`),
  ];
  if (anchors.length > 0) {
    lines.push('', 'Published anchors, **not measured in this run**:', '', '| figure | value | source |', '|---|---|---|');
    for (const a of anchors) lines.push(`| ${cell(a.figure)} | ${fmt(a.value)} ${a.unit} | ${cell(a.source)} |`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
