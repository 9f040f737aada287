import { killScopeCovers, type KillData, type KillSetData } from '@iris/contracts';

/** One kill prepared for the hot path (expiry parsed once). */
export interface CompiledKill {
  readonly kill: KillData;
  readonly killId: string;
  /** Epoch ms; Infinity when it never expires. */
  readonly expiresAtMs: number;
}

/** What applies to one agent: its kills and those across agents, in engagement order, and its configured fallback. */
export interface AgentKills {
  readonly agent: string;
  readonly kills: readonly CompiledKill[];
  readonly configuredFallback: string | undefined;
}

/** An environment's kill set prepared once per revision. Immutable; `forAgent` memoises per agent. */
export class CompiledKillSet {
  private readonly perAgent = new Map<string, AgentKills | null>();
  private readonly all: readonly CompiledKill[];
  private readonly fallbacks: ReadonlyMap<string, string>;

  constructor(readonly data: KillSetData) {
    this.all = data.kills.map((kill) => ({ kill, killId: kill.killId, expiresAtMs: kill.expiresAt === null ? Infinity : Date.parse(kill.expiresAt) }));
    this.fallbacks = new Map(data.fallbacks.map((f) => [f.agent, f.versionId]));
  }

  get revision(): number {
    return this.data.revision;
  }

  get size(): number {
    return this.all.length;
  }

  /** The agent's kills (undefined when none applies: the hot path then does nothing). */
  forAgent(agent: string): AgentKills | undefined {
    let entry = this.perAgent.get(agent);
    if (entry === undefined) {
      const kills = this.all.filter((k) => k.kill.scope.agent === undefined || k.kill.scope.agent === agent);
      entry = kills.length === 0 ? null : { agent, kills, configuredFallback: this.fallbacks.get(agent) };
      this.perAgent.set(agent, entry);
    }
    return entry ?? undefined;
  }

  /** The configured fallback of an agent, if any. */
  fallbackOf(agent: string): string | undefined {
    return this.fallbacks.get(agent);
  }
}

export interface KillCall {
  versionId: string;
  tenant?: string;
  feature?: string;
}

/** Is this version named by a live kill covering the call's tenant and feature (a fallback candidate must not be)? */
export function namedByKill(kills: AgentKills, call: KillCall, nowMs: number): boolean {
  const target = { agent: kills.agent, versionId: call.versionId, tenant: call.tenant, feature: call.feature };
  for (const k of kills.kills) {
    if (k.kill.scope.versionId === call.versionId && k.expiresAtMs > nowMs && killScopeCovers(k.kill.scope, target)) return true;
  }
  return false;
}

/** The first live kill that switches off the call's version, sparing `exemptVersionId` (the fallback) from kills naming no version. */
export function killCovering(kills: AgentKills, call: KillCall, exemptVersionId: string | undefined, nowMs: number): CompiledKill | undefined {
  const target = { agent: kills.agent, versionId: call.versionId, tenant: call.tenant, feature: call.feature };
  for (const k of kills.kills) {
    if (k.expiresAtMs > nowMs && killScopeCovers(k.kill.scope, target, exemptVersionId)) return k;
  }
  return undefined;
}
