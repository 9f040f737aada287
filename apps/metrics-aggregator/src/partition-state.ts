import type { AggregatorState, WindowedAggregator } from './aggregation';
import type { AggregatorSettings } from './aggregator-settings';

/** One partition's aggregator as this instance holds it, and how far it is saved. */
export interface PartitionState {
  readonly aggregator: WindowedAggregator;
  /** The aggregator's source name for this partition (`p<n>`). */
  readonly source: string;
  /** Offsets below this are in `aggregator`. */
  nextOffset: bigint;
  /** Where this copy's records start (the stored offset it was loaded at, or its first record). */
  readonly loadedFromOffset: bigint;
  /** The offset the stored checkpoint covers (undefined: none stored yet); what the bus may commit. */
  storedOffset: bigint | undefined;
  /** Index (watermark ÷ windowMs) of the window the watermark was in at the last save, or when first seen. */
  savedWindowIndex: number | null;
  /** Wall time of the last checkpoint (or of the load). */
  checkpointedAtMs: number;
  /** Records applied since the last checkpoint. */
  unsaved: number;
  /** The checkpoint being written (at most one per partition); resolves when done, never rejects. */
  writing: Promise<void> | undefined;
  /** A checkpoint failed: this copy must not be used or saved again (the next batch reloads from the store). */
  discarded: boolean;
  lastEventAtWallMs: number;
  /** Whether the last batch reached the partition's end as of its fetch (a lagging partition is never treated as idle). */
  caughtUp: boolean;
  /**
   * Wall time at which the latest read of the partition's end (since its last batch) started and found nothing beyond
   * nextOffset; undefined: not confirmed. An idle watermark never passes it minus the idle time (TelemetryAggregator.checkEnds).
   */
  endConfirmedAtMs: number | undefined;
}

/**
 * A checkpoint is due when the interval has passed with records unsaved, or — caught up (or idle) — when the
 * watermark moved into a later window: the emitter waits for it to close the window. A partition catching up
 * crosses windows fast; the interval alone bounds its checkpoints.
 */
export function checkpointDue(state: PartitionState, nowMs: number, settings: Pick<AggregatorSettings, 'windowMs' | 'checkpointIntervalMs'>): boolean {
  if (state.discarded) return false;
  if (state.unsaved > 0 && nowMs - state.checkpointedAtMs >= settings.checkpointIntervalMs) return true;
  return state.caughtUp && windowIndexPassed(state, settings.windowMs);
}

/** Whether the watermark moved into a later window since the last save (or since it was first seen, which it records). */
export function windowIndexPassed(state: PartitionState, windowMs: number): boolean {
  const watermark = state.aggregator.watermarkMs;
  if (watermark === null) return false;
  const index = Math.floor(watermark / windowMs);
  if (state.savedWindowIndex === null) state.savedWindowIndex = index;
  return index > state.savedWindowIndex;
}

/**
 * Partition aggregators keep no emitted windows (rolling views are merged from the stored partials) and no list of
 * late events (they are counted per key and in the metrics), so a checkpoint holds only open windows and sessions.
 */
export const LEAN_STATE = { retainClosedMs: 0, maxLateEventsKept: 0 } as const;

/** A stored state restored lean (older checkpoints kept emitted windows and late events). */
export function lean(state: AggregatorState): AggregatorState {
  return { ...state, options: { ...state.options, ...LEAN_STATE }, lateEvents: [] };
}
