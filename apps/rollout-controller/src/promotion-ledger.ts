import { randomUUID } from 'node:crypto';
import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import type { MessageBus, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import type { PromotionEvidence } from './domain';

type RolloutAudit = EventOf<'rollout.event'>;

/**
 * Environment promotion: which versions completed a rollout in the environment this one promotes from
 * (e.g. staging → production), learned from `rollout.event` (kind `rollout-completed`) on iris.rollout.v1,
 * followed from the beginning by every instance.
 */
export class PromotionLedger {
  private readonly completed = new Map<string, PromotionEvidence>();
  private subscription?: Subscription;

  constructor(readonly fromEnvironment: string) {}

  evidenceFor(agent: string, versionId: string): PromotionEvidence | undefined {
    return this.completed.get(`${agent}\u0000${versionId}`);
  }

  record(event: RolloutAudit): void {
    if (event.environment !== this.fromEnvironment || event.data.kind !== 'rollout-completed') return;
    const versionId = event.data.detail['candidateVersionId'];
    if (typeof versionId !== 'string') return;
    const key = `${event.data.agent}\u0000${versionId}`;
    if (!this.completed.has(key)) this.completed.set(key, { environment: event.environment, rolloutId: event.data.rolloutId, completedAt: event.occurredAt });
  }

  async follow(bus: MessageBus, logger: JsonLogger, instanceId = randomUUID()): Promise<void> {
    this.subscription = await bus.subscribe<RolloutAudit>({
      topic: TOPICS.rollout.name,
      groupId: `rollout-controller-promotions-${instanceId}`,
      fromBeginning: true,
      decode: (message) => decodeFromTopic(TOPICS.rollout, message.value),
      handleBatch: async (messages) => {
        for (const message of messages) this.record(message.value);
      },
    });
    logger.info('following completed rollouts for promotion', { from: this.fromEnvironment });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
