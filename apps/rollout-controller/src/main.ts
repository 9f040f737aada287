import 'reflect-metadata';
import { runService } from '@iris/runtime';
import { RolloutControllerService } from './rollout-controller.service';

void runService(RolloutControllerService).catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', service: 'rollout-controller', msg: 'failed to start', error: String((error as Error)?.stack ?? error) }) + '\n');
  process.exit(1);
});
