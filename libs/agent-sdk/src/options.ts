import { TOPICS } from '@iris/contracts';
import type { MessageBus } from '@iris/messaging';
import { AgentSdkConfigError } from './errors';
import { AgentSdkLogger, stderrJsonLogger } from './logger';
import type { EndOffsetsProbe } from './compacted-topic-follower';
import { DEFAULT_MAX_CACHED_SESSIONS } from './routing/session-router';
import { resolveShadowOptions, type ResolvedShadowOptions, type ShadowOptions } from './shadow/shadow-options';

/** Bounded buffering and flushing. */
export interface TelemetryBufferOptions {
  /** Most events held while waiting for the broker; beyond it the oldest are dropped. Default 10,000. */
  maxBufferedEvents?: number;
  /** Longest wait between the first buffered event and its flush. Default 50 ms. */
  flushIntervalMs?: number;
  /** Most events per publish. Default 2,000 (at most maxBufferedEvents when that is set lower). */
  maxBatchSize?: number;
  /**
   * Most bytes per publish (UTF-8 keys + values + 16 bytes of record framing each); a single larger event
   * is still sent alone. Keeps every per-partition record batch under the broker's default
   * message.max.bytes (1 MiB) even when all events share one key. Default 1,000,000.
   */
  maxBatchBytes?: number;
  /** First retry delay after a failed publish (doubled per attempt, jittered). Default 100 ms. */
  retryBackoffMinMs?: number;
  /** Retry delay cap. Default 5,000 ms. */
  retryBackoffMaxMs?: number;
}

/** Who publishes: attached to every event. */
export interface AgentIdentity {
  agent: string;
  /** The version tuple id attached to every event (a record call may override it). */
  versionId: string;
  /** Envelope environment slug. Default 'production'. */
  environment?: string;
}

/** Local routing: the client follows the routing tables the control plane publishes (see route()). */
export interface RoutingOptions {
  /** Agents whose tables are followed. Default: the client's agent. */
  agents?: string[];
  /** Version served while an agent has no table yet. Default: the client's versionId. */
  defaultVersionId?: string;
  /** Default iris.routing.v1. */
  topic?: string;
  /** Default: a fresh unique consumer group per client (reads the compacted topic from the beginning). */
  groupId?: string;
  /** Sessions remembered per agent (bounded LRU). Default 100,000. */
  maxCachedSessions?: number;
  /** Exact readiness for buses the client cannot probe itself (forKafka and the embedded bus need nothing). */
  endOffsets?: EndOffsetsProbe;
  /** See RoutingSubscriberOptions.settleMs. Default 2,000 ms. */
  settleMs?: number;
  /**
   * Kills of the kill switch, applied by route() itself (no control-plane call): followed from the compacted
   * iris.killswitch.v1 for the client's environment. Default on; `false` turns it off.
   */
  killSwitch?: KillSwitchFollowOptions | false;
}

export interface KillSwitchFollowOptions {
  /** Default iris.killswitch.v1. */
  topic?: string;
  /** Default: a fresh unique consumer group per client. */
  groupId?: string;
}

export interface ResolvedRoutingOptions extends Omit<Required<RoutingOptions>, 'groupId' | 'endOffsets' | 'killSwitch'> {
  groupId?: string;
  endOffsets?: EndOffsetsProbe;
  killSwitch: KillSwitchFollowOptions | false;
}

export interface IrisAgentClientOptions extends AgentIdentity, TelemetryBufferOptions {
  transport: MessageBus;
  /** close() also closes the transport. Default false (the factories set it for transports they create). */
  ownsTransport?: boolean;
  logger?: AgentSdkLogger;
  /** Topic override (tests, benchmarks). Default iris.telemetry.v1. */
  topic?: string;
  /** One log line per this many invalid events. Default 1,000. */
  logInvalidEvery?: number;
  /** Minimum time between two overflow / publish-failure log lines. Default 10 s. */
  logIntervalMs?: number;
  /** Starts following routing tables (route() answers from them). Without it, route() always falls back. */
  routing?: RoutingOptions;
  /** Shadow runs started by serve() / shadow(): side-effecting tools, timeout, in-flight bound, noise sampling. */
  shadow?: ShadowOptions;
}

export type ResolvedClientOptions = Required<Omit<IrisAgentClientOptions, 'environment' | 'routing' | 'shadow'>> & {
  environment: string;
  routing?: ResolvedRoutingOptions;
  shadow: ResolvedShadowOptions;
};

