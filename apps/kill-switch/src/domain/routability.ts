import { killScopeCovers } from '@iris/contracts';
import type { KillSetState } from './state';
import type { Kill } from './types';

/** What the routing tables say of an agent (learned from iris.routing.v1 by the shell). */
export interface AgentRouting {
  /** Versions that take traffic (weight > 0, or active / canary). */
  servingVersionIds: readonly string[];
  /** The table's fallback: the last version that completed a rollout. */
  fallbackVersionId: string | null;
  /** Versions in state active. */
  activeVersionIds: readonly string[];
  /** Every version the table lists. */
  allVersionIds?: readonly string[];
}

/** A slice of an agent's traffic; an absent tenant / feature stands for any not named by a kill. */
export interface Slice {
  tenant?: string;
  feature?: string;
}

export interface KillsInForce {
  kills: readonly Kill[];
  fallbacks: Readonly<Record<string, string>>;
}

const killedExplicitly = (kills: readonly Kill[], agent: string, versionId: string, slice: Slice, nowMs: number) =>
  kills.some((kill) => kill.scope.versionId === versionId && live(kill, nowMs) && killScopeCovers(kill.scope, { agent, versionId, ...slice }));

const live = (kill: Kill, nowMs: number) => kill.expiresAt === null || Date.parse(kill.expiresAt) > nowMs;

/**
 * Where an agent's killed traffic of a slice goes: its configured fallback, else the routing table's fallback (the
 * last version that completed a rollout), else an active version — the first that no kill names for the slice.
 * Kills that name no version never switch off this version (it is where their traffic goes).
 */
export function effectiveFallback(set: KillsInForce, agent: string, slice: Slice, routing: AgentRouting | undefined, nowMs: number): string | null {
  const candidates = [set.fallbacks[agent], routing?.fallbackVersionId ?? undefined, ...(routing?.activeVersionIds ?? [])];
  for (const candidate of candidates) {
    if (candidate !== undefined && !killedExplicitly(set.kills, agent, candidate, slice, nowMs)) return candidate;
  }
  return null;
}

/** The kill (first engaged) that switches off this version for the slice, if any. */
export function killOf(set: KillsInForce, agent: string, versionId: string, slice: Slice, routing: AgentRouting | undefined, nowMs: number): Kill | undefined {
  const exempt = effectiveFallback(set, agent, slice, routing, nowMs) ?? undefined;
  return set.kills.find((kill) => live(kill, nowMs) && killScopeCovers(kill.scope, { agent, versionId, ...slice }, exempt));
}

/** Kills that apply to an agent (its own and those across agents). */
export function killsOfAgent(set: KillsInForce, agent: string): Kill[] {
  return set.kills.filter((kill) => kill.scope.agent === undefined || kill.scope.agent === agent);
}

/** Can some version serve this slice of the agent (its serving versions, or the fallback)? */
export function routableVersion(set: KillsInForce, agent: string, slice: Slice, routing: AgentRouting | undefined, nowMs: number): string | null {
  const fallback = effectiveFallback(set, agent, slice, routing, nowMs);
  const candidates = [...(routing?.servingVersionIds ?? []), ...(fallback === null ? [] : [fallback])];
  return candidates.find((versionId) => !killOf(set, agent, versionId, slice, routing, nowMs)) ?? null;
}

/** The slices to look at: every tenant and feature named by a kill of the agent (× "any other"). */
export function slicesOf(kills: readonly Kill[]): Slice[] {
  const tenants = [undefined, ...new Set(kills.map((k) => k.scope.tenant).filter((t): t is string => t !== undefined))];
  const features = [undefined, ...new Set(kills.map((k) => k.scope.feature).filter((f): f is string => f !== undefined))];
  return tenants.flatMap((tenant) => features.map((feature) => ({ ...(tenant !== undefined && { tenant }), ...(feature !== undefined && { feature }) })));
}

export interface StrandedSlice extends Slice {
  agent: string;
}

/**
 * Slices of the given agents that had a routable version before and have none after (what a kill would strand).
 * A slice with no version before (no table, no fallback) is not the kill's doing and is not reported.
 */
export function strandedSlices(
  before: KillsInForce,
  after: KillsInForce,
  agents: readonly string[],
  routingOf: (agent: string) => AgentRouting | undefined,
  nowMs: number,
): StrandedSlice[] {
  const stranded: StrandedSlice[] = [];
  for (const agent of agents) {
    const routing = routingOf(agent);
    for (const slice of slicesOf(killsOfAgent(after, agent))) {
      if (routableVersion(before, agent, slice, routing, nowMs) === null) continue;
      if (routableVersion(after, agent, slice, routing, nowMs) === null) stranded.push({ agent, ...slice });
    }
  }
  return stranded;
}

/** The kill set as KillsInForce. */
export function inForce(state: KillSetState): KillsInForce {
  return { kills: state.kills, fallbacks: state.fallbacks };
}
