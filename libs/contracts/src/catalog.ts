import type { z } from 'zod';
import type { AnyEventSchema } from './envelope';
import {
  AgentFeedbackRecordedV1,
  AgentRequestCompletedV1,
  AgentSessionEndedV1,
  AgentSessionStartedV1,
} from './events/agent';
import { KillSwitchSetV1 } from './events/killswitch';
import { MetricsSnapshotV1 } from './events/metrics';
import { RegistryVersionRegisteredV1 } from './events/registry';
import { RolloutEventV1 } from './events/rollout';
import { RoutingDecisionV1 } from './events/routing';
import { ShadowReportV1 } from './events/shadow';

/**
 * Every event type and the schema of each supported schemaVersion.
 * To evolve a type: add `2: FooV2` next to `1: FooV1`; producers emit the
 * latest version (see `latestVersion`), consumers accept all listed ones.
 */
export const EVENT_CATALOG = {
  'agent.session.started': { 1: AgentSessionStartedV1 },
  'agent.session.ended': { 1: AgentSessionEndedV1 },
  'agent.request.completed': { 1: AgentRequestCompletedV1 },
  'agent.feedback.recorded': { 1: AgentFeedbackRecordedV1 },
  'registry.version.registered': { 1: RegistryVersionRegisteredV1 },
  'rollout.event': { 1: RolloutEventV1 },
  'killswitch.set': { 1: KillSwitchSetV1 },
  'metrics.snapshot': { 1: MetricsSnapshotV1 },
  'shadow.report': { 1: ShadowReportV1 },
  'routing.decision': { 1: RoutingDecisionV1 },
} as const satisfies Record<string, Record<number, AnyEventSchema>>;

type Catalog = typeof EVENT_CATALOG;

export type EventType = keyof Catalog;
type SchemaOf<T extends EventType> = Catalog[T][keyof Catalog[T]];

/** A validated Iris message; discriminated on `type`. */
export type IrisEvent = { [T in EventType]: z.output<SchemaOf<T>> }[EventType];
/** The validated event of one type. */
export type EventOf<T extends EventType> = Extract<IrisEvent, { type: T }>;
/** The payload of one type (any supported version). */
export type EventData<T extends EventType> = EventOf<T>['data'];
/** What a producer may hand in as payload (defaults not yet applied). */
export type EventDataInput<T extends EventType> = z.input<SchemaOf<T>> extends { data: infer D } ? D : never;

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_CATALOG, value);
}

export function supportedVersions(type: EventType): number[] {
  return Object.keys(EVENT_CATALOG[type]).map(Number).sort((a, b) => a - b);
}

export function latestVersion(type: EventType): number {
  const versions = supportedVersions(type);
  return versions[versions.length - 1];
}

export function schemaFor(type: EventType, schemaVersion: number): AnyEventSchema | undefined {
  return (EVENT_CATALOG[type] as Record<number, AnyEventSchema>)[schemaVersion];
}
