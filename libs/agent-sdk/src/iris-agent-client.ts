import { KafkaConnectionConfig, KafkaMessageBus, MessageBus } from '@iris/messaging';
import { EventIdGenerator } from './event-id';
import { AgentSdkLogger, rateLimitedLogger } from './logger';
import { AgentIdentity, IrisAgentClientOptions, resolveClientOptions, TelemetryBufferOptions } from './options';
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
}

export type BusClientOptions = Omit<IrisAgentClientOptions, 'transport'>;

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
 * (Routing — route() — will live here too.)
 */
export class IrisAgentClient implements TelemetryRecorder {
  private readonly flusher: TelemetryFlusher;
  private readonly ids = new EventIdGenerator();
  private readonly transport: MessageBus;
  private readonly ownsTransport: boolean;
  private readonly logger: AgentSdkLogger;
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
  }

  /** A client publishing to Kafka through its own KafkaMessageBus (closed by close()). */
  static forKafka(options: KafkaClientOptions): IrisAgentClient {
    const { brokers, clientId, ssl, sasl, connectionTimeoutMs, requestTimeoutMs, ...clientOptions } = options;
    const logger = clientOptions.logger;
    const transport = new KafkaMessageBus({
      connection: {
        brokers: typeof brokers === 'string' ? brokers.split(',').map((b) => b.trim()).filter(Boolean) : brokers,
        clientId: clientId ?? `iris-agent-${options.agent}`,
        ssl,
        sasl,
        connectionTimeoutMs,
        requestTimeoutMs,
      },
      // kafkajs logs every reconnect attempt: keep an outage from flooding the agent's logs.
      logger: logger ? rateLimitedLogger(logger, 10_000) : undefined,
      clientLogLevel: 'error',
    });
    return new IrisAgentClient({ ...clientOptions, transport, ownsTransport: true });
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

  stats(): TelemetryStats {
    return { recorded: this.recorded, droppedAfterClose: this.droppedAfterClose, ...this.flusher.stats() };
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
