import { WindowedAggregator } from './aggregation';
import { checkpointDue, PartitionState } from './partition-state';

const settings = { windowMs: 1_000, checkpointIntervalMs: 500 };

function state(overrides: Partial<PartitionState> = {}, watermarkAtMs?: number): PartitionState {
  const aggregator = new WindowedAggregator({ windowMs: 1_000, allowedLatenessMs: 0 });
  if (watermarkAtMs !== undefined) aggregator.advanceWatermark('p0', watermarkAtMs);
  return {
    aggregator,
    source: 'p0',
    nextOffset: 10n,
    loadedFromOffset: 5n,
    storedOffset: 5n,
    savedWindowIndex: null,
    checkpointedAtMs: 0,
    unsaved: 0,
    writing: undefined,
    discarded: false,
    lastEventAtWallMs: 0,
    caughtUp: false,
    endConfirmedAtMs: undefined,
    ...overrides,
  };
}

describe('checkpointDue', () => {
  it('is due once the interval passed with records unsaved', () => {
    expect(checkpointDue(state({ unsaved: 3 }), 499, settings)).toBe(false);
    expect(checkpointDue(state({ unsaved: 3 }), 500, settings)).toBe(true);
    expect(checkpointDue(state({ unsaved: 0 }), 10_000, settings)).toBe(false);
  });

  it('is due at once when a caught-up partition moves into a later window (not while it catches up)', () => {
    const live = state({ caughtUp: true, savedWindowIndex: 4 }, 4_900);
    expect(checkpointDue(live, 0, settings)).toBe(false);
    live.aggregator.advanceWatermark('p0', 5_000);
    expect(checkpointDue(live, 0, settings)).toBe(true);

    const catchingUp = state({ caughtUp: false, savedWindowIndex: 4 }, 9_000);
    expect(checkpointDue(catchingUp, 0, settings)).toBe(false);
  });

  it('counts windows from the first watermark seen when nothing was saved yet', () => {
    const fresh = state({ caughtUp: true, storedOffset: undefined }, 2_500);
    expect(checkpointDue(fresh, 0, settings)).toBe(false); // records window 2 as the reference
    fresh.aggregator.advanceWatermark('p0', 3_000);
    expect(checkpointDue(fresh, 0, settings)).toBe(true);
  });

  it('is never due for a discarded copy', () => {
    expect(checkpointDue(state({ discarded: true, unsaved: 9, caughtUp: true }, 9_000), 10_000, settings)).toBe(false);
  });
});
