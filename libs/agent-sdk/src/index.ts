export { IrisAgentClient } from './iris-agent-client';
export type { BusClientOptions, CloseOptions, CloseResult, KafkaClientOptions } from './iris-agent-client';
export { CLIENT_DEFAULTS } from './options';
export type { AgentIdentity, IrisAgentClientOptions, TelemetryBufferOptions } from './options';
export type {
  EventTime,
  FeedbackInput,
  RecordOptions,
  RequestCompletedInput,
  SessionEndedInput,
  SessionStartedInput,
  TelemetryEventType,
  TelemetryRecorder,
} from './telemetry-input';
export type { TelemetryError, TelemetryStats } from './telemetry-stats';
export { AgentSdkConfigError, AgentSdkError } from './errors';
export { rateLimitedLogger, silentAgentLogger, stderrJsonLogger } from './logger';
export type { AgentSdkLogger, AgentSdkLogLevel } from './logger';
export { buildTelemetryEvent } from './telemetry-encoder';
export { EventIdGenerator } from './event-id';
