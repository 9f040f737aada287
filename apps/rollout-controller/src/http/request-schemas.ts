import { z } from 'zod';

/** Request bodies of the rollout API; the same schemas feed validation and the OpenAPI description. */

const text = (max = 1_000) => z.string().min(1).max(max);
const id = () => z.string().min(1).max(256);
const nonNegative = () => z.number().min(0);
const commandId = id().optional().describe('Idempotency key: a retried command with the same id has no further effect.');

export const StageSchema = z.strictObject({
  name: text(64),
  trafficPercent: z.number().min(0).max(100),
  minDurationMs: z.int().min(0),
  minSamples: z.int().min(0),
  shadowSampleRate: z.number().gt(0).max(1).optional(),
  rampMs: z.int().min(0).optional().describe('Reach trafficPercent linearly over this long (≤ minDurationMs).'),
});

const ExternalGateSchema = z.strictObject({ name: text(128), min: z.number().optional(), max: z.number().optional() });

export const GatesSchema = z.strictObject({
  errorRate: z.strictObject({ maxIncrease: nonNegative().optional(), absoluteMax: nonNegative().optional() }).optional(),
  p99LatencyMs: z.strictObject({ maxIncrease: nonNegative().optional(), absoluteMax: nonNegative().optional() }).optional(),
  costPerRequest: z.strictObject({ maxRelativeIncrease: nonNegative().optional() }).optional(),
  policyViolations: z
    .strictObject({
      max: nonNegative().optional().describe('Critical violations tolerated in a stage (default 0: zero tolerance).'),
      severity: z
        .record(text(128), z.enum(['critical', 'compared']))
        .optional()
        .describe('Per policy: `critical` rolls back on any violation beyond `max`; `compared` compares its rate with the baseline\'s.'),
      defaultSeverity: z.enum(['critical', 'compared']).optional().describe('For policies not named in `severity` (default critical, the seed\'s zero tolerance).'),
      maxRateIncrease: z.number().min(0).max(1).optional().describe('Compared policies: violating requests per request may exceed the baseline\'s by this much (default 0.001).'),
    })
    .optional(),
  statistics: z
    .strictObject({
      alpha: z.number().gt(0).lt(1).optional().describe('Family-wise false-rollback probability of the whole rollout (default 0.05), spent across stages and gates.'),
      minSamplesPerVersion: z.int().min(0).optional(),
    })
    .optional(),
  external: z.array(ExternalGateSchema).optional(),
});

export const StartRolloutSchema = z.strictObject({
  candidateVersionId: id(),
  baselineVersionId: id().optional().describe('Defaults to the active version. On an empty fleet, omit it to adopt the candidate at once (the rollout completes immediately), or name a version already serving outside Iris to roll out against it.'),
  strategy: z.enum(['rainbow', 'canary', 'blue-green']).default('rainbow'),
  stages: z.array(StageSchema).min(1).max(20).optional(),
  gates: GatesSchema.optional(),
  rollbackLimits: z.strictObject({ cooldownMs: z.int().min(0).optional(), maxAutomaticRollbacksPerHour: z.int().min(0).optional() }).optional(),
  sessionPolicyOnRollback: z.enum(['let-finish', 'migrate', 'terminate']).default('let-finish'),
  preflight: z.array(z.strictObject({ name: text(128), passed: z.boolean(), detail: text(1_000).optional() })).optional(),
  shadowExitChecklist: z
    .array(z.enum(['shadow-min-duration', 'shadow-min-samples', 'external-gates', 'fallback']))
    .optional()
    .describe('Checked before the candidate leaves shadow (default: all); a failed item blocks the move and is named.'),
  qualityGates: z
    .union([z.string().max(100_000), z.record(z.string(), z.unknown())])
    .optional()
    .describe('The seed\'s quality_gates.yaml as it is (YAML text, or its JSON form): each gate becomes an external gate of the rollout.'),
  supersedeRunning: z.boolean().optional(),
  rolloutId: id().optional(),
  commandId,
});

export const ReasonRequiredSchema = z.strictObject({ reason: text(), commandId });
export const ReasonOptionalSchema = z.strictObject({ reason: text().optional(), commandId });

export const ExternalGateResultSchema = z.strictObject({
  name: text(128),
  value: z.number(),
  passed: z.boolean().optional().describe('An explicit verdict wins over the configured bounds.'),
  commandId,
});

export const EvalResultsSchema = z.strictObject({
  metrics: z.record(z.string(), z.unknown()).describe('Eval results as the quality gates name them, e.g. { offline_quality_score: 0.87, critical_scenarios: [{ name, passed }] }.'),
  commandId,
});

const CohortSchema = z.strictObject({
  versionId: id(),
  tenants: z.array(id()).max(1_000).default([]),
  users: z.array(id()).max(1_000).default([]),
  features: z.array(id()).max(100).default([]),
});
const OverrideSchema = z.strictObject({ kind: z.enum(['user', 'session', 'tenant']), value: id(), versionId: id(), reason: text(512).optional() });

export const TargetingSchema = z.strictObject({
  cohorts: z.array(CohortSchema).max(100).default([]),
  overrides: z.array(OverrideSchema).max(10_000).default([]),
  commandId,
});

export const FleetPolicySchema = z.strictObject({
  maxLiveVersions: z.int().min(2).nullable().default(null).describe('Live versions per agent (shadow, canary, active, draining); null = unbounded.'),
  maxSessionAgeMs: z.int().min(0).nullable().default(null).describe('How long a version may drain before its sessions are moved; null = unbounded.'),
  onForcedDrain: z.enum(['migrate', 'terminate']).default('migrate'),
  commandId,
});

export type StartRolloutBody = z.output<typeof StartRolloutSchema>;
export type TargetingBody = z.output<typeof TargetingSchema>;
