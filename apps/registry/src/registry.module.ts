import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { IrisConfig } from '@iris/config';
import type { PostgresEventStore } from '@iris/event-store';
import type { MessageBus } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { EVENT_STORE, IRIS_CONFIG, MESSAGE_BUS } from '@iris/runtime';
import { RegistryController } from './http/registry.controller';
import { RegistryLogFollower, RoutingStatusConsumer } from './log';
import { RegistryReadModel } from './read-model';
import { VersionRegistrar } from './version-registrar';

/**
 * The registry: registrations are appended to the agent's stream in the event log (and relayed to
 * iris.registry.v1 by the outbox); the read model is rebuilt from the log before the service
 * answers, follows the log afterwards, and takes version states from iris.routing.v1.
 */
@Module({
  controllers: [RegistryController],
  providers: [
    { provide: RegistryReadModel, useFactory: () => new RegistryReadModel() },
    {
      provide: VersionRegistrar,
      inject: [EVENT_STORE, RegistryReadModel, JsonLogger, IRIS_CONFIG],
      useFactory: (store: PostgresEventStore, readModel: RegistryReadModel, logger: JsonLogger, config: IrisConfig) =>
        new VersionRegistrar(store, readModel, logger, { environment: config.environment }),
    },
  ],
})
export class RegistryModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private follower?: RegistryLogFollower;
  private routing?: RoutingStatusConsumer;

  constructor(
    @Inject(EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(RegistryReadModel) private readonly readModel: RegistryReadModel,
    private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.follower = new RegistryLogFollower(this.store, this.readModel, this.logger);
    const started = Date.now();
    const versions = await this.follower.catchUp();
    this.logger.info('registry rebuilt from the event log', { agents: this.readModel.agentNames().length, versions, ms: Date.now() - started });
    this.follower.start();
    this.routing = new RoutingStatusConsumer(this.bus, this.readModel, this.config.environment, this.logger);
    await this.routing.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.routing?.stop();
    await this.follower?.stop();
  }
}
