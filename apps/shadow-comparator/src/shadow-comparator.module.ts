import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { IrisConfig, ShadowComparatorSettings } from '@iris/config';
import { TOPICS } from '@iris/contracts';
import type { PostgresEventStore } from '@iris/event-store';
import type { ConsumerHealth, MessageBus } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { CONSUMER_HEALTH, EVENT_STORE, IRIS_CONFIG, MESSAGE_BUS } from '@iris/runtime';
import { DataSource } from 'typeorm';
import { ComparisonStore } from './comparison-store';
import { NormalisedTokenScorer, type ShadowGateLimits } from './domain';
import { gateLimitsOf } from './gate-limits-of';
import { ShadowController } from './http/shadow.controller';
import { ReportEmitter } from './report-emitter';
import { ShadowConsumer } from './shadow-consumer';
import { ShadowMetrics } from './shadow-metrics';
import { SHADOW_COMPARATOR_SETTINGS, SHADOW_GATE_LIMITS } from './tokens';

function settingsOf(config: IrisConfig): ShadowComparatorSettings {
  if (!config.shadowComparator) throw new Error(`the configuration was loaded for ${config.service}, not for the shadow comparator`);
  return config.shadowComparator;
}

/** Consumes telemetry, pairs and compares shadow runs, appends shadow.report events; serves reports and divergent requests. */
@Module({
  controllers: [ShadowController],
  providers: [
    { provide: SHADOW_COMPARATOR_SETTINGS, inject: [IRIS_CONFIG], useFactory: settingsOf },
    { provide: SHADOW_GATE_LIMITS, inject: [SHADOW_COMPARATOR_SETTINGS], useFactory: gateLimitsOf },
    ShadowMetrics,
    {
      provide: ComparisonStore,
      inject: [DataSource, SHADOW_COMPARATOR_SETTINGS],
      useFactory: (dataSource: DataSource, settings: ShadowComparatorSettings) => new ComparisonStore(dataSource, settings.consumerGroup, TOPICS.telemetry.name),
    },
  ],
})
export class ShadowComparatorModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: ShadowConsumer;
  private emitter?: ReportEmitter;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(EVENT_STORE) private readonly eventStore: PostgresEventStore,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(SHADOW_COMPARATOR_SETTINGS) private readonly settings: ShadowComparatorSettings,
    @Inject(SHADOW_GATE_LIMITS) private readonly limits: ShadowGateLimits,
    private readonly dataSource: DataSource,
    private readonly store: ComparisonStore,
    private readonly metrics: ShadowMetrics,
    private readonly logger: JsonLogger,
    @Inject(CONSUMER_HEALTH) consumerHealth: ConsumerHealth,
  ) {
    this.metrics.consumerHealth = consumerHealth;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new ShadowConsumer(this.bus, this.store, this.settings, this.metrics, this.logger, Date.now, { scorer: new NormalisedTokenScorer() });
    await this.consumer.start();
    this.emitter = new ReportEmitter(this.dataSource, this.store, this.eventStore, this.settings, this.limits, this.metrics, this.logger, this.config.mode === 'embedded');
    this.emitter.start();
  }

  /** SIGTERM: finish the in-flight batch, checkpoint, commit offsets, then stop reporting. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.emitter?.stop();
  }
}