export const CLIENT_DEFAULTS = {
  maxBufferedEvents: 10_000,
  flushIntervalMs: 50,
  maxBatchSize: 2_000,
  maxBatchBytes: 1_000_000,
  retryBackoffMinMs: 100,
  retryBackoffMaxMs: 5_000,
  logInvalidEvery: 1_000,
  logIntervalMs: 10_000,
} as const;

export function resolveClientOptions(options: IrisAgentClientOptions): ResolvedClientOptions {
  requireText('agent', options.agent);
  requireText('versionId', options.versionId);
  if (!options.transport || typeof options.transport.publish !== 'function') {
    throw new AgentSdkConfigError('transport must be a MessageBus (KafkaMessageBus or EmbeddedMessageBus)');
  }
  const resolved: ResolvedClientOptions = {
    ...CLIENT_DEFAULTS,
    // a small buffer without an explicit batch size keeps working: the default batch shrinks to fit
    maxBatchSize: Math.min(CLIENT_DEFAULTS.maxBatchSize, options.maxBufferedEvents ?? CLIENT_DEFAULTS.maxBufferedEvents),
    ownsTransport: false,
    logger: stderrJsonLogger(),
    topic: TOPICS.telemetry.name,
    ...withoutUndefined(options),
    agent: options.agent,
    versionId: options.versionId,
    transport: options.transport,
    environment: options.environment ?? 'production',
    routing: options.routing ? resolveRoutingOptions(options.routing, options) : undefined,
    shadow: resolveShadowOptions(options.shadow),
  };
  for (const name of Object.keys(CLIENT_DEFAULTS) as Array<keyof typeof CLIENT_DEFAULTS>) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < (name === 'flushIntervalMs' ? 0 : 1)) {
      throw new AgentSdkConfigError(`${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (resolved.maxBatchSize > resolved.maxBufferedEvents) {
    throw new AgentSdkConfigError(`maxBatchSize (${resolved.maxBatchSize}) must not exceed maxBufferedEvents (${resolved.maxBufferedEvents})`);
  }
  if (resolved.retryBackoffMaxMs < resolved.retryBackoffMinMs) {
    throw new AgentSdkConfigError('retryBackoffMaxMs must be ≥ retryBackoffMinMs');
  }
  return resolved;
}

function resolveRoutingOptions(routing: RoutingOptions, identity: AgentIdentity): ResolvedRoutingOptions {
  const agents = routing.agents ?? [identity.agent];
  if (!Array.isArray(agents) || agents.length === 0) throw new AgentSdkConfigError('routing.agents must list at least one agent');
  agents.forEach((agent, i) => requireText(`routing.agents[${i}]`, agent));
  const defaultVersionId = routing.defaultVersionId ?? identity.versionId;
  requireText('routing.defaultVersionId', defaultVersionId);
  const maxCachedSessions = routing.maxCachedSessions ?? DEFAULT_MAX_CACHED_SESSIONS;
  if (!Number.isInteger(maxCachedSessions) || maxCachedSessions < 4) {
    throw new AgentSdkConfigError(`routing.maxCachedSessions must be an integer ≥ 4, got ${String(maxCachedSessions)}`);
  }
  const settleMs = routing.settleMs ?? 2_000;
  if (!Number.isInteger(settleMs) || settleMs < 0) throw new AgentSdkConfigError(`routing.settleMs must be an integer ≥ 0, got ${String(settleMs)}`);
  if (routing.groupId !== undefined) requireText('routing.groupId', routing.groupId);
  const topic = routing.topic ?? TOPICS.routing.name;
  requireText('routing.topic', topic);
  const killSwitch = routing.killSwitch === false ? false : { ...routing.killSwitch };
  if (killSwitch && killSwitch.topic !== undefined) requireText('routing.killSwitch.topic', killSwitch.topic);
  if (killSwitch && killSwitch.groupId !== undefined) requireText('routing.killSwitch.groupId', killSwitch.groupId);
  return { agents: [...new Set(agents)], defaultVersionId, topic, groupId: routing.groupId, maxCachedSessions, endOffsets: routing.endOffsets, settleMs, killSwitch };
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new AgentSdkConfigError(`${name} must be a non-empty string of at most 256 characters`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
