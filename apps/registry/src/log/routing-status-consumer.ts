import { randomUUID } from 'node:crypto';
import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import type { MessageBus, RawMessage, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import type { RegistryReadModel } from '../read-model';

type RoutingDecision = EventOf<'routing.decision'>;

/** Decodes a record of iris.routing.v1; null for a tombstone (compaction deletes). Throws (→ DLQ) on anything else. */
export function decodeRoutingRecord(message: RawMessage): RoutingDecision | null {
  if (message.value === null) return null;
  return decodeFromTopic(TOPICS.routing, message.value);
}

/**
 * Follows the compacted routing topic from the beginning with a group of its own, so every registry
 * instance sees every agent's latest table and derives the same version states.
 */
export class RoutingStatusConsumer {
  private subscription?: Subscription;

  constructor(
    private readonly bus: MessageBus,
    private readonly readModel: RegistryReadModel,
    private readonly environment: string,
    private readonly logger: JsonLogger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<RoutingDecision | null>({
      topic: TOPICS.routing.name,
      groupId: `iris-registry-status-${randomUUID()}`,
      fromBeginning: true,
      decode: decodeRoutingRecord,
      handleBatch: async (messages) => {
        for (const { value: event } of messages) {
          if (event === null || event.environment !== this.environment) continue;
          if (this.readModel.applyRoutingDecision(event)) {
            this.logger.write('debug', 'routing decision applied', { agent: event.data.agent, revision: event.data.revision, rolloutId: event.data.rolloutId ?? undefined });
          }
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
