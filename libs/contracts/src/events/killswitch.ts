import { z } from 'zod';
import { identifier, text } from '../primitives';
import { eventSchema } from '../envelope';

export const KILL_SWITCH_SCOPE_KINDS = ['global', 'tenant', 'feature', 'agent', 'version'] as const;

export const KillSwitchScope = z.strictObject({
  kind: z.enum(KILL_SWITCH_SCOPE_KINDS),
  value: identifier().describe('Tenant, feature, agent or versionId; "*" for global.'),
});

const killSwitchChange = z.strictObject({
  scope: KillSwitchScope,
  reason: text().min(1),
  actor: identifier().describe('Who (user or service) flipped the switch.'),
});

export const KillSwitchEngagedV1 = eventSchema('killswitch.engaged', 1, killSwitchChange);
export const KillSwitchReleasedV1 = eventSchema('killswitch.released', 1, killSwitchChange);
