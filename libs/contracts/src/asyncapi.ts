import { z } from 'zod';
import { EVENT_CATALOG, EventType, latestVersion, supportedVersions } from './catalog';
import type { AnyEventSchema } from './envelope';
import { EXAMPLES } from './examples';
import { MAX_MESSAGE_BYTES } from './codec';
import { DLQ_HEADERS, TOPIC_LIST, TopicSpec, dlqTopic } from './topics';
import { JsonValue, toYaml } from './yaml';

/** Version of the contract document (bump when any schema changes). */
export const CONTRACTS_DOC_VERSION = '1.0.0';
export const ASYNCAPI_PATH = 'docs/asyncapi.yaml';

const KAFKA_BINDING_VERSION = '0.5.0';

/** `agent.request.completed` v1 → `agentRequestCompletedV1`. */
export function messageId(type: string, version: number): string {
  const camel = type.replace(/[._-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return `${camel}V${version}`;
}

function channelId(topic: TopicSpec): string {
  return topic.name.replace(/^iris\./, '').replace(/\.v\d+$/, '');
}

function payloadSchema(schema: AnyEventSchema): JsonValue {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-07', io: 'input' });
  return json as JsonValue;
}

function versionsOf(type: EventType): Array<[number, AnyEventSchema]> {
  return supportedVersions(type).map((v) => [v, (EVENT_CATALOG[type] as Record<number, AnyEventSchema>)[v]]);
}

function kafkaChannelBinding(address: string, partitions: number, compacted: boolean, retainedForever: boolean): JsonValue {
  return {
    kafka: {
      topic: address,
      partitions,
      topicConfiguration: { 'cleanup.policy': [compacted ? 'compact' : 'delete'], ...(retainedForever && { 'retention.ms': -1 }) },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  };
}

/** The AsyncAPI 3.0 document describing every Iris topic and message. */
export function buildAsyncApiDocument(): { [key: string]: JsonValue } {
  const channels: { [id: string]: JsonValue } = {};
  const operations: { [id: string]: JsonValue } = {};
  const messages: { [id: string]: JsonValue } = {};
  const schemas: { [id: string]: JsonValue } = {};

  for (const topic of TOPIC_LIST) {
    const id = channelId(topic);
    const channelMessages: { [id: string]: JsonValue } = {};
    for (const type of topic.carries) {
      for (const [version, schema] of versionsOf(type)) {
        const mid = messageId(type, version);
        schemas[mid] = payloadSchema(schema);
        messages[mid] = {
          name: type,
          title: `${type} (schemaVersion ${version})`,
          contentType: 'application/json',
          payload: { $ref: `#/components/schemas/${mid}` },
          bindings: { kafka: { key: { type: 'string', description: topic.keyDescription }, bindingVersion: KAFKA_BINDING_VERSION } },
          ...(version === latestVersion(type) ? { examples: [{ name: 'example', payload: EXAMPLES[type] as unknown as JsonValue }] } : {}),
        };
        channelMessages[mid] = { $ref: `#/components/messages/${mid}` };
      }
    }
    channels[id] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description} Key: ${topic.keyDescription}.`,
      messages: channelMessages,
      bindings: kafkaChannelBinding(topic.name, topic.partitions, topic.compacted, topic.retainedForever === true),
    };
    operations[`send${id[0].toUpperCase()}${id.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      messages: Object.keys(channelMessages).map((mid) => ({ $ref: `#/channels/${id}/messages/${mid}` })),
    };
    channels[`${id}Dlq`] = {
      address: dlqTopic(topic.name),
      title: dlqTopic(topic.name),
      description: `Dead letters of ${topic.name}: original key and value, unchanged, plus diagnostic headers.`,
      messages: { deadLetter: { $ref: '#/components/messages/deadLetter' } },
      bindings: kafkaChannelBinding(dlqTopic(topic.name), 1, false, false), // created with one partition (ensureIrisTopics)
    };
  }

  messages.deadLetter = {
    name: 'dead-letter',
    title: 'Dead-lettered record',
    description: 'The original record value (possibly not valid JSON), re-published unchanged.',
    headers: {
      type: 'object',
      properties: Object.fromEntries(Object.values(DLQ_HEADERS).map((header) => [header, { type: 'string' }])),
    },
    payload: {},
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Iris messaging contracts',
      version: CONTRACTS_DOC_VERSION,
      description: [
        'Every Kafka message is a UTF-8 JSON object (at most ' + MAX_MESSAGE_BYTES + ' bytes) with the envelope',
        'type, schemaVersion, eventId, occurredAt, correlationId, causationId, environment, data.',
        'Consumers select the schema by (type, schemaVersion) and dead-letter messages that violate it.',
        'Generated from libs/contracts by scripts/generate-asyncapi.ts; do not edit by hand.',
      ].join(' '),
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas },
  };
}

/** The document as YAML, exactly as committed in docs/asyncapi.yaml. */
export function renderAsyncApiYaml(): string {
  return `# Generated by scripts/generate-asyncapi.ts from libs/contracts. Do not edit.\n${toYaml(buildAsyncApiDocument())}`;
}
