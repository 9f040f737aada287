import type { EventOf } from '@iris/contracts';
import { parseAgentVersion, type Digest, type LayerName } from '../domain';
import type { RegisteredVersion } from './registered-version';

/**
 * The read-model entry of a `registry.version.registered` event at `sequence` in its agent's stream.
 * The stored spec is validated again (it was validated when registered; this gives it its type).
 */
export function versionFromEvent(event: EventOf<'registry.version.registered'>, sequence: number): RegisteredVersion {
  const data = event.data;
  return {
    agent: data.agent,
    versionId: data.versionId,
    label: data.label,
    digest: data.digest as Digest,
    layers: data.layers as Record<LayerName, Digest>,
    spec: parseAgentVersion(data.spec),
    model: data.model,
    ...(data.endpoint !== undefined && { endpoint: data.endpoint }),
    previousVersionId: data.previousVersionId,
    bump: data.bump,
    bumpReasons: data.bumpReasons,
    registeredBy: data.registeredBy,
    registeredAt: event.occurredAt,
    ...(data.notes !== undefined && { notes: data.notes }),
    ...(data.labels !== undefined && { labels: data.labels }),
    eventId: event.eventId,
    sequence,
  };
}
