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

export function externalGatesFromQualityGates(file: unknown): ExternalGateSpec[] {
  const gates = (file as { gates?: unknown } | null)?.gates;
  if (!Array.isArray(gates)) throw new InvalidRolloutCommandError('qualityGates: expected a `gates:` list');
  return gates.map((raw, i) => {
    const where = `qualityGates.gates[${i}]`;
    const gate = raw as Partial<QualityGateEntry>;
    if (typeof gate.name !== 'string' || gate.name === '') throw new InvalidRolloutCommandError(`${where}.name is required`);
    if (gate.type === 'threshold') {
      if (typeof gate.metric !== 'string' || typeof gate.threshold !== 'number')
        throw new InvalidRolloutCommandError(`${where}: a threshold gate needs metric and threshold`);
      const operator = gate.operator ?? '>=';
      const bound = operator === '>=' || operator === '>' ? { min: gate.threshold } : operator === '<=' || operator === '<' ? { max: gate.threshold } : operator === '==' ? { min: gate.threshold, max: gate.threshold } : undefined;
      if (!bound) throw new InvalidRolloutCommandError(`${where}.operator must be one of >=, <=, >, <, ==`);
      return { name: gate.name, ...bound, source: { metric: gate.metric } };
    }
    if (gate.type === 'test_suite') {
      if (typeof gate.test_suite !== 'string') throw new InvalidRolloutCommandError(`${where}: a test_suite gate needs test_suite`);
      return { name: gate.name, min: gate.min_pass_rate ?? 1, source: { testSuite: gate.test_suite } };
    }
    throw new InvalidRolloutCommandError(`${where}.type must be threshold or test_suite`);
  });
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
