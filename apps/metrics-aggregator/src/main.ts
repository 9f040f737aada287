import 'reflect-metadata';
import { runService } from '@iris/runtime';
import { MetricsAggregatorService } from './metrics-aggregator.service';

void runService(MetricsAggregatorService).catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', service: 'metrics-aggregator', msg: 'failed to start', error: String((error as Error)?.stack ?? error) }) + '\n');
  process.exit(1);
});
