import { effectiveFallback, killsOfAgent, type AgentRouting, type Kill, type KillSetState } from '../domain';

export interface KillSetView {
  environment: string;
  revision: number;
  kills: Kill[];
  fallbacks: Record<string, string>;
}

export interface AgentKillsView {
  agent: string;
  environment: string;
  revision: number;
  /** Kills that apply to the agent: its own and those across agents. */
  kills: Kill[];
  fallback: { configured: string | null; effective: string | null; source: 'configured' | 'routing' | null };
}

export function killSetView(state: KillSetState, environment: string): KillSetView {
  return { environment, revision: state.revision, kills: state.kills, fallbacks: state.fallbacks };
}

/** The kill set now in force for one agent, with where its killed traffic goes (any tenant or feature not named by a kill). */
export function agentKillsView(state: KillSetState, environment: string, agent: string, routing: AgentRouting | undefined, nowMs: number): AgentKillsView {
  const set = { kills: state.kills, fallbacks: state.fallbacks };
  const configured = state.fallbacks[agent] ?? null;
  const effective = effectiveFallback(set, agent, {}, routing, nowMs);
  return {
    agent,
    environment,
    revision: state.revision,
    kills: killsOfAgent(set, agent),
    fallback: { configured, effective, source: effective === null ? null : effective === configured ? 'configured' : 'routing' },
  };
}
