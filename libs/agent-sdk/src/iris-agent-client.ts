import { KafkaConnectionConfig, KafkaMessageBus, MessageBus, WorkerConfigNotCloneableError } from '@iris/messaging';
import { EventIdGenerator } from './event-id';
import { AgentSdkLogger, rateLimitedLogger, silentAgentLogger } from './logger';
import { AgentIdentity, IrisAgentClientOptions, resolveClientOptions, RoutingOptions, TelemetryBufferOptions } from './options';
import type { CompiledKillSet } from './killswitch/compiled-kills';
import { KillSetListener, KillSetSubscriber, KillSetSubscriberStats } from './killswitch/kill-set-subscriber';
import { CompiledRoutingTable } from './routing/compiled-table';
import { kafkaEndOffsets } from './routing/end-offsets';
import { RouteDecision, RouteRequest } from './routing/route';
import { RoutingChangeListener, RoutingSubscriber, RoutingSubscriberStats } from './routing/routing-subscriber';
import { SessionRouter } from './routing/session-router';
import { outputDigest, RunContext, type AgentHandler, type AgentRunResult } from './shadow/run-context';
import { NoRoutableVersionError, ShadowRunner, type ShadowDispatch, type ShadowStats } from './shadow/shadow-runner';
import { TelemetryFlusher } from './telemetry-flusher';
import {
  FeedbackInput,
  PendingRecord,
  RequestCompletedInput,
  SessionEndedInput,
  SessionStartedInput,
  TelemetryEventType,
  TelemetryRecorder,
} from './telemetry-input';
import { TelemetryStats } from './telemetry-stats';

export interface KafkaClientOptions extends AgentIdentity, TelemetryBufferOptions {
  brokers: string | string[];
  /** Default `iris-agent-<agent>`. */
  clientId?: string;
  ssl?: KafkaConnectionConfig['ssl'];
  sasl?: KafkaConnectionConfig['sasl'];
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  logger?: AgentSdkLogger;
  topic?: string;
  routing?: RoutingOptions;
  shadow?: IrisAgentClientOptions['shadow'];
  /**
   * Where Kafka produce requests are built: 'worker' (default) in a thread of the SDK's own, so the agent's
   * thread only records and serialises events; 'agent' in the agent's thread (for runtimes without worker
   * threads). TLS options holding functions cannot reach a thread: the SDK then uses 'agent' and logs why.
   */
  publishThread?: 'worker' | 'agent';
}

/** A route request; `agent` defaults to the client's. */
export type ClientRouteRequest = Omit<RouteRequest, 'agent'> & { agent?: string };

export type BusClientOptions = Omit<IrisAgentClientOptions, 'transport'>;

/** One request served through serve(): what routing needs, the primary's ids, and the input every run gets. */
export interface ServeRequest<I> {
  sessionId: string;
  requestId: string;
  tenant: string;
  feature: string;
  input: I;
  user?: string;
  /** The decision of an earlier route() call for this request; routed here when absent. */
  decision?: RouteDecision;
  /** Passed to route() when it routes here (see ClientRouteRequest). */
  pinnedVersionId?: string;
  sessionStartedAt?: ClientRouteRequest['sessionStartedAt'];
}

/** What serve() answers: the primary's result only (shadow runs are never seen by the user). */
export interface ServeResult {
  result: AgentRunResult;
  decision: RouteDecision;
  /** Shadow runs started in the background for this request. */
  shadows: ShadowDispatch[];
}

/** A request whose shadow runs shadow() starts: the primary's ids, its route decision and the same input. */
export interface ShadowRequest<I> {
  sessionId: string;
  requestId: string;
  tenant: string;
  feature: string;
  input: I;
  decision: RouteDecision;
}

export type ClientStats = TelemetryStats & { shadow: ShadowStats };

export interface CloseOptions {
  /** Longest time spent flushing what is buffered. Default 5,000 ms. */
  timeoutMs?: number;
}

export interface CloseResult {
  /** Everything buffered was acknowledged. */
  flushed: boolean;
  /** Events still buffered when the timeout expired (not sent). */
  unflushed: number;
}

