import type { EventOf } from '@iris/contracts';
import { normaliseLabel, tryParseSemver } from '../domain';
import { evolveAgent, initialAgentState, type AgentState, type RegisteredVersion } from '../registration';
import { RoutingStatusBook, type VersionStatus } from './routing-status';

/**
 * The registry's in-memory read model: agents → versions (by id, by label, latest) from the event
 * log, and each version's routing state from `routing.decision`. Every apply is idempotent.
 */
export class RegistryReadModel {
  private readonly agents = new Map<string, AgentState>();
  private readonly routing = new RoutingStatusBook();

  /** Adds a registration (from the log, or from this instance's own append); false if already known. */
  applyRegistered(version: RegisteredVersion): boolean {
    const before = this.agents.get(version.agent) ?? initialAgentState(version.agent);
    const after = evolveAgent(before, version);
    this.agents.set(version.agent, after);
    return after !== before;
  }

  applyRoutingDecision(event: EventOf<'routing.decision'>): boolean {
    return this.routing.apply(event);
  }

  agentNames(): string[] {
    return [...this.agents.keys()].sort();
  }

  agent(name: string): AgentState | undefined {
    return this.agents.get(name);
  }

  /** `ref` is a version id (`sha256:…`), a label (`1.2.0` or `v1.2.0`) or `latest`. */
  resolve(agent: string, ref: string): RegisteredVersion | undefined {
    const state = this.agents.get(agent);
    if (!state) return undefined;
    if (ref === 'latest') return state.latest;
    return state.byId.get(ref) ?? (tryParseSemver(ref) ? state.byLabel.get(normaliseLabel(ref)) : undefined);
  }

  statusOf(agent: string, versionId: string): VersionStatus {
    return this.routing.statusOf(agent, versionId);
  }
}
