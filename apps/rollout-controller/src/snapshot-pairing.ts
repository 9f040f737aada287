import type { EventOf } from '@iris/contracts';
import type { Figures, LatencyDistribution } from './domain';

type Snapshot = EventOf<'metrics.snapshot'>;

export interface Evaluation {
  snapshotEventId: string;
  windowStart: string;
  windowEnd: string;
  versions: Record<string, Figures>;
  latency?: Record<string, LatencyDistribution>;
}

/**
 * Builds what a gate compares for one window. In a shadow stage the candidate serves no primary traffic:
 * its figures come from the shadow-role snapshot of the same window and are set beside the baseline's
 * primary figures. Snapshots of one agent arrive in order on one partition; the first of a pair waits
 * (bounded memory) for the other.
 */
export class SnapshotPairing {
  private readonly pending = new Map<string, { primary?: Snapshot; shadow?: Snapshot }>();

  constructor(private readonly maxPending = 256) {}

  /** The evaluation this snapshot completes, if any. `candidateInShadow`: the rollout's current stage is 0 %. */
  offer(snapshot: Snapshot, candidateInShadow: boolean, candidateVersionId: string): Evaluation | undefined {
    if (snapshot.data.view !== 'window') return undefined;
    if (!candidateInShadow)
      return snapshot.data.role === 'primary' ? evaluationOf(snapshot, snapshot.eventId, snapshot.data.versions, snapshot.data.latency) : undefined;

    const key = `${snapshot.data.agent}|${snapshot.data.windowStart}|${snapshot.data.windowEnd}`;
    const pair = { ...this.pending.get(key), [snapshot.data.role]: snapshot };
    if (!pair.primary || !pair.shadow) {
      this.pending.set(key, pair);
      this.trim();
      return undefined;
    }
    this.pending.delete(key);
    const versions: Record<string, Figures> = { ...pair.primary.data.versions };
    const latency: Record<string, LatencyDistribution> = { ...pair.primary.data.latency };
    const shadowFigures = pair.shadow.data.versions[candidateVersionId];
    const shadowLatency = pair.shadow.data.latency?.[candidateVersionId];
    if (shadowFigures) versions[candidateVersionId] = shadowFigures;
    else delete versions[candidateVersionId];
    if (shadowLatency) latency[candidateVersionId] = shadowLatency;
    else delete latency[candidateVersionId];
    return evaluationOf(pair.primary, `${pair.primary.eventId}+${pair.shadow.eventId}`, versions, latency);
  }

  private trim(): void {
    while (this.pending.size > this.maxPending) this.pending.delete(this.pending.keys().next().value!);
  }
}

function evaluationOf(snapshot: Snapshot, snapshotEventId: string, versions: Record<string, Figures>, latency?: Record<string, LatencyDistribution>): Evaluation {
  const evaluation: Evaluation = { snapshotEventId, windowStart: snapshot.data.windowStart, windowEnd: snapshot.data.windowEnd, versions };
  if (latency && Object.keys(latency).length > 0) evaluation.latency = latency;
  return evaluation;
}
