import type { EventData } from '@iris/contracts';
import type { AgentVersionSpec, Digest, LayerName, SemverBump } from '../domain';

/** Payload of the `registry.version.registered` event (the registry's VersionRegistered). */
export type VersionRegisteredData = EventData<'registry.version.registered'>;

/** One immutable version of an agent as the registry knows it (event payload + where and when it was recorded). */
export interface RegisteredVersion {
  agent: string;
  versionId: string;
  label: string;
  digest: Digest;
  layers: Record<LayerName, Digest>;
  /** The validated tuple, defaults applied, without the label. */
  spec: AgentVersionSpec;
  /** provider/name. */
  model: string;
  endpoint?: string;
  previousVersionId: string | null;
  bump: SemverBump;
  bumpReasons: string[];
  registeredBy: string;
  registeredAt: string;
  notes?: string;
  labels?: Record<string, string>;
  eventId: string;
  /** 1-based position of the registration in the agent's stream: registration order. */
  sequence: number;
}

/** Agents are named by a lowercase slug (used in stream ids, URLs and `agents/<agent>/` directories). */
export { AGENT_NAME_PATTERN } from '@iris/contracts';

/** The event-store stream holding an agent's registrations. */
export const AGENT_STREAM_PREFIX = 'registry-agent-';
export const agentStreamId = (agent: string): string => `${AGENT_STREAM_PREFIX}${agent}`;
