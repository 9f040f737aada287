import { z } from 'zod';
import { count, identifier, text, timestamp } from '../primitives';
import { eventSchema } from '../envelope';

/** What happens to sessions already running on a version a kill switches off. */
export const ON_KILL = ['migrate', 'terminate'] as const;
export type OnKill = (typeof ON_KILL)[number];

/**
 * What a kill switches off: every field given must match the call, an absent field matches anything.
 * `versionId` needs `agent`. Kinds: version (agent + versionId, optionally × tenant and/or × feature); whole agent
 * (agent); a tenant or a feature across agents (tenant / feature); global (no field).
 */
export const KillScope = z
  .strictObject({
    agent: identifier().optional(),
    versionId: identifier().optional(),
    tenant: identifier().optional(),
    feature: identifier().optional(),
  })
  .refine((scope) => scope.versionId === undefined || scope.agent !== undefined, { error: 'a version kill must name its agent', path: ['agent'] });

export const Kill = z.strictObject({
  killId: identifier(),
  scope: KillScope,
  reason: text().min(1),
  actor: identifier().describe('Who (user or service) engaged the kill.'),
  killedAt: timestamp(),
  expiresAt: timestamp().nullable().describe('The kill stops applying at this instant (consumers may apply it themselves); null: until released.'),
  onKill: z.enum(ON_KILL).describe('Sessions on a killed version move to the fallback (migrate) or end (terminate).'),
  allowNoRoute: z.boolean().describe('Engaged although it leaves some traffic with no version (route() then answers versionId null).'),
});

export const AgentFallback = z.strictObject({ agent: identifier(), versionId: identifier() });

/** Most kills an environment may hold at once: the whole set travels in one record. */
export const MAX_KILLS_PER_ENVIRONMENT = 1_000;

/**
 * The whole kill set of one environment, published after every change (compacted topic, keyed by environment):
 * one record is the complete state, so a consumer never needs the history.
 */
export const KillSwitchSetV1 = eventSchema(
  'killswitch.set',
  1,
  z.strictObject({
    revision: count().describe('Grows with every change of the environment\'s kill set; consumers keep the highest.'),
    changedAt: timestamp(),
    kills: z.array(Kill).max(MAX_KILLS_PER_ENVIRONMENT).describe('Every kill in force (not released, not known to have expired).'),
    fallbacks: z.array(AgentFallback).describe('Configured safe fallback version per agent (else the routing table\'s fallback serves).'),
    change: text(512).optional().describe('What changed at this revision, for humans (e.g. "kill k-1 engaged").'),
  }),
);

export type KillScopeData = z.output<typeof KillScope>;
export type KillData = z.output<typeof Kill>;
export type KillSetData = z.output<typeof KillSwitchSetV1>['data'];

/** The call a kill is matched against. */
export interface KillTarget {
  agent: string;
  versionId: string;
  tenant?: string;
  feature?: string;
}

/**
 * Does a kill's scope cover this call? Every field the scope names must equal the call's; a scope without a
 * version switches off every version of what it covers except `exemptVersionId` (the agent's fallback, where the
 * killed traffic goes). One definition for the service and the SDK.
 */
export function killScopeCovers(scope: KillScopeData, target: KillTarget, exemptVersionId?: string): boolean {
  if (scope.agent !== undefined && scope.agent !== target.agent) return false;
  if (scope.tenant !== undefined && scope.tenant !== target.tenant) return false;
  if (scope.feature !== undefined && scope.feature !== target.feature) return false;
  if (scope.versionId !== undefined) return scope.versionId === target.versionId;
  return target.versionId !== exemptVersionId;
}

/** The scope's kind, for humans and logs. */
export function killScopeKind(scope: KillScopeData): string {
  if (scope.versionId !== undefined) return ['version', scope.tenant !== undefined && 'tenant', scope.feature !== undefined && 'feature'].filter(Boolean).join('×');
  if (scope.agent !== undefined) return ['agent', scope.tenant !== undefined && 'tenant', scope.feature !== undefined && 'feature'].filter(Boolean).join('×');
  if (scope.tenant !== undefined || scope.feature !== undefined) return [scope.tenant !== undefined && 'tenant', scope.feature !== undefined && 'feature'].filter(Boolean).join('×');
  return 'global';
}
