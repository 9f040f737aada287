import type { RouteVersionData } from '@iris/contracts';
import { compileRoutingTable, CompiledRoutingTable, EpochLayout, RoutingDecisionData, servesSessions } from './compiled-table';
import { applyKills } from '../killswitch/apply-kills';
import type { AgentKills } from '../killswitch/compiled-kills';
import { sessionHash, unitPoint } from './session-hash';
import { heaviestIndex, pickIndex } from './weight-layout';

/** When a session started: epoch milliseconds, a Date or an ISO-8601 string. */
export type SessionTime = number | Date | string;

export interface RouteRequest {
  agent: string;
  sessionId: string;
  tenant?: string;
  feature?: string;
  user?: string;
  /** When the session started: places it with the weights in force then, on any instance (no network call). */
  sessionStartedAt?: SessionTime;
  /** The `pin` of an earlier decision for this session, kept in the session's state: takes precedence. */
  pinnedVersionId?: string;
}

/** What routing reads of a request once the agent's table is chosen. */
export type SessionRequest = Omit<RouteRequest, 'agent'>;

export type RouteReason = 'override' | 'cohort' | 'pinned' | 'weighted' | 'fallback' | 'blue-green' | 'migrated' | 'killed';

export interface ShadowRoute {
  versionId: string;
  sampleRate: number;
  endpoint?: string;
}

export interface RouteDecision {
  /** The version to serve the request; null only when every version is killed and no default may serve. */
  versionId: string | null;
  label?: string;
  endpoint?: string;
  /** The full agent-version tuple as registered (code, model, prompt, tools, policies); shared: read-only. */
  spec?: Record<string, unknown>;
  reason: RouteReason;
  /** reason 'killed': the kill (of the kill switch) that moved this request off the version routing chose. */
  killId?: string;
  /** Revision of the table that decided (0: no table yet). */
  revision: number;
  /** Versions this request should be mirrored to (deterministic per session). */
  shadow: readonly ShadowRoute[];
  /** Keep it in the session's state and pass it back as `pinnedVersionId`: the session stays where it started. */
  pin?: string;
  /** The session must end (its version terminates its sessions); start a fresh one on `versionId`. */
  terminated?: true;
  /** The version the session was on when it was moved (migrated, terminated, blue-green switch). */
  previousVersionId?: string;
  /** The pin names a version this instance's table does not list yet (a newer table placed it): kept, without endpoint or tuple. */
  tableBehind?: true;
}

export interface RouteOptions {
  /** Serves when there is no table at all (never received one), or when the table leaves nothing to route to. */
  defaultVersionId?: string;
  /** The kills in force for the agent (CompiledKillSet.forAgent): a killed version's traffic goes to the fallback. */
  kills?: AgentKills;
}

const NO_SHADOW: readonly ShadowRoute[] = Object.freeze([]);
const compiledByDecision = new WeakMap<RoutingDecisionData, CompiledRoutingTable>();

/**
 * Routes one request of a session. Pure: same table, request and time → same decision, in every process.
 *
 * Precedence: override (session > user > tenant) → cohort → blue-green → pinned (pin token, else the epoch in
 * force when the session started) subject to its version's `existingSessions` → weighted (current weights)
 * → fallback. Killed versions never get traffic; with `options.kills`, kills of the kill switch apply last.
 */
export function route(
  table: CompiledRoutingTable | RoutingDecisionData | undefined,
  request: RouteRequest,
  nowMs: number,
  options: RouteOptions = {},
): RouteDecision {
  const compiled = table === undefined ? undefined : asCompiled(table);
  const startedAtMs = request.sessionStartedAt === undefined ? undefined : toEpochMs(request.sessionStartedAt);
  const hash = compiled === undefined ? 0 : sessionHash(compiled.seed, request.sessionId);
  const decision = routeSession(compiled, request, hash, request.pinnedVersionId, startedAtMs, nowMs, options.defaultVersionId);
  if (options.kills === undefined) return decision;
  return applyKills(decision, options.kills, compiled, request, request.pinnedVersionId !== undefined || startedAtMs !== undefined, nowMs);
}

/** Compiles a raw decision once (cached per object); compiled tables pass through. */
export function asCompiled(table: CompiledRoutingTable | RoutingDecisionData): CompiledRoutingTable {
  if ('byId' in table) return table;
  let compiled = compiledByDecision.get(table);
  if (!compiled) compiledByDecision.set(table, (compiled = compileRoutingTable(table)));
  return compiled;
}

/**
 * route() with the session hash computed and the session's history resolved (the SessionRouter passes what
 * its cache knows). `hash` = sessionHash(table.seed, request.sessionId).
 */
