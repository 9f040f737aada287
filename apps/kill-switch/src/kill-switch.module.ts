import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { IrisConfig, KillSwitchSettings } from '@iris/config';
import { TOPICS } from '@iris/contracts';
import type { PostgresEventStore } from '@iris/event-store';
import type { MessageBus } from '@iris/messaging';
import { JsonLogger, READINESS_CHECKS, type ReadinessCheck } from '@iris/observability';
import { EVENT_STORE, IRIS_CONFIG, MESSAGE_BUS } from '@iris/runtime';
import { endOffsetsProbe } from './catch-up';
import { ExpiryTimer } from './expiry-timer';
import { KillsController } from './http/kills.controller';
import { KillAdmission } from './kill-admission';
import { KillCommandHandler } from './kill-command-handler';
import { RoutingView } from './routing-view';
import { ensureTopicHoldsLatest } from './topic-check';
import { VersionCatalog } from './version-catalog';

export const KILL_SWITCH_SETTINGS = Symbol('KILL_SWITCH_SETTINGS');

function settingsOf(config: IrisConfig): KillSwitchSettings {
  if (!config.killSwitch) throw new Error(`the configuration was loaded for ${config.service}, not for the kill switch`);
  return config.killSwitch;
}

/**
 * The kill switch: the environment's kill set in the event log (rebuilt from it on start), the kill API, the
 * `killswitch.set` contract event appended with every change (the outbox publishes it on the compacted topic), an
 * expiry clock, and on start a check that the topic holds the latest set (re-published from the log if not).
 */
@Module({
  controllers: [KillsController],
  providers: [
    { provide: KILL_SWITCH_SETTINGS, inject: [IRIS_CONFIG], useFactory: settingsOf },
    { provide: VersionCatalog, useFactory: () => new VersionCatalog() },
    { provide: RoutingView, inject: [IRIS_CONFIG], useFactory: (config: IrisConfig) => new RoutingView(config.environment) },
    {
      provide: KillCommandHandler,
      inject: [EVENT_STORE, IRIS_CONFIG, KILL_SWITCH_SETTINGS, VersionCatalog, RoutingView],
      useFactory: (store: PostgresEventStore, config: IrisConfig, settings: KillSwitchSettings, catalog: VersionCatalog, routing: RoutingView) =>
        new KillCommandHandler(store, config.environment, new KillAdmission(catalog, routing, settings.requireRegisteredVersions)),
    },
    {
      provide: ExpiryTimer,
      inject: [KillCommandHandler, KILL_SWITCH_SETTINGS, JsonLogger],
      useFactory: (handler: KillCommandHandler, settings: KillSwitchSettings, logger: JsonLogger) => new ExpiryTimer(handler, settings.expiryCheckMs, logger),
    },
  ],
})
export class KillSwitchModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(KILL_SWITCH_SETTINGS) private readonly settings: KillSwitchSettings,
    @Inject(KillCommandHandler) private readonly handler: KillCommandHandler,
    @Inject(VersionCatalog) private readonly catalog: VersionCatalog,
    @Inject(RoutingView) private readonly routing: RoutingView,
    @Inject(ExpiryTimer) private readonly expiry: ExpiryTimer,
    @Inject(READINESS_CHECKS) private readonly readiness: ReadinessCheck[],
    private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const started = Date.now();
    const { state, version } = await this.handler.load();
    this.logger.info('kill set rebuilt from the event log', { environment: this.config.environment, revision: state.revision, kills: state.kills.length, events: version.toString(), ms: Date.now() - started });
    const endOffsets = endOffsetsProbe(this.bus, this.config, this.logger);
    await this.catalog.follow(this.bus, this.logger, endOffsets);
    await this.routing.follow(this.bus, this.logger, endOffsets);
    // Ready once the registry and the routing tables are read: until then a kill's 404 / 409 checks are incomplete.
    // Not in embedded mode: there every service of the process shares one list of checks, and the in-process bus
    // hands the followers everything at once.
    if (this.config.mode === 'kafka') this.readiness.push({
      name: 'kill-switch-followers',
      check: async () => {
        if (!this.catalog.caughtUp) throw new Error(`still reading ${TOPICS.registry.name}`);
        if (!this.routing.caughtUp) throw new Error(`still reading ${TOPICS.routing.name}`);
      },
    });
    const outcome = await ensureTopicHoldsLatest(this.handler, this.bus, this.config, this.logger, this.settings.topicCheckTimeoutMs);
    this.logger.info('kill-switch topic checked', { outcome, revision: state.revision });
    this.expiry.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.expiry.stop();
    await this.catalog.stop();
    await this.routing.stop();
  }
}
