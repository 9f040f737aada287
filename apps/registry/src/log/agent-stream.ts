import type { StoredEvent } from '@iris/event-store';
import { toContractEvent } from '@iris/runtime';
import { AGENT_STREAM_PREFIX, versionFromEvent, type RegisteredVersion } from '../registration';

export const VERSION_REGISTERED = 'registry.version.registered';

/** A registration from the log, or undefined for any other event. Throws when a registration fails validation. */
export function versionFromStored(stored: StoredEvent): RegisteredVersion | undefined {
  if (stored.type !== VERSION_REGISTERED || !stored.streamId.startsWith(AGENT_STREAM_PREFIX)) return undefined;
  const event = toContractEvent(stored);
  if (event?.type !== VERSION_REGISTERED) return undefined;
  return versionFromEvent(event, Number(stored.streamPosition));
}
