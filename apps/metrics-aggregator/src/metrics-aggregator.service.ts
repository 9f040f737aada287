import { MetricsAggregatorModule } from './metrics-aggregator.module';
import { METRICS_API } from './metrics-api';
import type { ServiceDefinition } from '@iris/runtime';

import { MetricsAggregatorTables1763900000000 } from './migrations/1763900000000-metrics-aggregator-tables';

/**
 * Partitions are processed concurrently (each still in order, serialised per partition by TelemetryAggregator)
 * and fetches are larger: checkpoints are written in the background, so a fetch is decoding-bound, not database-bound.
 */
export const METRICS_AGGREGATOR_KAFKA_CONSUMER = { partitionsConsumedConcurrently: 12, maxBytesPerPartition: 4 * 1024 * 1024 } as const;

export const MetricsAggregatorService: ServiceDefinition = {
  name: 'metrics-aggregator',
  module: MetricsAggregatorModule,
  migrations: [MetricsAggregatorTables1763900000000],
  kafkaConsumer: METRICS_AGGREGATOR_KAFKA_CONSUMER,
  api: METRICS_API,
};
