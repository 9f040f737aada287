import type { KeyEntry } from './key-registry';
import { compareKeys, tenantKeyId, versionKeyId, versionKeyOf, type TenantKey, type VersionKey } from './keys';
import { MetricsAccumulator, type MetricsAccumulatorJSON } from './metrics-accumulator';
import { figuresOf, type VersionFigures } from './version-figures';
import type { LatencyHistogramJSON } from './latency-histogram';

export interface KeyedFigures<K extends VersionKey> {
  key: K;
  figures: VersionFigures;
  /** Per-version views only: the latency histogram, for gates that test the tail. */
  latency?: LatencyHistogramJSON;
}

export type KeyedAccumulatorsJSON = Array<{ key: TenantKey; accumulator: MetricsAccumulatorJSON }>;

interface Entry {
  readonly key: TenantKey;
  readonly accumulator: MetricsAccumulator;
}

/**
 * One accumulator per (environment, agent, versionId, role, tenant). Version
 * figures are merges over tenants, computed on read: the hot path touches one accumulator.
 */
export class KeyedAccumulators {
  private readonly entries = new Map<string, Entry>();

  static fromJSON(json: KeyedAccumulatorsJSON, intern: (key: TenantKey) => KeyEntry = entryOf): KeyedAccumulators {
    const keyed = new KeyedAccumulators();
    for (const { key, accumulator } of json) keyed.accumulatorFor(intern(key)).merge(MetricsAccumulator.fromJSON(accumulator));
    return keyed;
  }

  /** The accumulator of `key` (created empty). */
  accumulatorFor(key: KeyEntry): MetricsAccumulator {
    let entry = this.entries.get(key.id);
    if (entry === undefined) {
      entry = { key: key.key, accumulator: new MetricsAccumulator() };
      this.entries.set(key.id, entry);
    }
    return entry.accumulator;
  }

  merge(other: KeyedAccumulators): this {
    for (const [id, entry] of other.entries) this.accumulatorFor({ id, key: entry.key }).merge(entry.accumulator);
    return this;
  }

  clone(): KeyedAccumulators {
    return new KeyedAccumulators().merge(this);
  }

  get size(): number {
    return this.entries.size;
  }

  keyIds(): Iterable<string> {
    return this.entries.keys();
  }

  /** Sets every key's liveSessions gauge (0 for keys absent from `live`, entries created for the others). */
  setLiveSessions(live: ReadonlyMap<string, { key: TenantKey; live: number }>): void {
    for (const entry of this.entries.values()) entry.accumulator.liveSessions = 0;
    for (const [id, { key, live: n }] of live) this.accumulatorFor({ id, key }).liveSessions = n;
  }

  tenantFigures(): KeyedFigures<TenantKey>[] {
    return [...this.entries.values()]
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ key, accumulator }) => ({ key, figures: figuresOf(accumulator) }));
  }

  versionFigures(): KeyedFigures<VersionKey>[] {
    const byVersion = new Map<string, { key: VersionKey; accumulator: MetricsAccumulator }>();
    for (const { key, accumulator } of this.entries.values()) {
      const id = versionKeyId(key);
      const version = byVersion.get(id);
      if (version === undefined) byVersion.set(id, { key: versionKeyOf(key), accumulator: accumulator.clone() });
      else version.accumulator.merge(accumulator);
    }
    return [...byVersion.values()]
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ key, accumulator }) => ({ key, figures: figuresOf(accumulator), latency: accumulator.latencyMs.toJSON() }));
  }

  /** Canonical JSON (sorted by key). */
  toJSON(): KeyedAccumulatorsJSON {
    return [...this.entries.values()]
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ key, accumulator }) => ({ key: { ...key }, accumulator: accumulator.toJSON() }));
  }
}

function entryOf(key: TenantKey): KeyEntry {
  const copy: TenantKey = { environment: key.environment, agent: key.agent, versionId: key.versionId, role: key.role, tenant: key.tenant };
  return { key: copy, id: tenantKeyId(copy) };
}
