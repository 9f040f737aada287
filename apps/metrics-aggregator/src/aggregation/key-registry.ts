import { tenantKeyId, type Role, type TenantKey } from './keys';

/** One interned key: the same object (and id string, hash cached by V8) for every event of the key. */
export interface KeyEntry {
  readonly key: TenantKey;
  readonly id: string;
}

interface ByRole {
  primary?: KeyEntry;
  shadow?: KeyEntry;
}

/**
 * Interns keys without building a string per event: nested maps on the
 * event's own fields (environment → agent → versionId → tenant → role).
 */
export class KeyRegistry {
  private readonly tree = new Map<string, Map<string, Map<string, Map<string, ByRole>>>>();
  private count = 0;

  lookup(environment: string, agent: string, versionId: string, role: Role, tenant: string): KeyEntry {
    const byRole = this.leaf(environment, agent, versionId, tenant);
    const known = byRole[role];
    if (known !== undefined) return known;
    const key: TenantKey = { environment, agent, versionId, role, tenant };
    const entry: KeyEntry = { key, id: tenantKeyId(key) };
    byRole[role] = entry;
    this.count++;
    return entry;
  }

  intern(key: TenantKey): KeyEntry {
    return this.lookup(key.environment, key.agent, key.versionId, key.role, key.tenant);
  }

  get size(): number {
    return this.count;
  }

  /** Forgets every key whose id is not in `used`. */
  retainOnly(used: ReadonlySet<string>): void {
    for (const [environment, agents] of this.tree) {
      for (const [agent, versions] of agents) {
        for (const [versionId, tenants] of versions) {
          for (const [tenant, byRole] of tenants) {
            for (const role of ['primary', 'shadow'] as const) {
              const entry = byRole[role];
              if (entry !== undefined && !used.has(entry.id)) {
                delete byRole[role];
                this.count--;
              }
            }
            if (byRole.primary === undefined && byRole.shadow === undefined) tenants.delete(tenant);
          }
          if (tenants.size === 0) versions.delete(versionId);
        }
        if (versions.size === 0) agents.delete(agent);
      }
      if (agents.size === 0) this.tree.delete(environment);
    }
  }

  private leaf(environment: string, agent: string, versionId: string, tenant: string): ByRole {
    let agents = this.tree.get(environment);
    if (agents === undefined) this.tree.set(environment, (agents = new Map()));
    let versions = agents.get(agent);
    if (versions === undefined) agents.set(agent, (versions = new Map()));
    let tenants = versions.get(versionId);
    if (tenants === undefined) versions.set(versionId, (tenants = new Map()));
    let byRole = tenants.get(tenant);
    if (byRole === undefined) tenants.set(tenant, (byRole = {}));
    return byRole;
  }
}
