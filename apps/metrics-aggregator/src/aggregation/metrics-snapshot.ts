import type { EventDataInput } from '@iris/contracts';
import type { KeyedFigures } from './keyed-accumulators';
import type { Role, TenantKey, VersionKey } from './keys';
import { flattenFigures } from './version-figures';

/** One metrics.snapshot payload and the envelope facts it needs. */
export interface MetricsSnapshotPayload {
  /** Goes in the event envelope (createEvent options.environment). */
  environment: string;
  /** Same as data.role. */
  role: Role;
  data: EventDataInput<'metrics.snapshot'>;
}

export interface SnapshotSpan {
  startMs: number;
  endMs: number;
  versions: readonly KeyedFigures<VersionKey>[];
  /** When given, data.tenants carries versionId → tenant → flattened figures. */
  tenants?: readonly KeyedFigures<TenantKey>[];
}

/**
 * metrics.snapshot payloads of a closed window or rolling view: one per
 * (environment, agent, role), versions → flattened figures (see flattenFigures).
 */
export function metricsSnapshotPayloads(span: SnapshotSpan): MetricsSnapshotPayload[] {
  const payloads = new Map<string, MetricsSnapshotPayload>();
  const windowStart = new Date(span.startMs).toISOString();
  const windowEnd = new Date(span.endMs).toISOString();
  const payloadOf = (key: VersionKey) => {
    const id = `${key.environment}\u001f${key.agent}\u001f${key.role}`;
    let payload = payloads.get(id);
    if (payload === undefined) {
      payload = { environment: key.environment, role: key.role, data: { agent: key.agent, windowStart, windowEnd, versions: {}, role: key.role } };
      payloads.set(id, payload);
    }
    return payload.data;
  };
  for (const { key, figures, latency } of span.versions) {
    const data = payloadOf(key);
    define(data.versions, key.versionId, flattenFigures(figures));
    if (latency && latency.count > 0) define((data.latency ??= {}), key.versionId, { scheme: latency.scheme, count: latency.count, buckets: latency.buckets });
  }
  for (const { key, figures } of span.tenants ?? []) {
    const data = payloadOf(key);
    const tenants = (data.tenants ??= {});
    const perTenant = Object.prototype.hasOwnProperty.call(tenants, key.versionId) ? tenants[key.versionId] : define(tenants, key.versionId, {});
    define(perTenant, key.tenant, flattenFigures(figures));
  }
  return [...payloads.values()];
}

/** Plain own property (names such as "__proto__" stay keys). */
function define<T>(record: Record<string, T>, name: string, value: T): T {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  return value;
}
