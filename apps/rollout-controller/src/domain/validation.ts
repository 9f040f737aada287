import { DEFAULT_GATE_THRESHOLDS, DEFAULT_ROLLBACK_LIMITS, defaultStagesFor } from './constants';
import { InvalidRolloutCommandError, UnknownVersionError } from './errors';
import type { RolloutAggregateState } from './state';
import { SHADOW_EXIT_CHECKS, type FleetPolicy, type GateOverrides, type GateThresholds, type RollbackLimits, type ShadowExitCheck, type StageSpec, type Strategy, type Targeting } from './types';

/** Turns StartRollout's optional settings into complete, checked values (the event stores the result). */

const STRATEGIES: readonly Strategy[] = ['rainbow', 'canary', 'blue-green'];

export function checkStrategy(strategy: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new InvalidRolloutCommandError(`unknown strategy ${strategy}`);
  return strategy as Strategy;
}

export function resolveStages(strategy: Strategy, stages: StageSpec[] | undefined): StageSpec[] {
  const resolved = (stages ?? defaultStagesFor(strategy)).map((s) => ({ ...s }));
  if (resolved.length === 0) throw new InvalidRolloutCommandError('stages must not be empty');
  resolved.forEach((stage, i) => {
    const where = `stages[${i}]`;
    if (!stage.name) throw new InvalidRolloutCommandError(`${where}.name is empty`);
    if (!isBetween(stage.trafficPercent, 0, 100)) throw new InvalidRolloutCommandError(`${where}.trafficPercent must be within 0..100`);
    if (i > 0 && stage.trafficPercent <= resolved[i - 1]!.trafficPercent)
      throw new InvalidRolloutCommandError(`${where}.trafficPercent must be greater than the previous stage's`);
    if (!isNonNegative(stage.minDurationMs)) throw new InvalidRolloutCommandError(`${where}.minDurationMs must be ≥ 0`);
    if (!isNonNegative(stage.minSamples)) throw new InvalidRolloutCommandError(`${where}.minSamples must be ≥ 0`);
    if (stage.rampMs !== undefined && !(isNonNegative(stage.rampMs) && stage.rampMs <= stage.minDurationMs))
      throw new InvalidRolloutCommandError(`${where}.rampMs must be within 0..minDurationMs`);
    if (stage.shadowSampleRate !== undefined && !(stage.shadowSampleRate > 0 && stage.shadowSampleRate <= 1))
      throw new InvalidRolloutCommandError(`${where}.shadowSampleRate must be within (0, 1]`);
  });
  if (resolved[resolved.length - 1]!.trafficPercent !== 100) throw new InvalidRolloutCommandError('the last stage must be 100 %');
  return resolved;
}

export function resolveGates(overrides: GateOverrides | undefined): GateThresholds {
  const d = DEFAULT_GATE_THRESHOLDS;
  const o = overrides ?? {};
  const gates: GateThresholds = {
    errorRate: { ...d.errorRate, ...o.errorRate },
    p99LatencyMs: { ...d.p99LatencyMs, ...o.p99LatencyMs },
    costPerRequest: { ...d.costPerRequest, ...o.costPerRequest },
    policyViolations: { ...d.policyViolations, ...o.policyViolations },
    statistics: { ...d.statistics, ...o.statistics },
    external: (o.external ?? d.external).map((g) => ({ ...g })),
  };
  const limits: [string, number][] = [
    ['errorRate.maxIncrease', gates.errorRate.maxIncrease],
    ['errorRate.absoluteMax', gates.errorRate.absoluteMax],
    ['p99LatencyMs.maxIncrease', gates.p99LatencyMs.maxIncrease],
    ['p99LatencyMs.absoluteMax', gates.p99LatencyMs.absoluteMax],
    ['costPerRequest.maxRelativeIncrease', gates.costPerRequest.maxRelativeIncrease],
    ['policyViolations.max', gates.policyViolations.max],
    ['statistics.minSamplesPerVersion', gates.statistics.minSamplesPerVersion],
  ];
  for (const [name, value] of limits) if (!isNonNegative(value)) throw new InvalidRolloutCommandError(`gates.${name} must be ≥ 0`);
  const policies = gates.policyViolations;
  if (policies.maxRateIncrease !== undefined && !isBetween(policies.maxRateIncrease, 0, 1))
    throw new InvalidRolloutCommandError('gates.policyViolations.maxRateIncrease must be within [0, 1]');
  for (const [policy, severity] of [...Object.entries(policies.severity ?? {}), ['(default)', policies.defaultSeverity ?? 'critical'] as const])
    if (severity !== 'critical' && severity !== 'compared')
      throw new InvalidRolloutCommandError(`gates.policyViolations.severity of ${policy} must be critical or compared`);
  if (!(gates.statistics.alpha > 0 && gates.statistics.alpha < 1)) throw new InvalidRolloutCommandError('gates.statistics.alpha must be within (0, 1)');
  const names = gates.external.map((g) => g.name);
  if (names.some((n) => !n) || new Set(names).size !== names.length)
    throw new InvalidRolloutCommandError('gates.external names must be non-empty and unique');
  return gates;
}

