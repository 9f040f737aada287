export * from './errors';
export { MAX_MESSAGE_BYTES, assertStorable, decodeMessage, encodeMessage, validateEvent, validateEventShape } from './codec';
export { MAX_JSON_DEPTH, findUnstorableField, jsonTextMayHoldUnstorable, unstorableTextReason, type UnstorableField } from './storable-json';
export { createEvent, causedBy } from './create-event';
export { contractErrorMessage, formatPath, toContractIssues } from './issue-format';
export { latencyBucketLowerBound, latencyBuckets } from './latency-buckets';
export { parseYaml, YamlSyntaxError, type YamlObject, type YamlValue } from './yaml-reader';
export { toYaml } from './yaml';
export type { EnvelopeOptions } from './create-event';
export {
  EVENT_CATALOG,
  EVENT_TYPES,
  isEventType,
  latestVersion,
  schemaFor,
  supportedVersions,
} from './catalog';
export type { EventData, EventDataInput, EventOf, EventType, IrisEvent } from './catalog';
export { DEFAULT_ENVIRONMENT, eventSchema } from './envelope';
export type { AnyEventSchema } from './envelope';
export * from './events/agent';
export * from './events/killswitch';
export * from './events/metrics';
export * from './events/registry';
export * from './events/rollout';
export * from './events/routing';
export * from './events/shadow';
export * from './topics';
export { EXAMPLES, exampleOf } from './examples';
export { buildAsyncApiDocument, renderAsyncApiYaml, messageId, ASYNCAPI_PATH } from './asyncapi';
export { AGENT_NAME_PATTERN, agentName, identifier, slug } from './primitives';
