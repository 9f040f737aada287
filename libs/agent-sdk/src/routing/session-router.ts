import { applyKills } from '../killswitch/apply-kills';
import type { AgentKills } from '../killswitch/compiled-kills';
import type { CompiledRoutingTable } from './compiled-table';
import { RouteDecision, RouteRequest, routeSession, SessionRequest, toEpochMs } from './route';
import { SessionCache } from './session-cache';
import { sessionHash } from './session-hash';

export interface SessionRouterOptions {
  /** The current table of an agent (undefined: none received yet). */
  tables: (agent: string) => CompiledRoutingTable | undefined;
  /** Serves while an agent has no table (and when a table leaves nothing to route to). */
  defaultVersionId?: string;
  /** Sessions remembered per agent (bounded LRU, rounded down to a multiple of 4). Default 100,000. */
  maxCachedSessions?: number;
  /** The kills in force for an agent (undefined: none; route() then costs nothing more). */
  kills?: (agent: string) => AgentKills | undefined;
}

export const DEFAULT_MAX_CACHED_SESSIONS = 100_000;

/**
 * route() plus what this instance remembers: a session routed before keeps its version (the cache is the
 * fast path of pinning; the pin token and sessionStartedAt give the same answer on instances that never saw it).
 */
export class SessionRouter {
  private readonly caches = new Map<string, SessionCache>();
  private readonly maxCachedSessions: number;

  constructor(private readonly options: SessionRouterOptions) {
    this.maxCachedSessions = options.maxCachedSessions ?? DEFAULT_MAX_CACHED_SESSIONS;
    if (!Number.isInteger(this.maxCachedSessions) || this.maxCachedSessions < 4) {
      throw new RangeError(`maxCachedSessions must be an integer ≥ 4, got ${String(this.maxCachedSessions)}`);
    }
  }

  route(request: RouteRequest, nowMs: number = Date.now()): RouteDecision {
    return this.routeFor(request.agent, request, nowMs);
  }

  /** route() for an agent given apart from the request (no copy of the request on the hot path). */
  routeFor(agent: string, request: SessionRequest, nowMs: number = Date.now()): RouteDecision {
    const table = this.options.tables(agent);
    const givenStart = request.sessionStartedAt === undefined ? undefined : toEpochMs(request.sessionStartedAt);
    const fallbackDefault = this.options.defaultVersionId;
    const kills = this.options.kills?.(agent);
    if (!table) {
      const decision = routeSession(undefined, request, 0, request.pinnedVersionId, givenStart, nowMs, fallbackDefault);
      return kills === undefined ? decision : applyKills(decision, kills, undefined, request, request.pinnedVersionId !== undefined || givenStart !== undefined, nowMs);
    }

    const hash = sessionHash(table.seed, request.sessionId);
    const cache = this.cacheOf(agent);
    const slot = cache.find(hash, request.sessionId);
    const pinned = request.pinnedVersionId ?? (slot >= 0 ? cache.versionAt(slot) : undefined);
    const startedAtMs = givenStart ?? (slot >= 0 ? cache.startedAtAt(slot) : undefined);
    const routed = routeSession(table, request, hash, pinned, startedAtMs, nowMs, fallbackDefault);
    const decision = kills === undefined ? routed : applyKills(routed, kills, table, request, pinned !== undefined || startedAtMs !== undefined, nowMs);

    const versionId = decision.versionId;
    if (versionId !== null) {
      const startedAt = decision.terminated === true ? nowMs : (startedAtMs ?? nowMs); // terminated: a fresh session
      if (slot < 0) cache.add(hash, request.sessionId, versionId, startedAt);
      else if (cache.versionAt(slot) !== versionId || cache.startedAtAt(slot) !== startedAt) cache.update(slot, versionId, startedAt);
    }
    return decision;
  }

  /** Sessions remembered for an agent. */
  cachedSessions(agent: string): number {
    return this.caches.get(agent)?.size ?? 0;
  }

  private cacheOf(agent: string): SessionCache {
    let cache = this.caches.get(agent);
    if (!cache) this.caches.set(agent, (cache = new SessionCache(this.maxCachedSessions)));
    return cache;
  }
}
