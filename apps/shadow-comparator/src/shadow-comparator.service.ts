import type { ServiceDefinition } from '@iris/runtime';
import { SHADOW_API } from './http/shadow-api';
import { ShadowComparatorTables1765100000000 } from './migrations/1765100000000-shadow-comparator-tables';
import { ShadowComparatorModule } from './shadow-comparator.module';

/** Partitions processed concurrently (each in order, serialised per partition by ShadowConsumer), as the aggregator does. */
export const SHADOW_COMPARATOR_KAFKA_CONSUMER = { partitionsConsumedConcurrently: 12, maxBytesPerPartition: 4 * 1024 * 1024 } as const;

export const ShadowComparatorService: ServiceDefinition = {
  name: 'shadow-comparator',
  module: ShadowComparatorModule,
  migrations: [ShadowComparatorTables1765100000000],
  kafkaConsumer: SHADOW_COMPARATOR_KAFKA_CONSUMER,
  api: SHADOW_API,
};
