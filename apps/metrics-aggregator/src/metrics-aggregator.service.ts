import { MetricsAggregatorModule } from './metrics-aggregator.module';
import type { ServiceDefinition } from '@iris/runtime';

import { MetricsAggregatorTables1763900000000 } from './migrations/1763900000000-metrics-aggregator-tables';

export const MetricsAggregatorService: ServiceDefinition = {
  name: 'metrics-aggregator',
  module: MetricsAggregatorModule,
  migrations: [MetricsAggregatorTables1763900000000],
};
