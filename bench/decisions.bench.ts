/**
 * Decision quality of the rollout gates (`npm run bench -- decisions`): simulated full-length rollouts through the
 * real decider, fed with snapshots made by the real aggregation code (bench/decisions/*), with the default stages
 * and 10 s windows, at 2,000 and 200 requests a window. Per case: rollbacks (with a 95 % Wilson interval),
 * completions, holds, completion time, windows to detection and exposure. Seeded and reproducible: rollout i of a
 * case always draws the same traffic, whatever the number of worker threads.
 *
 * DECISIONS_ROLLOUTS (default 1,000) rollouts per case; DECISIONS_FULL_ROLLOUTS (default: the same) for the cases that run
 * full length (A/A, within tolerance: a few seconds of CPU each), DECISIONS_TOLERANCE_ROLLOUTS (default: the same) for the
 * within-tolerance ones alone; DECISIONS_FIRST_ROLLOUT the index of the first rollout (a later run with the next seeds
 * extends an earlier one); DECISIONS_WITHOUT_SESSION_SUMS=1 strips the session figures (ablation); DECISIONS_CASES a substring filter on case names;
 * DECISIONS_DOMAIN a compiled domain module to judge with instead of this tree's (e.g. an older commit's, for the
 * before/after table); DECISIONS_THREADS worker threads (default: the cores).
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { decisionCases, MIN_DURATION_WINDOWS, type DecisionCase } from './decisions/scenarios';
import { simulateRollout, type DomainModule, type RolloutOutcome } from './decisions/simulate-rollout';

export interface CaseResult {
  name: string;
  kind: DecisionCase['kind'];
  rollouts: number;
  rolledBack: number;
  rolledBackRate: number;
  rolledBackInterval95: [number, number];
  completed: number;
  held: number;
  completionHours: { median: number | null; p95: number | null };
  /** Completed within 1.2 × the stages' minimum durations, of all rollouts. */
  completedWithin12x: number;
  detectionWindows: { median: number | null; p90: number | null; target?: number };
  exposure: { median: number | null; p90: number | null };
  failedGates: Record<string, number>;
  seconds: number;
}

export interface DecisionsBenchResult {
  domain: string;
  rolloutsPerCase: number;
  fullLengthRolloutsPerCase: number;
  cases: CaseResult[];
}

const SEED = 0x1d5;
const seedOf = (caseIndex: number, rollout: number) => (SEED * 1_000_003 + caseIndex * 100_003 + rollout) >>> 0;

function loadDomain(path: string | undefined): DomainModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return path ? (require(path) as DomainModule) : (require('../apps/rollout-controller/src/domain') as DomainModule);
}

if (!isMainThread && parentPort && (workerData as { decisionsWorker?: boolean })?.decisionsWorker) {
  const { domainPath, caseIndex, from, to } = workerData as { domainPath?: string; caseIndex: number; from: number; to: number };
  const domain = loadDomain(domainPath);
  const scenario = decisionCases()[caseIndex]!.scenario;
  const outcomes: RolloutOutcome[] = [];
  for (let i = from; i < to; i++) outcomes.push(simulateRollout(domain, scenario, seedOf(caseIndex, i)));
  parentPort.postMessage(outcomes);
}

async function runCase(caseIndex: number, rollouts: number, threads: number, domainPath: string | undefined, first = 0): Promise<RolloutOutcome[]> {
  const per = Math.ceil(rollouts / threads);
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = first + t * per;
      const to = Math.min(first + rollouts, from + per);
      if (from >= to) return Promise.resolve([] as RolloutOutcome[]);
      return new Promise<RolloutOutcome[]>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: { decisionsWorker: true, domainPath, caseIndex, from, to } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  return parts.flat();
}