export function routeSession(
  table: CompiledRoutingTable | undefined,
  request: SessionRequest,
  hash: number,
  pinnedVersionId: string | undefined,
  startedAtMs: number | undefined,
  nowMs: number,
  defaultVersionId: string | undefined,
): RouteDecision {
  if (!table) return fallbackDecision(undefined, defaultVersionId, 0);

  const override = findOverride(table, request);
  if (override) return decide(table, override, 'override', hash);
  const cohort = findCohort(table, request);
  if (cohort) return decide(table, cohort, 'cohort', hash);

  const { versionId: pinnedId, revision: pinRevision } = pinnedVersionId === undefined ? { versionId: undefined, revision: 0 } : parsePin(pinnedVersionId);
  if (table.strategy === 'blue-green') {
    const index = table.current.ramp ? heaviestIndex(table.current, nowMs, table.openToNew) : table.staticHeaviest;
    if (index < 0) return fallbackDecision(table, defaultVersionId, hash);
    const target = table.byId.get(table.current.versionIds[index])!;
    const previous = pinnedId !== undefined && pinnedId !== target.versionId ? pinnedId : undefined;
    return decide(table, target, 'blue-green', hash, previous);
  }

  let pinned = pinnedId;
  let pinnedByCurrentWeights = false;
  if (pinned === undefined && startedAtMs === undefined) {
    if (!newestEpochPending(table, nowMs)) return placeNew(table, hash, nowMs, 'weighted', defaultVersionId);
    // The table's newest weights take effect later (their effectiveAt): until then a new session is placed
    // exactly as any instance will place it later by its start time — by the epoch in force now.
    return asNewSession(routeSession(table, request, hash, undefined, nowMs, nowMs, defaultVersionId));
  }
  if (pinned === undefined && startedAtMs !== undefined) {
    const epoch = epochAt(table, startedAtMs);
    // In the newest epoch (or without epochs) the session sits where a new session would: the current weights,
    // as of when it started (a ramp keeps moving).
    pinnedByCurrentWeights = epoch === undefined || epoch === table.epochs[table.epochs.length - 1];
    const layout = pinnedByCurrentWeights ? table.current : epoch!.layout;
    const mask = pinnedByCurrentWeights ? table.newSessionMask : undefined; // as a new session was placed
    const index = pickIndex(layout, hash, Math.min(startedAtMs, nowMs), mask);
    if (index >= 0) pinned = layout.versionIds[index];
  }
  if (pinned === undefined) return placeNew(table, hash, nowMs, 'weighted', defaultVersionId);

  const version = table.byId.get(pinned);
  if (version === undefined && pinRevision > table.revision) {
    // Placed by a NEWER table than this instance has received (another instance is a moment ahead): the session
    // stays where it is rather than being moved by stale weights.
    return { versionId: pinned, reason: 'pinned', revision: table.revision, shadow: NO_SHADOW, pin: pinnedVersionId, tableBehind: true };
  }
  if (version === undefined || !servesSessions(version)) {
    // killed, drained, retired or gone: its sessions move (or end, if it terminates them)
    const terminate = version?.existingSessions === 'terminate';
    return placeNew(table, hash, nowMs, 'migrated', defaultVersionId, pinned, terminate);
  }
  const policy = version.existingSessions;
  switch (policy) {
    case 'keep': {
      const tooOld =
        version.state === 'draining' &&
        table.maxSessionAgeMs !== undefined &&
        startedAtMs !== undefined &&
        nowMs - startedAtMs > table.maxSessionAgeMs;
      if (tooOld) return placeNew(table, hash, nowMs, 'migrated', defaultVersionId, pinned);
      if (pinnedByCurrentWeights && openAt(table, pinned)) return decide(table, version, 'weighted', hash);
      return decide(table, version, 'pinned', hash);
    }
    case 'migrate':
      return placeNew(table, hash, nowMs, 'migrated', defaultVersionId, pinned);
    case 'terminate':
      return placeNew(table, hash, nowMs, 'migrated', defaultVersionId, pinned, true);
    default: {
      const unreachable: never = policy;
      throw new Error(`unknown existingSessions ${String(unreachable)}`);
    }
  }
}

/** True while the table's newest epoch is not in force yet (its effectiveAt lies ahead of `nowMs`). */
export function newestEpochPending(table: CompiledRoutingTable, nowMs: number): boolean {
  const epochs = table.epochs;
  return epochs.length > 1 && epochs[epochs.length - 1].effectiveAtMs > nowMs;
}

/** A session that starts with this request: it has no earlier version to be pinned to, migrated off or ended. */
function asNewSession(decision: RouteDecision): RouteDecision {
  if (decision.reason === 'pinned' || decision.reason === 'migrated') decision.reason = 'weighted';
  delete decision.previousVersionId;
  delete decision.terminated;
  return decision;
}

/** The last epoch whose effectiveAt ≤ t; before the oldest kept one, the oldest (the nearest known weights). */
export function epochAt(table: CompiledRoutingTable, atMs: number): EpochLayout | undefined {
  const epochs = table.epochs;
  for (let i = epochs.length - 1; i >= 0; i--) if (epochs[i].effectiveAtMs <= atMs) return epochs[i];
  return epochs[0];
}