/**
 * The Iris SDK an agent embeds. Telemetry calls are fire-and-forget: they return synchronously, never
 * wait on Kafka and never throw; a background flusher batches, validates, publishes and retries.
 * route() answers locally from the routing tables a background subscriber keeps (no network call per request).
 */
export class IrisAgentClient implements TelemetryRecorder {
  private readonly flusher: TelemetryFlusher;
  private readonly agent: string;
  private readonly defaultVersionId: string;
  private readonly router: SessionRouter;
  private readonly routing?: RoutingSubscriber;
  private readonly kills?: KillSetSubscriber;
  private readonly ids = new EventIdGenerator();
  private readonly transport: MessageBus;
  private readonly ownsTransport: boolean;
  private readonly logger: AgentSdkLogger;
  private readonly shadows: ShadowRunner;
  private readonly sideEffectTools: ReadonlySet<string>;
  private readonly shipOutput: boolean;
  private recorded = 0;
  private droppedAfterClose = 0;
  private closing?: Promise<CloseResult>;

  constructor(options: IrisAgentClientOptions) {
    const resolved = resolveClientOptions(options);
    this.transport = resolved.transport;
    this.ownsTransport = resolved.ownsTransport;
    this.logger = resolved.logger;
    this.flusher = new TelemetryFlusher(
      resolved.transport,
      { agent: resolved.agent, versionId: resolved.versionId, environment: resolved.environment },
      resolved,
    );
    this.agent = resolved.agent;
    this.shadows = new ShadowRunner(resolved.shadow, (input) => this.recordRequest(input), resolved.logger);
    this.sideEffectTools = new Set(resolved.shadow.sideEffectTools);
    this.shipOutput = resolved.shadow.shipOutput;
    const routing = resolved.routing;
    this.defaultVersionId = routing?.defaultVersionId ?? resolved.versionId;
    if (routing) {
      this.routing = new RoutingSubscriber({
        bus: resolved.transport,
        agents: routing.agents,
        topic: routing.topic,
        groupId: routing.groupId,
        logger: resolved.logger,
        endOffsets: routing.endOffsets,
        settleMs: routing.settleMs,
      });
      void this.routing.start();
      if (routing.killSwitch) {
        this.kills = new KillSetSubscriber({
          bus: resolved.transport,
          environment: resolved.environment,
          topic: routing.killSwitch.topic,
          groupId: routing.killSwitch.groupId,
          logger: resolved.logger,
          endOffsets: routing.endOffsets,
          settleMs: routing.settleMs,
        });
        void this.kills.start();
      }
    }
    const subscriber = this.routing;
    const kills = this.kills;
    this.router = new SessionRouter({
      tables: subscriber ? (agent) => subscriber.table(agent) : () => undefined,
      defaultVersionId: this.defaultVersionId,
      maxCachedSessions: routing?.maxCachedSessions,
      ...(kills && { kills: (agent: string) => kills.killSet()?.forAgent(agent) }),
    });
  }

  /** A client publishing to Kafka through its own KafkaMessageBus (closed by close()). */
  static forKafka(options: KafkaClientOptions): IrisAgentClient {
    const { brokers, clientId, ssl, sasl, connectionTimeoutMs, requestTimeoutMs, publishThread = 'worker', ...clientOptions } = options;
    const logger = clientOptions.logger;
    const connection: KafkaConnectionConfig = {
      brokers: typeof brokers === 'string' ? brokers.split(',').map((b) => b.trim()).filter(Boolean) : brokers,
      clientId: clientId ?? `iris-agent-${options.agent}`,
      ssl,
      sasl,
      connectionTimeoutMs,
      requestTimeoutMs,
    };
    const busOptions = {
      connection,
      // kafkajs logs every reconnect attempt: keep an outage from flooding the agent's logs.
      logger: logger ? rateLimitedLogger(logger, 10_000) : undefined,
      clientLogLevel: 'error' as const,
    };
    let transport: KafkaMessageBus;
    try {
      transport = new KafkaMessageBus({ ...busOptions, publishFromWorkerThread: publishThread === 'worker' });
    } catch (error) {
      if (!(error instanceof WorkerConfigNotCloneableError)) throw error;
      logger?.log('warn', 'publishing from the agent thread', { reason: error.message });
      transport = new KafkaMessageBus(busOptions);
    }
    const routing = clientOptions.routing && {
      ...clientOptions.routing, // exact readiness: read the routing topic's end offsets with the same connection
      endOffsets: clientOptions.routing.endOffsets ?? kafkaEndOffsets(connection, logger ? rateLimitedLogger(logger, 10_000) : silentAgentLogger),
    };
    return new IrisAgentClient({ ...clientOptions, routing, transport, ownsTransport: true });
  }

