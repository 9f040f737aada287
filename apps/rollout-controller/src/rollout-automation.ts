import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import { ConcurrencyError } from '@iris/event-store';
import { errorReason, isRetriableError, RetriableError, type DecodedMessage, type MessageBus, type Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { currentStage, isInProgress, RolloutDomainError, type RolloutCommand } from './domain';
import type { ControllerSettings } from './controller-settings';
import type { RolloutCommandHandler } from './rollout-command-handler';
import { SnapshotPairing } from './snapshot-pairing';

type Snapshot = EventOf<'metrics.snapshot'>;

export const AUTOMATION_ACTOR = 'iris:rollout-controller';

/**
 * The controller's own commands: each closed metrics window becomes an EvaluateSnapshot (time = the
 * window's end), live-session gauges of draining versions become ReportLiveSessions, and a scheduled
 * Tick lets a stage advance once its minimum duration has passed. Everything goes through the decider.
 * The window's end dates the judgement, not the routing: the weights a judgement changes take effect when
 * the command handler decides it plus the propagation allowance (the window's end lies in the past by then,
 * and SDK instances have placed sessions after it under the previous weights).
 */
export class RolloutAutomation {
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private readonly pairing = new SnapshotPairing();
  private readonly agents = new Set<string>();
  private stopped = false;
  /** Set while scheduled ticks fail on a retriable error (an outage): logged once, and once when it is over. */
  private tickOutage?: { sinceMs: number; failures: number };

  constructor(
    private readonly bus: MessageBus,
    private readonly handler: RolloutCommandHandler,
    private readonly settings: ControllerSettings,
    private readonly logger: JsonLogger,
  ) {}

  async start(knownAgents: readonly string[]): Promise<void> {
    knownAgents.forEach((agent) => this.agents.add(agent));
    this.subscription = await this.bus.subscribe<Snapshot>({
      topic: TOPICS.metrics.name,
      groupId: this.settings.consumerGroup,
      decode: (message) => decodeFromTopic(TOPICS.metrics, message.value),
      handleBatch: (messages) => this.onSnapshots(messages),
    });
    this.scheduleTick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.subscription?.stop();
  }

  private async onSnapshots(messages: Array<DecodedMessage<Snapshot>>): Promise<void> {
    for (const { value: snapshot } of messages) {
      if (snapshot.environment !== this.handler.environment) continue;
      await this.onSnapshot(snapshot);
    }
  }

  private async onSnapshot(snapshot: Snapshot): Promise<void> {
    const agent = snapshot.data.agent;
    const { state } = await this.handler.load(agent);
    if (state.fleet.length === 0) return;
    this.agents.add(agent);
    const at = snapshot.data.windowEnd;

    if (snapshot.data.view === 'window' && snapshot.data.role === 'primary') {
      for (const version of state.fleet.filter((v) => v.state === 'draining')) {
        const live = snapshot.data.versions[version.versionId]?.['liveSessions'];
        if (live === undefined) continue;
        await this.run(agent, { type: 'ReportLiveSessions', data: { versionId: version.versionId, liveSessions: live }, metadata: { commandId: `live:${snapshot.eventId}:${version.versionId}`, actor: AUTOMATION_ACTOR, at } }, snapshot.eventId);
      }
    }

    const rollout = state.rollout;
    if (!isInProgress(rollout)) return;
    const evaluation = this.pairing.offer(snapshot, currentStage(rollout).trafficPercent === 0, rollout.candidateVersionId);
    if (!evaluation) return;
    await this.run(agent, { type: 'EvaluateSnapshot', data: evaluation, metadata: { commandId: `snapshot:${evaluation.snapshotEventId}`, actor: AUTOMATION_ACTOR, at } }, snapshot.eventId);
  }

  /** Domain refusals of automatic commands (e.g. the rollout ended meanwhile) are logged, not retried. */
  private async run(agent: string, command: RolloutCommand, causationId?: string): Promise<void> {
    try {
      const { events } = await this.handler.execute(agent, command, { causationId });
      for (const event of events) {
        if (event.type === 'SnapshotEvaluated') continue;
        this.logger.info('rollout decision', { agent, event: event.type, command: command.type, commandId: command.metadata.commandId });
      }
    } catch (error) {
      // Retries on version conflicts ran out: the snapshot is decided again later (waited out, never dead-lettered).
      if (error instanceof ConcurrencyError) throw new RetriableError(`${command.type} of ${agent}: ${error.message}`, { cause: error });
      if (!(error instanceof RolloutDomainError)) throw error;
      this.logger.debug('automatic command refused', { agent, command: command.type, reason: error.message });
    }
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick().finally(() => this.scheduleTick()), this.settings.tickIntervalMs);
  }

  private async tick(): Promise<void> {
    const at = new Date().toISOString();
    let outage = false;
    for (const agent of new Set([...this.agents, ...this.handler.knownAgents()])) {
      if (this.stopped) return;
      try {
        const { state } = await this.handler.load(agent);
        if (state.rollout?.status !== 'running') continue;
        await this.run(agent, { type: 'Tick', data: {}, metadata: { commandId: `tick:${agent}:${at}`, actor: AUTOMATION_ACTOR, at } });
      } catch (error) {
        if (!isRetriableError(error)) {
          this.logger.warn('scheduled tick failed', { agent, error });
          continue;
        }
        outage = true;
        if (this.tickOutage) this.tickOutage.failures++;
        else {
          this.tickOutage = { sinceMs: Date.now(), failures: 1 };
          this.logger.warn('scheduled ticks failing on a retriable error; retried every tick, logged again when over', { agent, reason: errorReason(error) });
        }
      }
    }
    if (!outage && this.tickOutage && !this.stopped) {
      this.logger.info('scheduled ticks recovered', { outageMs: Date.now() - this.tickOutage.sinceMs, failedTicks: this.tickOutage.failures });
      this.tickOutage = undefined;
    }
  }
}