export function resolveRollbackLimits(overrides: Partial<RollbackLimits> | undefined): RollbackLimits {
  const limits = { ...DEFAULT_ROLLBACK_LIMITS, ...overrides };
  if (!isNonNegative(limits.cooldownMs)) throw new InvalidRolloutCommandError('rollbackLimits.cooldownMs must be ≥ 0');
  if (!Number.isInteger(limits.maxAutomaticRollbacksPerHour) || limits.maxAutomaticRollbacksPerHour < 0)
    throw new InvalidRolloutCommandError('rollbackLimits.maxAutomaticRollbacksPerHour must be an integer ≥ 0');
  return limits;
}

const isNonNegative = (n: number): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
const isBetween = (n: number, min: number, max: number): boolean => typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max;

const OVERRIDE_KINDS = ['user', 'session', 'tenant'];
const TARGETABLE_STATES = ['shadow', 'canary', 'active', 'draining'];

/** Targeting may only name versions of this fleet that can still take sessions. */
export function checkTargeting(targeting: Targeting | undefined, state: RolloutAggregateState): Targeting {
  if (!targeting || !Array.isArray(targeting.cohorts) || !Array.isArray(targeting.overrides))
    throw new InvalidRolloutCommandError('targeting needs cohorts[] and overrides[]');
  const checkVersion = (versionId: string, where: string) => {
    const version = state.fleet.find((v) => v.versionId === versionId);
    if (!version) throw new UnknownVersionError(versionId);
    if (!TARGETABLE_STATES.includes(version.state))
      throw new InvalidRolloutCommandError(`${where}: version ${versionId} is ${version.state} and takes no sessions`);
  };
  const strings = (list: unknown, where: string): string[] => {
    if (list === undefined) return [];
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0))
      throw new InvalidRolloutCommandError(`${where} must be a list of non-empty strings`);
    return [...list];
  };
  const cohorts = targeting.cohorts.map((c, i) => {
    checkVersion(c.versionId, `targeting.cohorts[${i}]`);
    return {
      versionId: c.versionId,
      tenants: strings(c.tenants, `targeting.cohorts[${i}].tenants`),
      users: strings(c.users, `targeting.cohorts[${i}].users`),
      features: strings(c.features, `targeting.cohorts[${i}].features`),
    };
  });
  const overrides = targeting.overrides.map((o, i) => {
    if (!OVERRIDE_KINDS.includes(o.kind)) throw new InvalidRolloutCommandError(`targeting.overrides[${i}].kind must be one of ${OVERRIDE_KINDS.join(', ')}`);
    if (!o.value) throw new InvalidRolloutCommandError(`targeting.overrides[${i}].value is empty`);
    checkVersion(o.versionId, `targeting.overrides[${i}]`);
    return { kind: o.kind, value: o.value, versionId: o.versionId, ...(o.reason !== undefined && { reason: o.reason }) };
  });
  return { cohorts, overrides };
}

export function checkShadowExitChecklist(list: ShadowExitCheck[] | undefined): ShadowExitCheck[] {
  if (list === undefined) return [...SHADOW_EXIT_CHECKS];
  const unknown = list.filter((item) => !SHADOW_EXIT_CHECKS.includes(item));
  if (unknown.length > 0) throw new InvalidRolloutCommandError(`shadowExitChecklist: unknown items ${unknown.join(', ')} (known: ${SHADOW_EXIT_CHECKS.join(', ')})`);
  return [...new Set(list)];
}

export function checkFleetPolicy(policy: FleetPolicy | undefined): FleetPolicy {
  if (!policy) throw new InvalidRolloutCommandError('policy is required');
  const { maxLiveVersions, maxSessionAgeMs, onForcedDrain } = policy;
  if (maxLiveVersions !== null && !(Number.isInteger(maxLiveVersions) && maxLiveVersions >= 2))
    throw new InvalidRolloutCommandError('policy.maxLiveVersions must be an integer ≥ 2 (a baseline and a candidate) or null');
  if (maxSessionAgeMs !== null && !isNonNegative(maxSessionAgeMs)) throw new InvalidRolloutCommandError('policy.maxSessionAgeMs must be ≥ 0 or null');
  if (onForcedDrain !== 'migrate' && onForcedDrain !== 'terminate') throw new InvalidRolloutCommandError('policy.onForcedDrain must be migrate or terminate');
  return { maxLiveVersions, maxSessionAgeMs, onForcedDrain };
}