/** Wilson score interval for k of n at 95 %. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const quantile = (values: number[], q: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

function summarise(c: DecisionCase, outcomes: RolloutOutcome[], seconds: number): CaseResult {
  const rolledBack = outcomes.filter((o) => o.result === 'rolled-back');
  const completed = outcomes.filter((o) => o.result === 'completed');
  const failedGates: Record<string, number> = {};
  for (const o of rolledBack) for (const g of new Set(o.failedGates)) failedGates[g] = (failedGates[g] ?? 0) + 1;
  const hours = completed.map((o) => o.elapsedMs / 3_600_000);
  return {
    name: c.scenario.name,
    kind: c.kind,
    rollouts: outcomes.length,
    rolledBack: rolledBack.length,
    rolledBackRate: rolledBack.length / outcomes.length,
    rolledBackInterval95: wilson(rolledBack.length, outcomes.length),
    completed: completed.length,
    held: outcomes.filter((o) => o.result === 'held').length,
    completionHours: { median: quantile(hours, 0.5), p95: quantile(hours, 0.95) },
    completedWithin12x: completed.filter((o) => o.windows <= 1.2 * MIN_DURATION_WINDOWS).length / outcomes.length,
    detectionWindows: { median: quantile(rolledBack.map((o) => o.windows), 0.5), p90: quantile(rolledBack.map((o) => o.windows), 0.9), ...(c.targetMedianWindows && { target: c.targetMedianWindows }) },
    exposure: { median: quantile(rolledBack.map((o) => o.exposure), 0.5), p90: quantile(rolledBack.map((o) => o.exposure), 0.9) },
    failedGates,
    seconds,
  };
}

export async function runDecisionsBench(options: { rollouts?: number; fullLengthRollouts?: number; filter?: string; domainPath?: string; threads?: number; log?: (line: string) => void } = {}): Promise<DecisionsBenchResult> {
  const rollouts = options.rollouts ?? Number(process.env.DECISIONS_ROLLOUTS ?? 1_000);
  const fullLength = options.fullLengthRollouts ?? Number(process.env.DECISIONS_FULL_ROLLOUTS ?? rollouts);
  const tolerance = Number(process.env.DECISIONS_TOLERANCE_ROLLOUTS ?? fullLength);
  /** Index of the first rollout (to extend an earlier run with the next seeds: its results add up). */
  const first = Number(process.env.DECISIONS_FIRST_ROLLOUT ?? 0);
  const filter = options.filter ?? process.env.DECISIONS_CASES;
  const domainPath = options.domainPath ?? process.env.DECISIONS_DOMAIN;
  const threads = options.threads ?? Number(process.env.DECISIONS_THREADS ?? availableParallelism());
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const cases: CaseResult[] = [];
  const all = decisionCases();
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    if (filter && !c.scenario.name.includes(filter)) continue;
    const started = Date.now();
    const outcomes = await runCase(i, c.kind === 'regression' ? rollouts : c.kind === 'a/a' ? fullLength : tolerance, threads, domainPath, first);
    const result = summarise(c, outcomes, (Date.now() - started) / 1000);
    cases.push(result);
    log(formatRow(result));
  }
  return { domain: domainPath ?? 'this tree', rolloutsPerCase: rollouts, fullLengthRolloutsPerCase: fullLength, cases };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (x: number | null) => (x === null ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10) / 10));

export function formatRow(r: CaseResult): string {
  const [lo, hi] = r.rolledBackInterval95;
  const gates = Object.entries(r.failedGates).map(([g, n]) => `${g} ${n}`).join(', ');
  return (
    `${r.name}: ${r.rollouts} rollouts · rolled back ${r.rolledBack} (${pct(r.rolledBackRate)}, 95 % CI ${pct(lo)}–${pct(hi)}) · completed ${r.completed} · held ${r.held}` +
    ` · completion h p50 ${num(r.completionHours.median)} p95 ${num(r.completionHours.p95)} · within 1.2× ${pct(r.completedWithin12x)}` +
    ` · detection windows p50 ${num(r.detectionWindows.median)} p90 ${num(r.detectionWindows.p90)}${r.detectionWindows.target ? ` (target ≤ ${r.detectionWindows.target})` : ''}` +
    ` · exposure p50 ${num(r.exposure.median)} p90 ${num(r.exposure.p90)}${gates ? ` · failed: ${gates}` : ''} · ${r.seconds.toFixed(0)} s`
  );
}

/** Markdown table of a run, for docs/rollouts.md. */
export function markdownTable(result: DecisionsBenchResult): string {
  const lines = [
    '| case | rolled back (95 % CI) | completed | held | completion h p50 / p95 | ≤ 1.2 × min | detection windows p50 / p90 (target) | exposure p50 / p90 | gates that failed |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.cases) {
    const [lo, hi] = r.rolledBackInterval95;
    lines.push(
      `| ${r.name} | ${r.rolledBack} / ${r.rollouts} = ${pct(r.rolledBackRate)} (${pct(lo)}–${pct(hi)}) | ${r.completed} | ${r.held} | ${num(r.completionHours.median)} / ${num(r.completionHours.p95)} | ${pct(r.completedWithin12x)} | ${num(r.detectionWindows.median)} / ${num(r.detectionWindows.p90)}${r.detectionWindows.target ? ` (≤ ${r.detectionWindows.target})` : ''} | ${num(r.exposure.median)} / ${num(r.exposure.p90)} | ${Object.entries(r.failedGates).map(([g, n]) => `${g} ${n}`).join(', ') || '—'} |`,
    );
  }
  return lines.join('\n');
}

if (isMainThread && require.main === module) {
  runDecisionsBench()
    .then((result) => {
      process.stdout.write(`\n${markdownTable(result)}\n`);
      if (process.env.DECISIONS_JSON) require('node:fs').writeFileSync(process.env.DECISIONS_JSON, JSON.stringify(result, null, 2));
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    });
}