  /** A client publishing through an existing bus (e.g. EmbeddedMessageBus); the bus stays open on close(). */
  static forBus(bus: MessageBus, options: BusClientOptions): IrisAgentClient {
    return new IrisAgentClient({ ...options, transport: bus });
  }

  recordSessionStarted(input: SessionStartedInput): void {
    this.record('agent.session.started', input);
  }

  recordRequest(input: RequestCompletedInput): void {
    this.record('agent.request.completed', input);
  }

  recordSessionEnded(input: SessionEndedInput): void {
    this.record('agent.session.ended', input);
  }

  recordFeedback(input: FeedbackInput): void {
    this.record('agent.feedback.recorded', input);
  }

  /**
   * Which version serves this request of a session: synchronous, local (no network call), never throws.
   * Without a table (none received yet, routing not configured) it answers the default version, reason 'fallback'.
   * Keep `decision.pin` in the session's state and pass it back as `pinnedVersionId`, or pass `sessionStartedAt`:
   * any instance then gives the session the same version.
   */
  route(request: ClientRouteRequest): RouteDecision {
    try {
      return this.router.routeFor(request.agent ?? this.agent, request);
    } catch (error) {
      this.logger.log('error', 'route() failed; serving the default version', { error: (error as Error)?.message });
      return { versionId: this.defaultVersionId, reason: 'fallback', revision: 0, shadow: [], pin: this.defaultVersionId };
    }
  }

  /**
   * Serves one request: routes it (unless `decision` is given), runs `handler` for the routed version, records the
   * request's telemetry (latency measured here, tool calls made through `context.tool`), and starts, in the
   * background, the shadow runs the table samples this request for — the same handler and input for each
   * candidate, plus a baseline rerun for a `shadow.noiseSampleRate` share. Only the primary's result is returned;
   * a shadow run's failure, timeout or slowness never delays or fails it. A primary that throws is recorded
   * (error kind `exception`) and the error rethrown.
   */
  async serve<I>(request: ServeRequest<I>, handler: AgentHandler<I>): Promise<ServeResult> {
    const decision =
      request.decision ??
      this.route({ sessionId: request.sessionId, tenant: request.tenant, feature: request.feature, user: request.user, pinnedVersionId: request.pinnedVersionId, sessionStartedAt: request.sessionStartedAt });
    const versionId = decision.versionId;
    if (versionId === null) throw new NoRoutableVersionError(`no version may serve ${this.agent} (${decision.reason})`);
    const shadows = this.shadow({ ...request, decision }, handler);
    const context = new RunContext(versionId, 'primary', false, new AbortController().signal, this.sideEffectTools, {});
    const started = performance.now();
    let result: AgentRunResult | undefined;
    let thrown: unknown;
    try {
      result = await handler(request.input, context);
    } catch (error) {
      thrown = error;
    }
    const output = result?.output ?? '';
    this.recordRequest({
      versionId,
      sessionId: request.sessionId,
      requestId: request.requestId,
      tenant: request.tenant,
      feature: request.feature,
      role: 'primary',
      latencyMs: performance.now() - started,
      tokensIn: result?.tokensIn ?? 0,
      tokensOut: result?.tokensOut ?? 0,
      costUsd: result?.costUsd ?? 0,
      toolCalls: context.calls,
      error: thrown !== undefined ? { kind: 'exception', message: String((thrown as Error)?.message ?? thrown).slice(0, 4096) } : (result?.error ?? null),
      policyViolations: result?.policyViolations ?? [],
      outputDigest: outputDigest(output),
      ...(this.shipOutput && result && { output }),
      ...(shadows.length > 0 && { shadowsDispatched: shadows }),
    });
    if (thrown !== undefined) throw thrown;
    return { result: result!, decision, shadows };
  }

