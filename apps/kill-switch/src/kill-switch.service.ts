import type { ServiceDefinition } from '@iris/runtime';
import { KILL_SWITCH_API } from './http/kill-switch-api';
import { KillSwitchModule } from './kill-switch.module';

export const KillSwitchService: ServiceDefinition = { name: 'kill-switch', module: KillSwitchModule, api: KILL_SWITCH_API };
