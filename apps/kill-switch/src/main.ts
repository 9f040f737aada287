import 'reflect-metadata';
import { runService } from '@iris/runtime';
import { KillSwitchService } from './kill-switch.service';

void runService(KillSwitchService).catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', service: 'kill-switch', msg: 'failed to start', error: String((error as Error)?.stack ?? error) }) + '\n');
  process.exit(1);
});