  /**
   * Starts the shadow runs of one request in the background (for agents that run and record their primary
   * themselves): returns at once with the runs started; pass them as `shadowsDispatched` when recording the
   * primary, so the comparator expects them. Never throws.
   */
  shadow<I>(request: ShadowRequest<I>, handler: AgentHandler<I>): ShadowDispatch[] {
    const primaryVersionId = request.decision.versionId;
    if (primaryVersionId === null || this.closing) return [];
    try {
      return this.shadows.dispatch(
        { sessionId: request.sessionId, requestId: request.requestId, tenant: request.tenant, feature: request.feature, input: request.input, primaryVersionId, candidates: request.decision.shadow },
        handler,
      );
    } catch (error) {
      this.logger.log('error', 'starting shadow runs failed; none started', { error: (error as Error)?.message });
      return [];
    }
  }

  /** Resolves true once the routing tables and the kill set are caught up with their topics, false after `timeoutMs` (never rejects). */
  async ready(options: { timeoutMs?: number } = {}): Promise<boolean> {
    if (!this.routing) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), options.timeoutMs ?? 30_000)));
    try {
      const caughtUp = Promise.all([this.routing.ready(), this.kills?.ready()]).then(() => true);
      return await Promise.race([caughtUp, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The agent's current routing table (default: the client's agent), if one was received. */
  routingTable(agent: string = this.agent): CompiledRoutingTable | undefined {
    return this.routing?.table(agent);
  }

  /** Listens to routing table changes; returns a function that unregisters the listener. */
  onRoutingChange(listener: RoutingChangeListener): () => void {
    return this.routing?.onChange(listener) ?? (() => undefined);
  }

  /** The environment's kill set in force (undefined: none received, or the kill switch is not followed). */
  killSet(): CompiledKillSet | undefined {
    return this.kills?.killSet();
  }

  /** Listens to kill-set changes; returns a function that unregisters the listener. */
  onKillSetChange(listener: KillSetListener): () => void {
    return this.kills?.onChange(listener) ?? (() => undefined);
  }

  /** Kill-switch counters (null when the kill switch is not followed). */
  killSwitchStats(): KillSetSubscriberStats | null {
    return this.kills?.stats() ?? null;
  }

  /** Routing counters (null when routing is not configured). */
  routingStats(): RoutingSubscriberStats | null {
    return this.routing?.stats() ?? null;
  }

  stats(): ClientStats {
    return { recorded: this.recorded, droppedAfterClose: this.droppedAfterClose, ...this.flusher.stats(), shadow: this.shadows.stats() };
  }

  /** Flushes what is buffered (bounded by timeoutMs), then closes the transport if the client owns it. Idempotent. */
  close(options: CloseOptions = {}): Promise<CloseResult> {
    this.closing ??= this.closeOnce(options.timeoutMs ?? 5_000);
    return this.closing;
  }

  /**
   * Hot path. The input is kept by reference and read at flush time: do not mutate it after the call.
   * Building the envelope, validation and encoding happen in the flusher.
   */
  private record(type: TelemetryEventType, input: unknown): void {
    if (this.closing) {
      this.droppedAfterClose++;
      return;
    }
    this.recorded++;
    this.flusher.add(new PendingRecord(type, this.ids.next(), Date.now(), input));
  }

  private async closeOnce(timeoutMs: number): Promise<CloseResult> {
    await this.routing?.stop();
    await this.kills?.stop();
    // Shadow runs in flight report before the flush (each is bounded by its timeout, the wait by timeoutMs).
    await Promise.race([this.shadows.settled(), new Promise((done) => setTimeout(done, timeoutMs).unref?.())]);
    const unflushed = await this.flusher.drainAndStop(timeoutMs);
    if (unflushed > 0) {
      this.logger.log('warn', 'telemetry client closed with unsent events', { unflushed, timeoutMs });
    }
    if (this.ownsTransport) {
      await this.transport.close().catch((error: unknown) =>
        this.logger.log('warn', 'closing the telemetry transport failed', { error: (error as Error)?.message }),
      );
    }
    return { flushed: unflushed === 0, unflushed };
  }
}
