export { IrisAgentClient } from './iris-agent-client';
export type { BusClientOptions, ClientRouteRequest, ClientStats, CloseOptions, CloseResult, KafkaClientOptions, ServeRequest, ServeResult, ShadowRequest } from './iris-agent-client';
export { argsHash, canonicalJson, outputDigest, DEFAULT_TOOL_STUB } from './shadow/run-context';
export type { AgentHandler, AgentRunContext, AgentRunResult, RecordedToolCall, ToolStub } from './shadow/run-context';
export { SHADOW_DEFAULTS } from './shadow/shadow-options';
export type { ShadowOptions } from './shadow/shadow-options';
export { NoRoutableVersionError, sampledForNoise } from './shadow/shadow-runner';
export type { ShadowDispatch, ShadowStats } from './shadow/shadow-runner';
export { CLIENT_DEFAULTS } from './options';
export type { AgentIdentity, IrisAgentClientOptions, KillSwitchFollowOptions, RoutingOptions, TelemetryBufferOptions } from './options';
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
export { route, routeSession, asCompiled, epochAt } from './routing/route';
export type { RouteDecision, RouteOptions, RouteReason, RouteRequest, SessionRequest, SessionTime, ShadowRoute } from './routing/route';
export { compileRoutingTable } from './routing/compiled-table';
export type { CompiledRoutingTable, RoutingDecisionData } from './routing/compiled-table';
export { SessionRouter, DEFAULT_MAX_CACHED_SESSIONS } from './routing/session-router';
export type { SessionRouterOptions } from './routing/session-router';
export { RoutingSubscriber } from './routing/routing-subscriber';
export type { EndOffsetsProbe, PartitionEnd, RoutingChange, RoutingChangeListener, RoutingSubscriberOptions, RoutingSubscriberStats } from './routing/routing-subscriber';
export { embeddedEndOffsets, kafkaEndOffsets } from './routing/end-offsets';
export { agentSeed, sessionHash, unitPoint } from './routing/session-hash';
export { KillSetSubscriber } from './killswitch/kill-set-subscriber';
export type { KillSetListener, KillSetSubscriberOptions, KillSetSubscriberStats } from './killswitch/kill-set-subscriber';
export { CompiledKillSet, killCovering, namedByKill } from './killswitch/compiled-kills';
export type { AgentKills, CompiledKill, KillCall } from './killswitch/compiled-kills';
export { applyKills, fallbackFor } from './killswitch/apply-kills';
