import { inForce, KillSwitchError, strandedSlices, type KillSetState, type KillSwitchCommand } from './domain';
import type { RoutingView } from './routing-view';
import type { VersionCatalog } from './version-catalog';

/**
 * Rules the shell applies around the decider, because they need what other services published: the registry's
 * agents and versions (404 for unknown ones) and the routing tables (409 for a kill that would leave some tenant ×
 * feature of an agent with no version to serve it, unless the kill says `allowNoRoute`).
 */
export class KillAdmission {
  constructor(
    private readonly catalog: VersionCatalog,
    private readonly routing: RoutingView,
    private readonly requireRegistered: boolean,
  ) {}

  /** Before deciding: the agent and version a command names must be known. */
  admit(command: KillSwitchCommand): void {
    // Still reading the registry (just started): a version not seen yet may well exist; a kill is never refused for that.
    if (!this.requireRegistered || !this.catalog.caughtUp) return;
    const named = command.type === 'EngageKill' ? command.data.scope : command.type === 'SetFallback' ? { agent: command.data.agent, versionId: command.data.versionId ?? undefined } : {};
    if (named.agent === undefined) return;
    const field = command.type === 'EngageKill' ? 'scope' : '';
    if (!this.catalog.hasAgent(named.agent) && this.routing.routingOf(named.agent) === undefined) {
      throw new KillSwitchError('UNKNOWN_AGENT', `no versions of agent ${named.agent} are registered`, { errors: [{ field: join(field, 'agent'), reason: 'unknown agent' }] });
    }
    if (named.versionId !== undefined && !this.catalog.has(named.agent, named.versionId) && !this.routing.lists(named.agent, named.versionId)) {
      throw new KillSwitchError('UNKNOWN_VERSION', `agent ${named.agent} has no registered version ${named.versionId}`, {
        errors: [{ field: join(field, 'versionId'), reason: 'unknown version' }],
      });
    }
  }

  /** After deciding (on the same state the append is guarded by): refuse a kill that strands traffic. */
  checkRoutes(command: KillSwitchCommand, before: KillSetState, after: KillSetState): void {
    if (command.type !== 'EngageKill' || command.data.allowNoRoute === true) return;
    const agent = command.data.scope.agent;
    const agents = agent !== undefined ? [agent] : [...new Set([...this.catalog.agents(), ...this.routing.knownAgents(), ...Object.keys(after.fallbacks)])].sort();
    const stranded = strandedSlices(inForce(before), inForce(after), agents, (a) => this.routing.routingOf(a), Date.parse(command.metadata.at));
    if (stranded.length === 0) return;
    const described = stranded.map((s) => `${s.agent} (tenant ${s.tenant ?? 'any'}, feature ${s.feature ?? 'any'})`);
    throw new KillSwitchError(
      'NO_ROUTE_LEFT',
      `the kill would leave no version to serve ${described.slice(0, 10).join('; ')}${described.length > 10 ? ` and ${described.length - 10} more` : ''}: ` +
        'name a fallback (PUT /v1/agents/:agent/fallback), narrow the kill, or send allowNoRoute: true',
      { stranded },
    );
  }
}

const join = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);
