import { Module } from '@nestjs/common';

/** The metrics-aggregator service's features (controllers, consumers) are registered here. */
@Module({})
export class MetricsAggregatorModule {}
