import { AggregationError } from './errors';
import { KeyedAccumulators, type KeyedAccumulatorsJSON, type KeyedFigures } from './keyed-accumulators';
import type { TenantKey, VersionKey } from './keys';

/** A tumbling window whose end the watermark has passed: final figures. */
export interface ClosedWindow {
  startMs: number;
  endMs: number;
  /** Per (environment, agent, versionId, role), sorted. */
  versions: KeyedFigures<VersionKey>[];
  /** Per (environment, agent, versionId, role, tenant), sorted. */
  tenants: KeyedFigures<TenantKey>[];
  /** Raw mergeable state: persist it to re-merge shards or windows later. */
  accumulators: KeyedAccumulatorsJSON;
}

export function closedWindowOf(startMs: number, endMs: number, accumulators: KeyedAccumulators): ClosedWindow {
  return {
    startMs,
    endMs,
    versions: accumulators.versionFigures(),
    tenants: accumulators.tenantFigures(),
    accumulators: accumulators.toJSON(),
  };
}

/**
 * The same window as closed by several consumers (each owning some partitions,
 * i.e. disjoint sessions) combined into one: equal to one consumer reading everything.
 */
export function mergeClosedWindows(shards: readonly ClosedWindow[]): ClosedWindow {
  if (shards.length === 0) throw new AggregationError('INCOMPATIBLE_STATE', 'Nothing to merge');
  const { startMs, endMs } = shards[0];
  const merged = new KeyedAccumulators();
  for (const shard of shards) {
    if (shard.startMs !== startMs || shard.endMs !== endMs) {
      throw new AggregationError('INCOMPATIBLE_STATE', `Window [${shard.startMs}, ${shard.endMs}) differs from [${startMs}, ${endMs})`);
    }
    merged.merge(KeyedAccumulators.fromJSON(shard.accumulators));
  }
  return closedWindowOf(startMs, endMs, merged);
}
