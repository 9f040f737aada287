import type { EventData, RouteVersionData } from '@iris/contracts';
import { agentSeed, shadowSeed } from './session-hash';
import { buildLayout, heaviestIndex, WeightLayout } from './weight-layout';

/** The payload of a `routing.decision` event: one agent's full routing table at one revision. */
export type RoutingDecisionData = EventData<'routing.decision'>;
export type VersionState = RouteVersionData['state'];

/** States whose running sessions may continue (and that overrides / cohorts may target). */
const SERVES_SESSIONS: ReadonlySet<VersionState> = new Set(['shadow', 'canary', 'active', 'draining']);
/** States that may take new sessions (when their weight is > 0). A shadow only receives mirrored traffic. */
const TAKES_NEW_SESSIONS: ReadonlySet<VersionState> = new Set(['canary', 'active', 'draining']);

export function servesSessions(version: RouteVersionData): boolean {
  return SERVES_SESSIONS.has(version.state);
}

export interface ShadowRule {
  readonly versionId: string;
  readonly sampleRate: number;
  readonly seed: number;
  readonly endpoint?: string;
}

export interface EpochLayout {
  readonly revision: number;
  readonly effectiveAtMs: number;
  readonly layout: WeightLayout;
}

/**
 * A routing table prepared once per revision for the hot path: lookups by id, weight layouts with their
 * cumulative sums, targeting as maps, parsed epoch times. Immutable.
 */
export interface CompiledRoutingTable {
  readonly agent: string;
  readonly revision: number;
  readonly decision: RoutingDecisionData;
  readonly strategy: RoutingDecisionData['table']['strategy'];
  readonly byId: ReadonlyMap<string, RouteVersionData>;
  /** FNV-1a state after the agent (see session-hash). */
  readonly seed: number;
  /** The weights in force now: the table's versions (targeting.ramp applied). */
  readonly current: WeightLayout;
  /** Per entry of `current`: 1 when that version may take new sessions. */
  readonly openToNew: Uint8Array;
  /** openToNew, or undefined when every weighted version is open (the placement then skips the check). */
  readonly newSessionMask?: Uint8Array;
  /** Index in `current` of the blue-green target when it does not depend on time (no ramp); −1 when none. */
  readonly staticHeaviest: number;
  /** Oldest first; the last one is treated as the current weights. */
  readonly epochs: readonly EpochLayout[];
  readonly overrides: {
    readonly session: ReadonlyMap<string, RouteVersionData>;
    readonly user: ReadonlyMap<string, RouteVersionData>;
    readonly tenant: ReadonlyMap<string, RouteVersionData>;
  };
  readonly cohorts: {
    /** Value → index of the first cohort (list order) that names it; only cohorts whose version serves sessions. */
    readonly tenant: ReadonlyMap<string, number>;
    readonly user: ReadonlyMap<string, number>;
    readonly feature: ReadonlyMap<string, number>;
    readonly versions: readonly RouteVersionData[];
  };
  readonly shadow: readonly ShadowRule[];
  /** The table's fallback, or the first version that serves sessions when that one cannot (killed…). */
  readonly fallback?: RouteVersionData | { versionId: string };
  readonly maxSessionAgeMs?: number;
}

/** Compiles a decision; pure and deterministic. */
export function compileRoutingTable(decision: RoutingDecisionData): CompiledRoutingTable {
  const { table } = decision;
  const byId = new Map(table.versions.map((v) => [v.versionId, v]));
  const current = buildLayout(
    table.versions.map((v) => [v.versionId, v.newSessionWeight] as const),
    table.targeting.ramp,
  );
  const openToNew = Uint8Array.from(current.versionIds, (id) => (TAKES_NEW_SESSIONS.has(byId.get(id)?.state as VersionState) ? 1 : 0));
  const hasClosedWeight = current.versionIds.some((_, i) => openToNew[i] === 0 && (current.weights[i] > 0 || current.ramp?.index === i));

  return {
    agent: decision.agent,
    revision: decision.revision,
    decision,
    strategy: table.strategy,
    byId,
    seed: agentSeed(decision.agent),
    current,
    openToNew,
    newSessionMask: hasClosedWeight ? openToNew : undefined,
    staticHeaviest: current.ramp ? -1 : heaviestIndex(current, 0, openToNew),
    epochs: table.epochs.map((epoch) => ({
      revision: epoch.revision,
      effectiveAtMs: Date.parse(epoch.effectiveAt),
      layout: buildLayout(Object.entries(epoch.weights), epoch.ramp),
    })),
    overrides: compileOverrides(table.targeting.overrides, byId),
    cohorts: compileCohorts(table.targeting.cohorts, byId),
    shadow: table.shadowTargets
      .filter((target) => target.sampleRate > 0 && byId.get(target.versionId)?.state !== 'killed')
      .map((target) => ({
        versionId: target.versionId,
        sampleRate: target.sampleRate,
        seed: shadowSeed(target.versionId),
        endpoint: byId.get(target.versionId)?.endpoint,
      })),
    fallback: resolveFallback(table.fallbackVersionId, table.versions, byId),
    maxSessionAgeMs: table.maxSessionAgeMs,
  };
}

type Overrides = RoutingDecisionData['table']['targeting']['overrides'];
type Cohorts = RoutingDecisionData['table']['targeting']['cohorts'];

function compileOverrides(overrides: Overrides, byId: ReadonlyMap<string, RouteVersionData>): CompiledRoutingTable['overrides'] {
  const maps = { session: new Map<string, RouteVersionData>(), user: new Map<string, RouteVersionData>(), tenant: new Map<string, RouteVersionData>() };
  for (const override of overrides) {
    const version = byId.get(override.versionId);
    if (version === undefined || !servesSessions(version)) continue; // never to a killed, drained, retired or unknown version
    const map = maps[override.kind];
    if (!map.has(override.value)) map.set(override.value, version); // the first one listed wins
  }
  return maps;
}

function compileCohorts(cohorts: Cohorts, byId: ReadonlyMap<string, RouteVersionData>): CompiledRoutingTable['cohorts'] {
  const compiled = { tenant: new Map<string, number>(), user: new Map<string, number>(), feature: new Map<string, number>(), versions: [] as RouteVersionData[] };
  for (const cohort of cohorts) {
    const version = byId.get(cohort.versionId);
    if (version === undefined || !servesSessions(version)) continue;
    const index = compiled.versions.push(version) - 1;
    for (const tenant of cohort.tenants) if (!compiled.tenant.has(tenant)) compiled.tenant.set(tenant, index);
    for (const user of cohort.users) if (!compiled.user.has(user)) compiled.user.set(user, index);
    for (const feature of cohort.features) if (!compiled.feature.has(feature)) compiled.feature.set(feature, index);
  }
  return compiled;
}

function resolveFallback(
  fallbackVersionId: string,
  versions: readonly RouteVersionData[],
  byId: ReadonlyMap<string, RouteVersionData>,
): CompiledRoutingTable['fallback'] {
  const listed = byId.get(fallbackVersionId);
  if (!listed) return { versionId: fallbackVersionId }; // not in the table: no state that forbids it
  if (servesSessions(listed)) return listed;
  return versions.find((v) => v.state === 'active') ?? versions.find(servesSessions);
}
