import { ROLLOUT_API } from './http/rollout-api';
import { RolloutControllerModule } from './rollout-controller.module';
import type { ServiceDefinition } from '@iris/runtime';

export const RolloutControllerService: ServiceDefinition = { name: 'rollout-controller', module: RolloutControllerModule, api: ROLLOUT_API };