/** A placement by the current weights among the versions open to new sessions (never killed, drained, shadow…). */
function placeNew(
  table: CompiledRoutingTable,
  hash: number,
  nowMs: number,
  reason: 'weighted' | 'migrated',
  defaultVersionId: string | undefined,
  previousVersionId?: string,
  terminated = false,
): RouteDecision {
  const layout = table.current;
  const index = pickIndex(layout, hash, nowMs, table.newSessionMask);
  if (index < 0) {
    const fallback = fallbackDecision(table, defaultVersionId, hash);
    return withMove(fallback, previousVersionId, terminated);
  }
  const version = table.byId.get(layout.versionIds[index])!;
  const effectiveReason = reason === 'migrated' && version.versionId === previousVersionId && !terminated ? 'pinned' : reason;
  return withMove(decide(table, version, effectiveReason, hash), effectiveReason === 'pinned' ? undefined : previousVersionId, terminated);
}

function withMove(decision: RouteDecision, previousVersionId: string | undefined, terminated: boolean): RouteDecision {
  if (previousVersionId !== undefined && previousVersionId !== decision.versionId) decision.previousVersionId = previousVersionId;
  if (terminated) decision.terminated = true;
  return decision;
}

function openAt(table: CompiledRoutingTable, versionId: string): boolean {
  const index = table.current.versionIds.indexOf(versionId);
  return index >= 0 && table.openToNew[index] === 1;
}

function findOverride(table: CompiledRoutingTable, request: SessionRequest): RouteVersionData | undefined {
  const { session, user, tenant } = table.overrides;
  return (
    (session.size > 0 ? session.get(request.sessionId) : undefined) ??
    (user.size > 0 && request.user !== undefined ? user.get(request.user) : undefined) ??
    (tenant.size > 0 && request.tenant !== undefined ? tenant.get(request.tenant) : undefined)
  );
}

/** The first cohort (in table order) naming the request's tenant, user or feature. */
function findCohort(table: CompiledRoutingTable, request: SessionRequest): RouteVersionData | undefined {
  const cohorts = table.cohorts;
  if (cohorts.versions.length === 0) return undefined;
  let best = Infinity;
  if (request.tenant !== undefined) best = Math.min(best, cohorts.tenant.get(request.tenant) ?? Infinity);
  if (request.user !== undefined) best = Math.min(best, cohorts.user.get(request.user) ?? Infinity);
  if (request.feature !== undefined) best = Math.min(best, cohorts.feature.get(request.feature) ?? Infinity);
  return best === Infinity ? undefined : cohorts.versions[best];
}

function fallbackDecision(table: CompiledRoutingTable | undefined, defaultVersionId: string | undefined, hash: number): RouteDecision {
  const revision = table?.revision ?? 0;
  const defaultMayServe = defaultVersionId !== undefined && table?.byId.get(defaultVersionId)?.state !== 'killed';
  const candidate = table?.fallback ?? (defaultMayServe ? { versionId: defaultVersionId } : undefined);
  if (!candidate) return { versionId: null, reason: 'fallback', revision, shadow: NO_SHADOW };
  const listed = table?.byId.get(candidate.versionId);
  if (table && listed) return decide(table, listed, 'fallback', hash);
  return { versionId: candidate.versionId, reason: 'fallback', revision, shadow: NO_SHADOW, pin: formatPin(candidate.versionId, revision) };
}

function decide(table: CompiledRoutingTable, version: RouteVersionData, reason: RouteReason, hash: number, previousVersionId?: string): RouteDecision {
  const decision: RouteDecision = {
    versionId: version.versionId,
    label: version.label,
    endpoint: version.endpoint,
    spec: version.spec,
    reason,
    revision: table.revision,
    shadow: table.shadow.length === 0 ? NO_SHADOW : shadowOf(table, version.versionId, hash),
    pin: formatPin(version.versionId, table.revision),
  };
  if (previousVersionId !== undefined) decision.previousVersionId = previousVersionId;
  return decision;
}

/** Shadow targets sampled for this session: an independent deterministic draw per target. */
function shadowOf(table: CompiledRoutingTable, primaryVersionId: string, hash: number): readonly ShadowRoute[] {
  let chosen: ShadowRoute[] | undefined;
  for (const rule of table.shadow) {
    if (rule.versionId === primaryVersionId || unitPoint(hash, rule.seed) >= rule.sampleRate) continue;
    (chosen ??= []).push({ versionId: rule.versionId, sampleRate: rule.sampleRate, endpoint: rule.endpoint });
  }
  return chosen ?? NO_SHADOW;
}

/** Epoch ms of a session time; NaN-safe: an unparsable time counts as unknown. */
export function toEpochMs(time: SessionTime): number | undefined {
  const ms = typeof time === 'number' ? time : time instanceof Date ? time.getTime() : Date.parse(time);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A pin token: the session's version and the table revision that placed it (`<versionId>@<revision>`). */
export function formatPin(versionId: string, revision: number): string {
  return `${versionId}@${revision}`;
}

/** A pin token, or a bare version id (revision 0). */
export function parsePin(pin: string): { versionId: string; revision: number } {
  const match = /^(.*)@(\d+)$/.exec(pin);
  return match ? { versionId: match[1]!, revision: Number(match[2]) } : { versionId: pin, revision: 0 };
}
