import { z } from 'zod';
import { identifier, slug } from '../primitives';
import { eventSchema } from '../envelope';

/** Generic rollout lifecycle event; `kind` says what happened, `detail` is open for extension. */
export const RolloutEventV1 = eventSchema(
  'rollout.event',
  1,
  z.strictObject({
    rolloutId: identifier(),
    agent: identifier(),
    kind: slug().describe('e.g. started, stage.advanced, paused, rolled_back, completed'),
    detail: z.record(z.string(), z.unknown()).describe('Kind-specific detail (extension point).'),
  }),
);
