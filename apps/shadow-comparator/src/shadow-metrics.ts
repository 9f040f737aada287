import type { ConsumerHealth } from '@iris/messaging';

/** Counters of the comparator (served on /v1/shadow/stats). */
export class ShadowMetrics {
  pairsCompared = 0;
  shadowFailures = 0;
  checkpoints = 0;
  redeliveriesSkipped = 0;
  deadLettered = 0;
  reportsAppended = 0;
  consumerHealth?: ConsumerHealth;

  snapshot() {
    return {
      pairsCompared: this.pairsCompared,
      shadowFailures: this.shadowFailures,
      checkpoints: this.checkpoints,
      redeliveriesSkipped: this.redeliveriesSkipped,
      deadLettered: this.deadLettered,
      reportsAppended: this.reportsAppended,
    };
  }
}
