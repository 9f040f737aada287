import { EventOf, EventType, IrisEvent } from './catalog';
import { decodeMessage } from './codec';
import { ContractViolationError } from './errors';

/** Every Kafka topic Iris uses, which events it carries and how records are keyed. */
export interface TopicSpec<T extends EventType = EventType> {
  readonly name: string;
  readonly description: string;
  readonly carries: readonly T[];
  /** Human description of the key, e.g. `data.sessionId`. */
  readonly keyDescription: string;
  readonly keyFor: (event: EventOf<T>) => string;
  readonly partitions: number;
  /** cleanup.policy=compact: only the latest record per key is retained. */
  readonly compacted: boolean;
  /** retention.ms=-1: nothing is ever deleted (a log that services rebuild state from). Default: the broker's retention. */
  readonly retainedForever?: boolean;
}

function defineTopic<T extends EventType>(spec: TopicSpec<T>): TopicSpec<T> {
  return spec;
}

const byAgent = (event: { data: { agent: string } }) => event.data.agent;
const BY_AGENT = 'data.agent (per-agent ordering)';

export const TOPICS = {
  telemetry: defineTopic({
    name: 'iris.telemetry.v1',
    description: 'Agent telemetry: sessions, completed requests and feedback, published by agents.',
    carries: ['agent.session.started', 'agent.session.ended', 'agent.request.completed', 'agent.feedback.recorded'],
    keyDescription: 'data.sessionId (a session is processed in order by one consumer)',
    keyFor: (event) => event.data.sessionId,
    partitions: 12,
    compacted: false,
  }),
  registry: defineTopic({
    name: 'iris.registry.v1',
    description: 'Agent versions registered in the registry. Kept forever: the rollout controller rebuilds its version catalog from it.',
    carries: ['registry.version.registered'],
    keyDescription: BY_AGENT,
    keyFor: byAgent,
    partitions: 3,
    compacted: false,
    retainedForever: true,
  }),
  rollout: defineTopic({
    name: 'iris.rollout.v1',
    description: 'Rollout lifecycle events from the rollout controller.',
    carries: ['rollout.event'],
    keyDescription: BY_AGENT,
    keyFor: byAgent,
    partitions: 3,
    compacted: false,
  }),
  killswitch: defineTopic({
    name: 'iris.killswitch.v1',
    description:
      'The whole kill set of each environment (every kill in force, the configured fallback per agent) with a growing revision, ' +
      'published after every change. Compacted and keyed by environment: the latest record of a key IS the current state, so ' +
      'a new SDK instance learns every kill by reading one record per environment, and a change is never split across records. ' +
      'Keyed by environment rather than by agent because kills of a tenant, a feature or everything span agents: one record ' +
      'applies them to all agents at once (atomically), and a set of kills stays small (at most 1,000). Single partition: one order.',
    carries: ['killswitch.set'],
    keyDescription: 'environment (compaction keeps the latest kill set per environment)',
    keyFor: (event) => event.environment,
    partitions: 1,
    compacted: true,
  }),
  metrics: defineTopic({
    name: 'iris.metrics.v1',
    description: 'Windowed per-version metric snapshots from the metrics aggregator.',
    carries: ['metrics.snapshot'],
    keyDescription: BY_AGENT,
    keyFor: byAgent,
    partitions: 3,
    compacted: false,
  }),
  shadow: defineTopic({
    name: 'iris.shadow.v1',
    description: 'Shadow reports from the shadow comparator: per candidate and window, how its mirrored runs differed from the baseline, beside the noise floor.',
    carries: ['shadow.report'],
    keyDescription: BY_AGENT,
    keyFor: byAgent,
    partitions: 3,
    compacted: false,
  }),
  routing: defineTopic({
    name: 'iris.routing.v1',
    description: 'Authoritative routing table per agent; compacted so the latest decision per agent is always available.',
    carries: ['routing.decision'],
    keyDescription: 'data.agent (compaction keeps the latest table per agent)',
    keyFor: byAgent,
    partitions: 3,
    compacted: true,
  }),
} as const;

export type TopicId = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicId]['name'];

export const TOPIC_LIST: readonly TopicSpec[] = Object.values(TOPICS) as readonly TopicSpec[];

const TOPIC_BY_EVENT_TYPE: ReadonlyMap<EventType, TopicSpec> = new Map(
  TOPIC_LIST.flatMap((topic) => topic.carries.map((type) => [type, topic] as const)),
);

/** The topic an event type is published on. */
export function topicFor(type: EventType): TopicSpec {
  const topic = TOPIC_BY_EVENT_TYPE.get(type);
  if (!topic) throw new Error(`No topic carries event type ${type}`); // unreachable: asserted by unit test
  return topic;
}

/** The Kafka record key for an event (per its topic's key strategy). */
export function keyFor(event: IrisEvent): string {
  return (topicFor(event.type).keyFor as (e: IrisEvent) => string)(event);
}

/**
 * Decodes a record of `topic` and accepts only the event types the topic carries: a valid event of another type
 * (e.g. telemetry published to iris.registry.v1) is refused like an invalid one (→ dead letter), never obeyed.
 */
export function decodeFromTopic<T extends EventType>(topic: TopicSpec<T>, bytes: Buffer | string | null | undefined): EventOf<T> {
  const event = decodeMessage(bytes);
  if (!(topic.carries as readonly string[]).includes(event.type)) {
    throw ContractViolationError.single('UNKNOWN_TYPE', 'type', `${event.type} is not carried by ${topic.name} (it carries ${topic.carries.join(', ')})`, event.type);
  }
  return event as EventOf<T>;
}

/** Dead-letter topic for records of `topic` that could not be decoded or processed. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Headers set on dead-lettered records (the value is the original bytes, unchanged). */
export const DLQ_HEADERS = {
  /** Why the record was dead-lettered (the decode or handler error message). */
  error: 'x-iris-error',
  /** `invalid` (failed validation) or `handler-failed` (valid, but processing failed after retries). */
  errorKind: 'x-iris-error-kind',
  sourceTopic: 'x-iris-source-topic',
  sourcePartition: 'x-iris-source-partition',
  sourceOffset: 'x-iris-source-offset',
  /** Set when the value was cut to fit the dead-letter topic: the original value's size in bytes… */
  originalSize: 'x-iris-original-size',
  /** …and its `sha256:<hex>` digest (the value kept is the original's first bytes). */
  originalDigest: 'x-iris-original-sha256',
} as const;

/**
 * `max.message.bytes` Iris sets on the dead-letter topics it creates, and the most a dead letter (key, value and
 * headers) or one dead-letter write may weigh: a longer value is truncated, a larger write is split.
 */
export const DLQ_MAX_MESSAGE_BYTES = 1_048_576;
