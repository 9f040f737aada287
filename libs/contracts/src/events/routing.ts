import { z } from 'zod';
import { count, fraction, identifier, text, timestamp } from '../primitives';
import { eventSchema } from '../envelope';

/** Lifecycle of a deployed version as the router sees it (rainbow: several may be live). */
export const VERSION_STATES = ['shadow', 'canary', 'active', 'draining', 'drained', 'retired', 'killed'] as const;
/** What the router does with sessions already running on a version. */
export const EXISTING_SESSIONS = ['keep', 'migrate', 'terminate'] as const;
export const SESSION_POLICIES = ['let-finish', 'migrate', 'terminate'] as const;
export const STRATEGIES = ['rainbow', 'canary', 'blue-green'] as const;

export const RouteVersion = z.strictObject({
  versionId: identifier(),
  label: identifier().optional().describe('Registry label, e.g. 2.4.0.'),
  state: z.enum(VERSION_STATES),
  newSessionWeight: fraction().describe('Share of new sessions; the weights of a table sum to 1 (or 0 when nothing routes).'),
  existingSessions: z.enum(EXISTING_SESSIONS),
  endpoint: z.url().optional().describe('Where instances of this version serve (versions that differ in code run as separate deployments).'),
  spec: z.record(z.string(), z.unknown()).optional().describe('The full agent-version tuple as registered (code, model, prompt, tools, policies).'),
});

export const ShadowTarget = z.strictObject({ versionId: identifier(), sampleRate: fraction() });

/** New sessions of these tenants / users / features go to `versionId` first (dogfooding), whatever the weights. */
export const Cohort = z.strictObject({
  versionId: identifier(),
  tenants: z.array(identifier()).default([]),
  users: z.array(identifier()).default([]),
  features: z.array(identifier()).default([]),
});

/** Debug override: this user / session / tenant always gets `versionId`. */
export const RouteOverride = z.strictObject({
  kind: z.enum(['user', 'session', 'tenant']),
  value: identifier(),
  versionId: identifier(),
  reason: text(512).optional(),
});

/** Linear ramp of one version's new-session weight between two instants; the others share the rest in proportion. */
export const WeightRamp = z
  .strictObject({ versionId: identifier(), fromWeight: fraction(), toWeight: fraction(), startAt: timestamp(), endAt: timestamp() })
  .refine((r) => Date.parse(r.endAt) > Date.parse(r.startAt), { error: 'must end after it starts', path: ['endAt'] });

/** The weights in force from `effectiveAt`: lets any instance place a session by when it started. */
export const WeightEpoch = z.strictObject({
  revision: count(),
  effectiveAt: timestamp(),
  weights: z.record(identifier(), fraction()),
  ramp: WeightRamp.optional(),
});

export const Targeting = z.strictObject({
  cohorts: z.array(Cohort).default([]),
  overrides: z.array(RouteOverride).default([]),
  ramp: WeightRamp.optional(),
});

export const RoutingTable = z
  .strictObject({
    strategy: z.enum(STRATEGIES).default('rainbow'),
    versions: z.array(RouteVersion),
    shadowTargets: z.array(ShadowTarget).default([]),
    fallbackVersionId: identifier(),
    sessionPolicy: z.enum(SESSION_POLICIES).default('let-finish'),
    targeting: Targeting.default({ cohorts: [], overrides: [] }),
    /** Recent weight epochs, oldest first, newest last (bounded); the newest equals the current weights. */
    epochs: z.array(WeightEpoch).default([]),
    maxSessionAgeMs: count().optional().describe('Sessions older than this are moved off a draining version.'),
  })
  .refine((t) => new Set(t.versions.map((v) => v.versionId)).size === t.versions.length, {
    error: 'must not list a versionId twice',
    path: ['versions'],
  });

/** The authoritative routing table of one agent; latest revision wins (compacted topic). */
export const RoutingDecisionV1 = eventSchema(
  'routing.decision',
  1,
  z.strictObject({
    agent: identifier(),
    revision: count().describe('Monotonically increasing per agent.'),
    decidedAt: timestamp().optional().describe('Event time of the decision (from the command or snapshot that caused it).'),
    table: RoutingTable,
    rolloutId: identifier().nullable().optional(),
    reason: text().optional(),
  }),
);

export type RoutingTableData = z.output<typeof RoutingTable>;
export type RouteVersionData = z.output<typeof RouteVersion>;
export type WeightEpochData = z.output<typeof WeightEpoch>;
export type TargetingData = z.output<typeof Targeting>;
