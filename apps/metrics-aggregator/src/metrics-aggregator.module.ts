import { Inject, Module, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import type { IrisConfig, MetricsAggregatorSettings } from '@iris/config';
import { TOPICS } from '@iris/contracts';
import type { PostgresEventStore } from '@iris/event-store';
import { type ConsumerHealth, EmbeddedMessageBus, type MessageBus } from '@iris/messaging';
import { JsonLogger, READINESS_CHECKS, type ReadinessCheck } from '@iris/observability';
import { CONSUMER_HEALTH, EVENT_STORE, IRIS_CONFIG, kafkaConnection, MESSAGE_BUS } from '@iris/runtime';
import { DataSource } from 'typeorm';
import { AggregatorMetrics } from './aggregator-metrics';
import { aggregatorSettingsOf } from './aggregator-settings';
import { MetricsController } from './metrics.controller';
import { embeddedEndOffsets, type EndOffsetsProbe, KafkaEndOffsets } from './partition-end-offsets';
import { PartitionStore } from './partition-store';
import { SnapshotEmitter } from './snapshot-emitter';
import { TelemetryAggregator } from './telemetry-aggregator';
import { METRICS_AGGREGATOR_SETTINGS } from './tokens';

/** Consumes telemetry, checkpoints per-partition windows, emits metrics.snapshot events; serves figures. */
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: METRICS_AGGREGATOR_SETTINGS, inject: [IRIS_CONFIG], useFactory: aggregatorSettingsOf },
    AggregatorMetrics,
    {
      provide: PartitionStore,
      inject: [DataSource, METRICS_AGGREGATOR_SETTINGS],
      useFactory: (dataSource: DataSource, settings: MetricsAggregatorSettings) => new PartitionStore(dataSource, settings.consumerGroup, TOPICS.telemetry.name),
    },
  ],
})
export class MetricsAggregatorModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private aggregator?: TelemetryAggregator;
  private emitter?: SnapshotEmitter;
  private kafkaEndOffsets?: KafkaEndOffsets;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(EVENT_STORE) private readonly eventStore: PostgresEventStore,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(METRICS_AGGREGATOR_SETTINGS) private readonly settings: MetricsAggregatorSettings,
    private readonly dataSource: DataSource,
    private readonly store: PartitionStore,
    private readonly metrics: AggregatorMetrics,
    private readonly logger: JsonLogger,
    @Inject(CONSUMER_HEALTH) consumerHealth: ConsumerHealth,
    @Inject(READINESS_CHECKS) readinessChecks: ReadinessCheck[],
  ) {
    this.metrics.consumerHealth = consumerHealth;
    // Records skipped for good show in readiness for a while (the service's shared checks are the same array).
    readinessChecks.push({ name: 'telemetry', check: async () => this.metrics.assertNothingSkippedRecently() });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.emitter = new SnapshotEmitter(this.dataSource, this.store, this.eventStore, this.settings, this.metrics, this.logger, this.config.mode === 'embedded');
    // A window closed in this process is emitted at once; partitions of other instances are polled (emitIntervalMs).
    this.aggregator = new TelemetryAggregator(this.bus, this.store, this.settings, this.metrics, this.logger, Date.now, {
      onWindowsCheckpointed: () => this.emitter?.wake(),
      maxClockSkewMs: this.settings.maxClockSkewMs,
      endOffsets: this.endOffsetsProbe(),
    });
    await this.aggregator.start();
    this.emitter.start();
  }

  /** SIGTERM: finish the in-flight batch, checkpoint, commit offsets, then stop emitting. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.aggregator?.stop();
    await this.emitter?.stop();
    await this.kafkaEndOffsets?.close();
  }

  /** How the aggregator reads the telemetry topic's end before treating a quiet partition as idle. */
  private endOffsetsProbe(): EndOffsetsProbe {
    if (this.bus instanceof EmbeddedMessageBus) return embeddedEndOffsets(this.bus);
    this.kafkaEndOffsets = new KafkaEndOffsets(kafkaConnection(this.config), {
      log: (level, message, fields) => this.logger.write(level, message, { component: 'end-offsets', ...fields }),
    });
    return this.kafkaEndOffsets.probe;
  }
}
