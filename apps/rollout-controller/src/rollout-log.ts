import { createHash } from 'node:crypto';
import { createEvent, type EventOf, type IrisEvent } from '@iris/contracts';
import type { NewEvent, StoredEvent } from '@iris/event-store';
import { toNewEvent } from '@iris/runtime';
import type { RolloutEvent, RolloutEventType, RoutingTable } from './domain';
import type { VersionCatalog } from './version-catalog';

/**
 * How the rollout aggregate lives in the event log: one stream per (environment, agent) holding the
 * decider's events, and beside them, in the same append, the contract events the outbox publishes
 * (`routing.decision` on the compacted routing topic, `rollout.event` for audit consumers).
 */

/** Every decider event type; a Record so that the compiler insists on new ones being listed. */
const DOMAIN_EVENTS: Record<RolloutEventType, true> = {
  RolloutStarted: true,
  RolloutSuperseded: true,
  SnapshotEvaluated: true,
  ExternalGateRecorded: true,
  PreflightChecked: true,
  FleetPolicyChanged: true,
  VersionForceDrained: true,
  StageAdvanced: true,
  RolloutPaused: true,
  RolloutResumed: true,
  RolloutCompleted: true,
  RolledBack: true,
  VersionDrained: true,
  TargetingChanged: true,
  RoutingTableChanged: true,
};
const DOMAIN_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(DOMAIN_EVENTS));

export const ROLLOUT_STREAM_PREFIX = 'rollout-';

export function rolloutStreamId(environment: string, agent: string): string {
  return `${ROLLOUT_STREAM_PREFIX}${environment}-${agent}`;
}

export function isDomainEvent(stored: StoredEvent): boolean {
  return DOMAIN_EVENT_TYPES.has(stored.type);
}

export function fromStored(stored: StoredEvent): RolloutEvent {
  const metadata = stored.metadata as { commandId: string; actor: string; at: string };
  return { type: stored.type, data: stored.data, metadata: { commandId: metadata.commandId, actor: metadata.actor, at: metadata.at } } as RolloutEvent;
}

/**
 * Event ids derived from (stream, command, index): appending the same decision twice (a retry after a
 * lost acknowledgement) is recognised by the store as the same events.
 */
export function derivedEventId(streamId: string, commandId: string, index: number): string {
  const hex = createHash('sha256').update(`${streamId}\u0000${commandId}\u0000${index}`).digest('hex');
  // RFC 4122 layout, version 5 (name-based) and variant 10xx.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface LogContext {
  environment: string;
  agent: string;
  streamId: string;
  /** eventId of the event that caused the command (e.g. a metrics.snapshot), for the contract envelopes. */
  causationId?: string;
}

/** Domain events plus the contract events they imply, ready for one atomic append. */
export function toLogEntries(events: readonly RolloutEvent[], context: LogContext, catalog: VersionCatalog): NewEvent[] {
  const entries: NewEvent[] = [];
  events.forEach((event, index) => {
    const { commandId, actor, at } = event.metadata;
    entries.push({ id: derivedEventId(context.streamId, commandId, index), type: event.type, data: event.data, metadata: { commandId, actor, at } });
    const contract = toContractEvent(event, context, catalog, derivedEventId(context.streamId, commandId, 1_000 + index));
    if (contract) entries.push(toNewEvent(contract, { actor, commandId }));
  });
  return entries;
}

function toContractEvent(event: RolloutEvent, context: LogContext, catalog: VersionCatalog, eventId: string): IrisEvent | undefined {
  const envelope = {
    eventId,
    occurredAt: event.metadata.at,
    environment: context.environment,
    correlationId: event.metadata.commandId,
    causationId: context.causationId ?? null,
  };
  if (event.type === 'RoutingTableChanged') {
    return createEvent(
      'routing.decision',
      {
        agent: context.agent,
        revision: event.data.revision,
        decidedAt: event.metadata.at,
        table: publishedTable(event.data.table, context.agent, catalog),
        rolloutId: event.data.rolloutId,
        reason: event.data.reason.slice(0, 4096),
      },
      envelope,
    );
  }
  const rolloutId = 'rolloutId' in event.data ? event.data.rolloutId : 'fleet';
  return createEvent(
    'rollout.event',
    { rolloutId, agent: context.agent, kind: kindOf(event.type), detail: { ...event.data, actor: event.metadata.actor } as Record<string, unknown> },
    envelope,
  );
}

/** `StageAdvanced` → `stage-advanced`. */
export function kindOf(type: RolloutEventType): string {
  return type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The decider's table with what the registry knows of each version: label, endpoint, the full tuple. */
export function publishedTable(table: RoutingTable, agent: string, catalog: VersionCatalog): EventOf<'routing.decision'>['data']['table'] {
  return {
    strategy: table.strategy,
    versions: table.versions.map((v) => {
      const known = catalog.get(agent, v.versionId);
      return {
        versionId: v.versionId,
        state: v.state,
        newSessionWeight: v.newSessionWeight,
        existingSessions: v.existingSessions,
        ...(known?.label !== undefined && { label: known.label }),
        ...(known?.endpoint !== undefined && { endpoint: known.endpoint }),
        ...(known?.spec !== undefined && { spec: known.spec }),
      };
    }),
    shadowTargets: table.shadowTargets.map((t) => ({ ...t })),
    fallbackVersionId: table.fallbackVersionId,
    sessionPolicy: table.sessionPolicy,
    targeting: {
      cohorts: table.targeting.cohorts.map((c) => ({ ...c })),
      overrides: table.targeting.overrides.map((o) => ({ ...o })),
      ...(table.targeting.ramp && { ramp: { ...table.targeting.ramp } }),
    },
    epochs: table.epochs.map((e) => ({ ...e, weights: { ...e.weights } })),
    ...(table.maxSessionAgeMs !== undefined && { maxSessionAgeMs: table.maxSessionAgeMs }),
  };
}

export type PublishedTable = ReturnType<typeof publishedTable>;
