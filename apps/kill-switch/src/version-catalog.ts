import { randomUUID } from 'node:crypto';
import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import type { MessageBus, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import type { EndOffsetsProbe } from '@iris/agent-sdk';
import { CatchUp, followerDecode, type Followed } from './catch-up';

type Registered = EventOf<'registry.version.registered'>;

/**
 * The agents and versions the registry has published, followed from `iris.registry.v1` from the beginning (a group
 * of its own per instance), so that a kill naming an unknown agent or version is refused (404). Registrations are
 * immutable: redeliveries change nothing.
 */
export class VersionCatalog {
  private readonly versions = new Map<string, Set<string>>();
  private subscription?: Subscription;
  private readonly catchUp = new CatchUp(TOPICS.registry.name);

  /** Has read every registration the topic held when following began (until then, unknown names are not refused). */
  get caughtUp(): boolean {
    return this.catchUp.caughtUp;
  }

  hasAgent(agent: string): boolean {
    return this.versions.has(agent);
  }

  has(agent: string, versionId: string): boolean {
    return this.versions.get(agent)?.has(versionId) ?? false;
  }

  agents(): string[] {
    return [...this.versions.keys()];
  }

  record(event: Registered): void {
    const { agent, versionId } = event.data;
    const known = this.versions.get(agent) ?? new Set<string>();
    known.add(versionId);
    this.versions.set(agent, known);
  }

  async follow(bus: MessageBus, logger: JsonLogger, endOffsets?: EndOffsetsProbe, instanceId = randomUUID()): Promise<void> {
    await this.catchUp.begin(endOffsets, logger);
    this.subscription = await bus.subscribe<Followed<Registered>>({
      topic: TOPICS.registry.name,
      groupId: `kill-switch-catalog-${instanceId}`,
      fromBeginning: true,
      decode: followerDecode((bytes) => decodeFromTopic(TOPICS.registry, bytes)),
      handleBatch: async (messages) => {
        for (const message of messages) {
          if (message.value.ok) this.record(message.value.event);
          else logger.warn('skipped a registration record the contracts refuse', { topic: message.topic, partition: message.partition, offset: message.offset, reason: message.value.reason });
          this.catchUp.progress(message.partition, message.offset);
        }
      },
    });
    logger.info('following the registry', { topic: TOPICS.registry.name });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
