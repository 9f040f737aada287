import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { IrisConfig } from '@iris/config';
import type { PostgresEventStore } from '@iris/event-store';
import type { MessageBus } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { EVENT_STORE, IRIS_CONFIG, MESSAGE_BUS } from '@iris/runtime';
import { ControllerSettings, controllerSettingsOf } from './controller-settings';
import { RolloutsController } from './http/rollouts.controller';
import { KillFollower } from './kill-follower';
import { RolloutAutomation } from './rollout-automation';
import { RolloutCommandHandler } from './rollout-command-handler';
import { ROLLOUT_STREAM_PREFIX } from './rollout-log';
import { PromotionLedger } from './promotion-ledger';
import { ShadowReportGate } from './shadow-report-gate';
import { CONTROLLER_SETTINGS, PROMOTION_LEDGER } from './tokens';
import { VersionCatalog } from './version-catalog';

/** Rollout aggregates in the event log, the rollout API, and the automation fed by metrics snapshots. */
@Module({
  controllers: [RolloutsController],
  providers: [
    { provide: CONTROLLER_SETTINGS, inject: [IRIS_CONFIG], useFactory: controllerSettingsOf },
    {
      provide: PROMOTION_LEDGER,
      inject: [CONTROLLER_SETTINGS],
      useFactory: (settings: ControllerSettings) => (settings.promoteFrom ? new PromotionLedger(settings.promoteFrom) : null),
    },
    { provide: VersionCatalog, useFactory: () => new VersionCatalog() },
    {
      provide: RolloutCommandHandler,
      inject: [EVENT_STORE, VersionCatalog, IRIS_CONFIG, CONTROLLER_SETTINGS, PROMOTION_LEDGER],
      useFactory: (store: PostgresEventStore, catalog: VersionCatalog, config: IrisConfig, settings: ControllerSettings, promotions: PromotionLedger | null) =>
        new RolloutCommandHandler(
          store,
          catalog,
          config.environment,
          { requireRegisteredVersions: settings.requireRegisteredVersions, promotions },
          { propagationAllowanceMs: settings.routingPropagationAllowanceMs },
        ),
    },
  ],
})
export class RolloutControllerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private automation?: RolloutAutomation;
  private kills?: KillFollower;
  private shadowReports?: ShadowReportGate;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(CONTROLLER_SETTINGS) private readonly settings: ControllerSettings,
    @Inject(EVENT_STORE) private readonly store: PostgresEventStore,
    private readonly catalog: VersionCatalog,
    private readonly handler: RolloutCommandHandler,
    private readonly logger: JsonLogger,
    @Inject(PROMOTION_LEDGER) private readonly promotions: PromotionLedger | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.catalog.follow(this.bus, this.logger);
    await this.promotions?.follow(this.bus, this.logger);
    this.automation = new RolloutAutomation(this.bus, this.handler, this.settings, this.logger);
    const agents = await this.agentsWithRollouts();
    await this.automation.start(agents);
    this.kills = new KillFollower(this.bus, this.handler, () => [...new Set([...agents, ...this.handler.knownAgents()])], this.logger);
    await this.kills.start();
    if (this.settings.shadowReportGate) {
      this.shadowReports = new ShadowReportGate(this.bus, this.handler, this.settings, this.logger);
      await this.shadowReports.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.automation?.stop();
    await this.kills?.stop();
    await this.shadowReports?.stop();
    await this.catalog.stop();
    await this.promotions?.stop();
  }

  /** Agents of this environment with a rollout stream (scheduled ticks cover them from the start). */
  private async agentsWithRollouts(): Promise<string[]> {
    const prefix = `${ROLLOUT_STREAM_PREFIX}${this.config.environment}-`;
    const streams = await this.store.listStreams({ prefix });
    return streams.map((streamId) => streamId.slice(prefix.length));
  }
}
