import { randomUUID } from 'node:crypto';
import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import type { MessageBus, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';

export interface KnownVersion {
  versionId: string;
  label: string;
  endpoint?: string;
  spec: Record<string, unknown>;
}

type Registered = EventOf<'registry.version.registered'>;

/**
 * What the registry has published about agent versions (label, endpoint, full tuple), followed from
 * `iris.registry.v1` from the beginning so every controller instance knows every version.
 * Registrations are immutable and content-addressed, so they hold in every environment, and
 * redeliveries simply overwrite an entry with itself.
 */
export class VersionCatalog {
  private readonly versions = new Map<string, Map<string, KnownVersion>>();
  private subscription?: Subscription;


  get(agent: string, versionId: string): KnownVersion | undefined {
    return this.versions.get(agent)?.get(versionId);
  }

  has(agent: string, versionId: string): boolean {
    return this.get(agent, versionId) !== undefined;
  }

  record(event: Registered): void {
    const { agent, versionId, label, endpoint, spec } = event.data;
    const forAgent = this.versions.get(agent) ?? new Map<string, KnownVersion>();
    forAgent.set(versionId, { versionId, label, spec, ...(endpoint !== undefined && { endpoint }) });
    this.versions.set(agent, forAgent);
  }

  /** Follows the registry topic; a group of its own per instance, so each instance sees every partition. */
  async follow(bus: MessageBus, logger: JsonLogger, instanceId = randomUUID()): Promise<void> {
    this.subscription = await bus.subscribe<Registered>({
      topic: TOPICS.registry.name,
      groupId: `rollout-controller-catalog-${instanceId}`,
      fromBeginning: true,
      decode: (message) => decodeFromTopic(TOPICS.registry, message.value), // anything else is dead-lettered, never a phantom version
      handleBatch: async (messages) => {
        for (const message of messages) this.record(message.value);
      },
    });
    logger.info('following the registry', { topic: TOPICS.registry.name });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
