import type { PostgresEventStore, StoredEvent } from '@iris/event-store';
import { toContractEvent } from '@iris/runtime';
import { AGENT_STREAM_PREFIX, agentStreamId, foldAgent, versionFromEvent, type AgentState, type RegisteredVersion } from '../registration';

export const VERSION_REGISTERED = 'registry.version.registered';

/** A registration from the log, or undefined for any other event. Throws when a registration fails validation. */
export function versionFromStored(stored: StoredEvent): RegisteredVersion | undefined {
  if (stored.type !== VERSION_REGISTERED || !stored.streamId.startsWith(AGENT_STREAM_PREFIX)) return undefined;
  const event = toContractEvent(stored);
  if (event?.type !== VERSION_REGISTERED) return undefined;
  return versionFromEvent(event, Number(stored.streamPosition));
}

/** An agent's state from its stream, and the stream version to expect when appending to it. */
export async function loadAgent(store: PostgresEventStore, agent: string): Promise<{ state: AgentState; streamVersion: bigint }> {
  const { events, currentVersion } = await store.readStream(agentStreamId(agent));
  const versions = events.map(versionFromStored).filter((v): v is RegisteredVersion => v !== undefined);
  return { state: foldAgent(agent, versions), streamVersion: currentVersion };
}
