import { decodeFromTopic, TOPICS, type EventOf } from '@iris/contracts';
import { ConcurrencyError } from '@iris/event-store';
import { RetriableError, type DecodedMessage, type MessageBus, type Subscription } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { currentStage, isInProgress, RolloutDomainError, type RecordExternalGate, type Rollout } from './domain';
import type { ControllerSettings } from './controller-settings';
import type { RolloutCommandHandler } from './rollout-command-handler';
import { AUTOMATION_ACTOR } from './rollout-automation';

type ShadowReport = EventOf<'shadow.report'>;

/** The external gate a shadow report is recorded as (`external:shadow-report` among the verdicts). */
export const SHADOW_REPORT_GATE = 'shadow-report';

/**
 * The command a shadow report becomes for a rollout, or undefined when it does not concern it: only while the
 * rollout is in its shadow stage (0 % of new sessions), for its candidate against its baseline, for a window that
 * ended after the stage began, and with a verdict (`insufficient` waits for more pairs). A failing report is a
 * failed external gate, which rolls the rollout back like any failed gate; a passing one is recorded.
 */
export function shadowReportCommand(report: ShadowReport, rollout: Rollout | null | undefined): RecordExternalGate | undefined {
  if (!rollout || !isInProgress(rollout) || currentStage(rollout).trafficPercent !== 0) return undefined;
  const d = report.data;
  if (d.candidateVersionId !== rollout.candidateVersionId || (rollout.baselineVersionId !== null && d.baselineVersionId !== rollout.baselineVersionId)) return undefined;
  if (Date.parse(d.windowEnd) <= rollout.stageEnteredAtMs || d.verdict === 'insufficient') return undefined;
  return {
    type: 'RecordExternalGate',
    data: { name: SHADOW_REPORT_GATE, value: Math.max(0, d.decisionDifferenceRate - d.noiseFloorRate), passed: d.verdict === 'pass' },
    metadata: { commandId: `shadow-report:${report.eventId}`, actor: AUTOMATION_ACTOR, at: d.windowEnd },
  };
}

/** Follows iris.shadow.v1 (its own consumer group) and records each relevant shadow report on the rollout. */
export class ShadowReportGate {
  private subscription?: Subscription;

  constructor(
    private readonly bus: MessageBus,
    private readonly handler: RolloutCommandHandler,
    private readonly settings: ControllerSettings,
    private readonly logger: JsonLogger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<ShadowReport>({
      topic: TOPICS.shadow.name,
      groupId: `${this.settings.consumerGroup}-shadow-reports`,
      decode: (message) => decodeFromTopic(TOPICS.shadow, message.value),
      handleBatch: (messages) => this.onReports(messages),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private async onReports(messages: Array<DecodedMessage<ShadowReport>>): Promise<void> {
    for (const { value: report } of messages) {
      if (report.environment !== this.handler.environment) continue;
      const { state } = await this.handler.load(report.data.agent);
      const command = shadowReportCommand(report, state.rollout);
      if (!command) continue;
      try {
        const { events } = await this.handler.execute(report.data.agent, command, { causationId: report.eventId });
        this.logger.info('shadow report recorded', { agent: report.data.agent, verdict: report.data.verdict, events: events.map((e) => e.type) });
      } catch (error) {
        if (error instanceof ConcurrencyError) throw new RetriableError(`shadow report of ${report.data.agent}: ${error.message}`, { cause: error });
        if (!(error instanceof RolloutDomainError)) throw error;
        this.logger.debug('shadow report refused', { agent: report.data.agent, reason: error.message });
      }
    }
  }
}
