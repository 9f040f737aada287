import { KillSwitchModule } from './kill-switch.module';
import type { ServiceDefinition } from '@iris/runtime';

export const KillSwitchService: ServiceDefinition = { name: 'kill-switch', module: KillSwitchModule };
