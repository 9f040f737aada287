import { MetricsAggregatorModule } from './metrics-aggregator.module';
import type { ServiceDefinition } from '@iris/runtime';

export const MetricsAggregatorService: ServiceDefinition = { name: 'metrics-aggregator', module: MetricsAggregatorModule };
