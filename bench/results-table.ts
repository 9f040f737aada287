/**
 * The README's benchmark table is generated, never typed: each `npm run bench -- <group>` writes
 * `bench/results/<group>.json` (committed: what was measured, when, on which machine, by which command), and the table
 * between the README's markers is rendered from those files — each group with its own date and machine, the figures
 * measured in that run apart from the published anchors of other tools. `test/bench/results-table.unit.spec.ts` fails
 * when the README and the files disagree.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BENCH_GROUPS = ['foundation', 'telemetry', 'routing', 'rollback', 'kills', 'shadow', 'decisions'] as const;
export type BenchGroup = (typeof BENCH_GROUPS)[number];

export interface GroupRecord {
  group: BenchGroup;
  /** ISO time the run ended. */
  at: string;
  machine: string;
  /** The command that measured it. */
  command: string;
  /** Figures measured in this run: against a target, or a baseline measured in the same run. */
  checks: Array<{ figure: string; value: number; target: string; ok: boolean }>;
  /** Figures of other tools as published: not measured here, never ok or missed. */
  publishedAnchors: Array<{ figure: string; value: number; unit: string; source: string }>;
}

export const README_TABLE_BEGIN = '<!-- bench-table:begin (generated from bench/results/*.json by npm run bench; do not edit) -->';
export const README_TABLE_END = '<!-- bench-table:end -->';

/** The repository root: the nearest folder up from here with a package.json (this file runs from bench/ and dist/bench/). */
export function repositoryRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bench'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}

const resultsDir = (root: string) => join(root, 'bench', 'results');

export function writeGroupRecord(record: GroupRecord, root = repositoryRoot()): void {
  mkdirSync(resultsDir(root), { recursive: true });
  writeFileSync(join(resultsDir(root), `${record.group}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/** The committed records, in the groups' order; groups never run are absent. */
export function readGroupRecords(root = repositoryRoot()): GroupRecord[] {
  return BENCH_GROUPS.map((group) => join(resultsDir(root), `${group}.json`))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as GroupRecord);
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const cell = (text: string) => text.trim().replace(/\|/g, '\\|');

/** The Markdown between the README's markers. */
export function renderResultsTable(records: readonly GroupRecord[]): string {
  if (records.length === 0) return 'No benchmark has been recorded yet: run `npm run bench`.';
  const lines: string[] = [];
  for (const record of records) {
    lines.push(`**${record.group}** — measured by \`${record.command}\`, ${record.at.slice(0, 10)}, on ${record.machine}:`, '');
    lines.push('| | figure | value | target or same-run baseline |', '|---|---|---|---|');
    for (const c of record.checks) lines.push(`| ${c.ok ? 'ok' : 'MISS'} | ${cell(c.figure)} | ${fmt(c.value)} | ${cell(c.target)} |`);
    lines.push('');
  }
  const anchors = records.flatMap((record) => record.publishedAnchors);
  if (anchors.length > 0) {
    lines.push('Published anchors of other tools, **not measured here** (no ok or MISS):', '', '| figure | value | source |', '|---|---|---|');
    for (const a of anchors) lines.push(`| ${cell(a.figure)} | ${fmt(a.value)} ${a.unit} | ${cell(a.source)} |`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

/** The README with its table section replaced by what the records say. */
export function withResultsTable(readme: string, records: readonly GroupRecord[]): string {
  const begin = readme.indexOf(README_TABLE_BEGIN);
  const end = readme.indexOf(README_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the benchmark table markers (${README_TABLE_BEGIN} … ${README_TABLE_END})`);
  return `${readme.slice(0, begin + README_TABLE_BEGIN.length)}\n${renderResultsTable(records)}\n${readme.slice(end)}`;
}

export function updateReadmeTable(root = repositoryRoot()): void {
  const file = join(root, 'README.md');
  writeFileSync(file, withResultsTable(readFileSync(file, 'utf8'), readGroupRecords(root)));
}
