import type { EventOf, VERSION_STATES } from '@iris/contracts';

/** `registered` until a routing decision lists the version; then the state the router gives it. */
export type VersionState = 'registered' | (typeof VERSION_STATES)[number];

export interface VersionStatus {
  state: VersionState;
  /** Revision of the routing decision that set the state. */
  revision?: number;
  rolloutId?: string | null;
  newSessionWeight?: number;
  /** When that decision was taken (its decidedAt, else its occurredAt). */
  since?: string;
}

export const REGISTERED: VersionStatus = Object.freeze({ state: 'registered' });

/** A bounded set of recently seen ids (oldest forgotten first). */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

interface AgentRouting {
  revision: number;
  versions: Map<string, VersionStatus>;
}

/**
 * Version states from `routing.decision` events (latest revision per agent wins; redeliveries and
 * older revisions are ignored). A version keeps the state of the newest table that listed it.
 */
export class RoutingStatusBook {
  private readonly agents = new Map<string, AgentRouting>();
  private readonly seen = new RecentIds(10_000);

  /** Applies a decision; false when it was a duplicate or older than what is known. */
  apply(event: EventOf<'routing.decision'>): boolean {
    if (!this.seen.add(event.eventId)) return false;
    const { agent, revision, table, rolloutId, decidedAt } = event.data;
    const known = this.agents.get(agent);
    if (known && revision <= known.revision) return false;
    const routing = known ?? { revision, versions: new Map<string, VersionStatus>() };
    routing.revision = revision;
    for (const route of table.versions) {
      routing.versions.set(route.versionId, {
        state: route.state,
        revision,
        rolloutId: rolloutId ?? null,
        newSessionWeight: route.newSessionWeight,
        since: decidedAt ?? event.occurredAt,
      });
    }
    this.agents.set(agent, routing);
    return true;
  }

  statusOf(agent: string, versionId: string): VersionStatus {
    return this.agents.get(agent)?.versions.get(versionId) ?? REGISTERED;
  }

  revisionOf(agent: string): number | undefined {
    return this.agents.get(agent)?.revision;
  }
}
