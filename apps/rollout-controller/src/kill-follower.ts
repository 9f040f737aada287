import { KillSetSubscriber, type AgentSdkLogger, type CompiledKillSet } from '@iris/agent-sdk';
import type { KillData } from '@iris/contracts';
import type { MessageBus } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { RolloutDomainError, type RolloutCommand } from './domain';
import type { RolloutCommandHandler } from './rollout-command-handler';

export const KILL_ACTOR = 'iris:kill-switch';

/**
 * Follows the environment's kill set (the compacted `iris.killswitch.v1`, as the SDK does) and hands every kill that
 * switches a version (or a whole agent, or everything) off for all tenants and features to the decider as ApplyKill:
 * a running rollout of a killed candidate is rolled back with trigger `kill` and the kill id — one story in the log.
 * Narrower kills (a tenant, a feature) leave the rollout alone; the SDK applies them. The command id is derived from the
 * kill, so every instance and every redelivery has the same effect once.
 */
export class KillFollower {
  private subscriber?: KillSetSubscriber;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: MessageBus,
    private readonly handler: RolloutCommandHandler,
    private readonly knownAgents: () => readonly string[],
    private readonly logger: JsonLogger,
  ) {}

  async start(): Promise<void> {
    const sdkLogger: AgentSdkLogger = { log: (level, message, fields) => this.logger.write(level, message, { component: 'kill-follower', ...fields }) };
    this.subscriber = new KillSetSubscriber({ bus: this.bus, environment: this.handler.environment, logger: sdkLogger });
    this.subscriber.onChange((current) => {
      this.queue = this.queue.then(() => this.apply(current)).catch((error: unknown) => this.logger.warn('applying kills to rollouts failed', { error }));
    });
    await this.subscriber.start();
  }

  async stop(): Promise<void> {
    await this.subscriber?.stop();
    await this.queue;
  }

  /** Applies every kill in force that covers whole versions (re-applying one is a no-op: its command id is known). */
  async apply(killSet: CompiledKillSet, nowMs = Date.now()): Promise<void> {
    for (const kill of killSet.data.kills) {
      if (kill.scope.tenant !== undefined || kill.scope.feature !== undefined) continue;
      if (kill.expiresAt !== null && Date.parse(kill.expiresAt) <= nowMs) continue;
      const agents = kill.scope.agent !== undefined ? [kill.scope.agent] : this.knownAgents();
      for (const agent of agents) await this.applyTo(agent, kill, killSet.fallbackOf(agent), nowMs);
    }
  }

  private async applyTo(agent: string, kill: KillData, fallback: string | undefined, nowMs: number): Promise<void> {
    const command: RolloutCommand = {
      type: 'ApplyKill',
      data: { killId: kill.killId, reason: kill.reason, versionId: kill.scope.versionId ?? null, ...(fallback !== undefined && { spareVersionId: fallback }), onKill: kill.onKill },
      metadata: { commandId: `kill:${kill.killId}`, actor: KILL_ACTOR, at: new Date(nowMs).toISOString() },
    };
    try {
      const { events } = await this.handler.execute(agent, command);
      const rolledBack = events.find((e) => e.type === 'RolledBack');
      if (rolledBack) this.logger.warn('rollout rolled back by a kill', { agent, killId: kill.killId, rolloutId: (rolledBack.data as { rolloutId: string }).rolloutId });
    } catch (error) {
      if (error instanceof RolloutDomainError) return; // nothing to roll back (e.g. no rollout): the SDK applies the kill anyway
      throw error;
    }
  }
}
