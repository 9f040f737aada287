import { MessagingLogger } from './logger';

/** A partition whose handler keeps failing with a retriable error: it waits the outage out. */
export interface StalledPartition {
  groupId: string;
  topic: string;
  partition: number;
  /** Wall time the first retriable failure was seen (ms since the epoch). */
  sinceMs: number;
  /** The latest failure. */
  reason: string;
  attempts: number;
}

export interface ConsumerHealthReport {
  stalled: StalledPartition[];
  /** Retriable handler failures seen (each retry counts). */
  retriableFailures: number;
  /** Outages seen: a group started waiting on a retriable failure (once per outage, whatever the partitions). */
  outages: number;
  /** Records written to a dead-letter topic. */
  deadLettered: number;
}

/**
 * What the consumers of a bus are going through, for readiness probes and metrics: which partitions are waiting
 * out a retriable failure and since when. Logs one line when a group's outage starts and one when it is over,
 * not one per retry. One instance per bus (shared by its subscriptions).
 */
export class ConsumerHealth {
  private readonly stalledPartitions = new Map<string, StalledPartition>();
  private retriableFailures = 0;
  private outages = 0;
  private deadLettered = 0;

  constructor(private readonly logger?: MessagingLogger) {}

  /** A handler failed with a retriable error; the partition waits and retries. */
  retrying(groupId: string, topic: string, partition: number, reason: string, nowMs = Date.now()): void {
    this.retriableFailures++;
    const key = partitionKey(groupId, topic, partition);
    const stalled = this.stalledPartitions.get(key);
    if (stalled) {
      stalled.reason = reason;
      stalled.attempts++;
      return;
    }
    const groupWasStalled = this.groupStalled(groupId);
    this.stalledPartitions.set(key, { groupId, topic, partition, sinceMs: nowMs, reason, attempts: 1 });
    if (!groupWasStalled) {
      this.outages++;
      this.logger?.log('error', 'consumer waiting out a retriable failure (retrying until it succeeds; nothing is dead-lettered)', { groupId, topic, partition, reason });
    }
  }

  /** The partition's handler succeeded again, or it stopped waiting (stop, rebalance). */
  resumed(groupId: string, topic: string, partition: number, outcome: 'recovered' | 'stopped', nowMs = Date.now()): void {
    const key = partitionKey(groupId, topic, partition);
    const stalled = this.stalledPartitions.get(key);
    if (!stalled) return;
    this.stalledPartitions.delete(key);
    if (!this.groupStalled(groupId)) {
      this.logger?.log(outcome === 'recovered' ? 'info' : 'warn', outcome === 'recovered' ? 'consumer recovered from a retriable failure' : 'consumer stopped while waiting out a retriable failure', {
        groupId,
        topic,
        partition,
        outageMs: nowMs - stalled.sinceMs,
        attempts: stalled.attempts,
        lastReason: stalled.reason,
      });
    }
  }

  countDeadLetters(count: number): void {
    this.deadLettered += count;
  }

  report(): ConsumerHealthReport {
    return {
      stalled: [...this.stalledPartitions.values()].map((stalled) => ({ ...stalled })),
      retriableFailures: this.retriableFailures,
      outages: this.outages,
      deadLettered: this.deadLettered,
    };
  }

  /** Throws (with the reason) while any partition waits out an outage: a readiness check. */
  assertNotStalled(nowMs = Date.now()): void {
    const stalled = [...this.stalledPartitions.values()];
    if (stalled.length === 0) return;
    const first = stalled[0];
    throw new Error(
      `${stalled.length} partition(s) waiting out a retriable failure; ${first.topic}[${first.partition}] (group ${first.groupId}) for ${nowMs - first.sinceMs} ms: ${first.reason}`,
    );
  }

  private groupStalled(groupId: string): boolean {
    for (const stalled of this.stalledPartitions.values()) if (stalled.groupId === groupId) return true;
    return false;
  }
}

function partitionKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`;
}
