import { InvalidRolloutCommandError } from './errors';
import type { ExternalGateSpec } from './types';

/**
 * The seed's `quality_gates.yaml`, accepted as it is:
 *   gates:
 *   - { name: quality_score, type: threshold, metric: offline_quality_score, threshold: 0.85, operator: ">=" }
 *   - { name: regression_tests, type: test_suite, test_suite: critical_scenarios, min_pass_rate: 1.0 }
 * Each gate becomes an external gate of the rollout; posted eval results (the seed's `metrics` dict) are turned
 * into one result per gate.
 */
export interface QualityGateEntry {
  name: string;
  type: 'threshold' | 'test_suite';
  metric?: string;
  threshold?: number;
  operator?: '>=' | '<=' | '>' | '<' | '==';
  test_suite?: string;
  min_pass_rate?: number;
}

/** A quality-gates file that is not one: each offending field (`gates[2].min_pass_rate`) with its reason. */
export class InvalidQualityGatesError extends InvalidRolloutCommandError {
  constructor(readonly issues: ReadonlyArray<{ field: string; reason: string }>) {
    super(`qualityGates: ${issues.map((issue) => `${issue.field}: ${issue.reason}`).join('; ')}`);
  }
}

const OPERATORS = ['>=', '<=', '>', '<', '=='] as const;
const KEYS: Record<QualityGateEntry['type'], readonly string[]> = {
  threshold: ['name', 'type', 'metric', 'threshold', 'operator'],
  test_suite: ['name', 'type', 'test_suite', 'min_pass_rate'],
};

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isName = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= 128;

/**
 * Every field of the file is checked when the rollout starts, so a gate can never be judged on nonsense later
 * (`min_pass_rate: "high"` would fail every eval): unknown keys (typos) are refused too, and gate names are unique.
 */
export function externalGatesFromQualityGates(file: unknown): ExternalGateSpec[] {
  const gates = (file as { gates?: unknown } | null)?.gates;
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new InvalidQualityGatesError([{ field: '<file>', reason: 'must be a mapping with a `gates:` list' }]);
  const extraTopLevel = Object.keys(file).filter((key) => key !== 'gates');
  const issues: Array<{ field: string; reason: string }> = extraTopLevel.map((key) => ({ field: key, reason: 'is not a quality-gates key (only `gates`)' }));
  if (!Array.isArray(gates) || gates.length === 0) throw new InvalidQualityGatesError([...issues, { field: 'gates', reason: 'must be a non-empty list of gates' }]);
  const specs: ExternalGateSpec[] = [];
  const names = new Set<string>();
  gates.forEach((raw, i) => {
    const where = `gates[${i}]`;
    const issue = (field: string, reason: string) => void issues.push({ field: `${where}.${field}`, reason });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return void issues.push({ field: where, reason: 'must be a mapping' });
    const gate = raw as Record<string, unknown>;
    if (!isName(gate.name)) issue('name', 'is required: 1-128 characters');
    else if (names.has(gate.name)) issue('name', `${gate.name} names another gate too`);
    else names.add(gate.name);
    if (gate.type !== 'threshold' && gate.type !== 'test_suite') return issue('type', 'must be threshold or test_suite');
    for (const key of Object.keys(gate)) if (!KEYS[gate.type].includes(key)) issue(key, `is not a field of a ${gate.type} gate (${KEYS[gate.type].join(', ')})`);
    if (gate.type === 'threshold') {
      if (!isName(gate.metric)) issue('metric', 'is required: the eval metric to compare, 1-128 characters');
      if (!isFiniteNumber(gate.threshold)) issue('threshold', 'must be a number');
      const operator = gate.operator ?? '>=';
      if (!OPERATORS.includes(operator as (typeof OPERATORS)[number])) issue('operator', `must be one of ${OPERATORS.join(', ')}`);
      if (!isName(gate.name) || !isName(gate.metric) || !isFiniteNumber(gate.threshold) || !OPERATORS.includes(operator as (typeof OPERATORS)[number])) return;
      const threshold = gate.threshold;
      const bound = operator === '>=' || operator === '>' ? { min: threshold } : operator === '==' ? { min: threshold, max: threshold } : { max: threshold };
      return void specs.push({ name: gate.name, ...bound, source: { metric: gate.metric } });
    }
    if (!isName(gate.test_suite)) issue('test_suite', 'is required: the eval test suite whose pass rate is compared, 1-128 characters');
    const minPassRate = gate.min_pass_rate ?? 1;
    if (!isFiniteNumber(minPassRate) || minPassRate < 0 || minPassRate > 1) issue('min_pass_rate', 'must be a number from 0 to 1 (a share of the suite\'s tests)');
    if (!isName(gate.name) || !isName(gate.test_suite) || !isFiniteNumber(minPassRate) || minPassRate < 0 || minPassRate > 1) return;
    specs.push({ name: gate.name, min: minPassRate, source: { testSuite: gate.test_suite } });
  });
  if (issues.length > 0) throw new InvalidQualityGatesError(issues);
  return specs;
}

export interface GateResult {
  name: string;
  value: number;
}

/** One result per gate the posted metrics cover (threshold: the metric; test_suite: the pass rate); the rest are missing. */
export function resultsFromEvalMetrics(gates: readonly ExternalGateSpec[], metrics: Record<string, unknown>): { results: GateResult[]; missing: string[] } {
  const results: GateResult[] = [];
  const missing: string[] = [];
  for (const gate of gates) {
    if (!gate.source) continue;
    if ('metric' in gate.source) {
      const value = metrics[gate.source.metric];
      if (typeof value === 'number' && Number.isFinite(value)) results.push({ name: gate.name, value });
      else missing.push(gate.name);
    } else {
      const runs = metrics[gate.source.testSuite];
      if (Array.isArray(runs) && runs.length > 0) results.push({ name: gate.name, value: runs.filter((r) => (r as { passed?: unknown })?.passed === true).length / runs.length });
      else missing.push(gate.name);
    }
  }
  return { results, missing };
}
