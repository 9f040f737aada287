/** Whether a request's output was served (primary) or mirrored for comparison (shadow); kept apart in every figure. */
export type Role = 'primary' | 'shadow';

/** Identity of one version's figures. Session and feedback events carry no role: they count as `primary`. */
export interface VersionKey {
  readonly environment: string;
  readonly agent: string;
  readonly versionId: string;
  readonly role: Role;
}

/** The finest key the aggregator accumulates; version figures are merges over tenants. */
export interface TenantKey extends VersionKey {
  readonly tenant: string;
}

const SEPARATOR = '\u001f'; // cannot occur in identifiers of real telemetry

/** Stable string id of a key, usable as a Map key. */
export function versionKeyId(key: VersionKey): string {
  return key.environment + SEPARATOR + key.agent + SEPARATOR + key.versionId + SEPARATOR + key.role;
}

export function tenantKeyId(key: TenantKey): string {
  return versionKeyId(key) + SEPARATOR + key.tenant;
}

export function versionKeyOf(key: TenantKey): VersionKey {
  return { environment: key.environment, agent: key.agent, versionId: key.versionId, role: key.role };
}

/** Deterministic order for outputs: environment, agent, versionId, role, tenant. */
export function compareKeys(a: VersionKey & { tenant?: string }, b: VersionKey & { tenant?: string }): number {
  return (
    compare(a.environment, b.environment) ||
    compare(a.agent, b.agent) ||
    compare(a.versionId, b.versionId) ||
    compare(a.role, b.role) ||
    compare(a.tenant ?? '', b.tenant ?? '')
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
