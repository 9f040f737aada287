import type { CompiledRoutingTable } from '../routing/compiled-table';
import { formatPin, type RouteDecision, type SessionRequest } from '../routing/route';
import { killCovering, namedByKill, type AgentKills } from './compiled-kills';

const NO_SHADOW = Object.freeze([]) as readonly never[];

/**
 * Where an agent's killed traffic of this tenant × feature goes: the configured fallback, else the routing table's
 * fallback (the last version that completed a rollout), else an active version of the table — the first that no
 * kill names for this call. Undefined: nowhere.
 */
export function fallbackFor(kills: AgentKills, table: CompiledRoutingTable | undefined, request: SessionRequest, nowMs: number): string | undefined {
  const call = { tenant: request.tenant, feature: request.feature };
  const usable = (versionId: string | undefined) => versionId !== undefined && !namedByKill(kills, { versionId, ...call }, nowMs);
  if (usable(kills.configuredFallback)) return kills.configuredFallback;
  if (!table) return undefined;
  const tableFallback = table.decision.table.fallbackVersionId;
  if (usable(tableFallback) && table.byId.get(tableFallback)?.state !== 'killed') return tableFallback;
  for (const version of table.decision.table.versions) if (version.state === 'active' && usable(version.versionId)) return version.versionId;
  return undefined;
}

/**
 * Applies the kills in force to a routing decision (the call's agent, version, tenant and feature). A killed version's
 * traffic goes to the fallback with reason 'killed' and the kill id; a session that was on it moves there
 * (`onKill: migrate`) or is ended (`terminate`: `terminated`, start a fresh one). No fallback: versionId null.
 * Returns the decision unchanged when no kill covers it.
 */
export function applyKills(
  decision: RouteDecision,
  kills: AgentKills,
  table: CompiledRoutingTable | undefined,
  request: SessionRequest,
  existingSession: boolean,
  nowMs: number,
): RouteDecision {
  const versionId = decision.versionId;
  if (versionId === null) return decision;
  const call = { versionId, tenant: request.tenant, feature: request.feature };
  let kill = killCovering(kills, call, undefined, nowMs);
  if (!kill) return decision; // the usual case: nothing covers the call, no fallback to work out
  const fallback = fallbackFor(kills, table, request, nowMs);
  if (kill.kill.scope.versionId === undefined && versionId === fallback) {
    kill = killCovering(kills, call, fallback, nowMs); // the fallback is spared by kills that name no version
    if (!kill) return decision;
  }
  const revision = table?.revision ?? 0;
  const killed: RouteDecision =
    fallback === undefined
      ? { versionId: null, reason: 'killed', killId: kill.killId, revision, shadow: NO_SHADOW }
      : toFallback(fallback, table, revision, kill.killId);
  if (existingSession) {
    const wasOn = decision.previousVersionId ?? versionId; // the version the session was on
    if (wasOn !== killed.versionId) {
      killed.previousVersionId = wasOn;
      if (decision.terminated === true || (wasOn === versionId && kill.kill.onKill === 'terminate')) killed.terminated = true;
    }
  }
  return killed;
}

function toFallback(versionId: string, table: CompiledRoutingTable | undefined, revision: number, killId: string): RouteDecision {
  const listed = table?.byId.get(versionId);
  const decision: RouteDecision = { versionId, reason: 'killed', killId, revision, shadow: NO_SHADOW, pin: formatPin(versionId, revision) };
  if (listed) {
    if (listed.label !== undefined) decision.label = listed.label;
    if (listed.endpoint !== undefined) decision.endpoint = listed.endpoint;
    if (listed.spec !== undefined) decision.spec = listed.spec;
  }
  return decision;
}
