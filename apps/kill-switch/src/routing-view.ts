import { randomUUID } from 'node:crypto';
import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import type { MessageBus, Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import type { EndOffsetsProbe } from '@iris/agent-sdk';
import { CatchUp, followerDecode, type Followed } from './catch-up';
import type { AgentRouting } from './domain';

type RoutingDecision = EventOf<'routing.decision'>;

/**
 * What the routing tables of this environment say of each agent (serving versions, the table's fallback: the last
 * version that completed a rollout), followed from the compacted `iris.routing.v1` from the beginning. The last table
 * published stays known while the rollout controller is stopped.
 */
export class RoutingView {
  private readonly agents = new Map<string, { revision: number; routing: AgentRouting }>();
  private subscription?: Subscription;
  private readonly catchUp = new CatchUp(TOPICS.routing.name);

  get caughtUp(): boolean {
    return this.catchUp.caughtUp;
  }

  constructor(private readonly environment: string) {}

  routingOf(agent: string): AgentRouting | undefined {
    return this.agents.get(agent)?.routing;
  }

  knownAgents(): string[] {
    return [...this.agents.keys()];
  }

  /** Versions the agent's table lists (so the registry catalog is not the only witness of a version). */
  lists(agent: string, versionId: string): boolean {
    const routing = this.routingOf(agent);
    return routing !== undefined && (routing.allVersionIds ?? []).includes(versionId);
  }

  record(event: RoutingDecision): void {
    if (event.environment !== this.environment) return;
    const { agent, revision, table } = event.data;
    const known = this.agents.get(agent);
    if (known && known.revision >= revision) return;
    const takesTraffic = (v: (typeof table.versions)[number]) => v.newSessionWeight > 0 || v.state === 'active' || v.state === 'canary';
    this.agents.set(agent, {
      revision,
      routing: {
        servingVersionIds: table.versions.filter(takesTraffic).map((v) => v.versionId),
        fallbackVersionId: table.versions.some((v) => v.versionId === table.fallbackVersionId && v.state !== 'killed') ? table.fallbackVersionId : null,
        activeVersionIds: table.versions.filter((v) => v.state === 'active').map((v) => v.versionId),
        allVersionIds: table.versions.map((v) => v.versionId),
      },
    });
  }

  async follow(bus: MessageBus, logger: JsonLogger, endOffsets?: EndOffsetsProbe, instanceId = randomUUID()): Promise<void> {
    await this.catchUp.begin(endOffsets, logger);
    this.subscription = await bus.subscribe<Followed<RoutingDecision>>({
      topic: TOPICS.routing.name,
      groupId: `kill-switch-routing-${instanceId}`,
      fromBeginning: true,
      decode: followerDecode((bytes) => decodeFromTopic(TOPICS.routing, bytes)),
      handleBatch: async (messages) => {
        for (const message of messages) {
          if (message.value.ok) this.record(message.value.event);
          else logger.warn('skipped a routing table record the contracts refuse', { topic: message.topic, partition: message.partition, offset: message.offset, reason: message.value.reason });
          this.catchUp.progress(message.partition, message.offset);
        }
      },
    });
    logger.info('following the routing tables', { topic: TOPICS.routing.name });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
