import 'reflect-metadata';
import { runService } from '@iris/runtime';
import { RegistryService } from './registry.service';

void runService(RegistryService).catch((error: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', service: 'registry', msg: 'failed to start', error: String((error as Error)?.stack ?? error) }) + '\n');
  process.exit(1);
});
