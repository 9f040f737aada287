import 'reflect-metadata';
import { runService } from '@iris/runtime';
import { ShadowComparatorService } from './shadow-comparator.service';

void runService(ShadowComparatorService).catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', service: 'shadow-comparator', msg: 'failed to start', error: String((error as Error)?.stack ?? error) }) + '\n');
  process.exit(1);
});
