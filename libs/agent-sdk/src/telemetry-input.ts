import type { EventDataInput } from '@iris/contracts';

/** When an event happened: a Date, epoch milliseconds or an ISO-8601 string. Defaults to the record call's time. */
export type EventTime = Date | number | string;

/** Options every record call accepts on top of its event's payload. */
export interface RecordOptions {
  /** Overrides the client's versionId (processes serving several versions). */
  versionId?: string;
  /** Overrides the record time (simulations, back-filling). */
  occurredAt?: EventTime;
  /** Envelope correlationId; defaults to the sessionId (a session is the originating action). */
  correlationId?: string;
}

export type TelemetryEventType = 'agent.session.started' | 'agent.session.ended' | 'agent.request.completed' | 'agent.feedback.recorded';

/** An event's payload without what the client fills in. */
type Payload<T extends TelemetryEventType> = Omit<EventDataInput<T>, 'agent' | 'versionId'>;

export type SessionStartedInput = Payload<'agent.session.started'> & RecordOptions;
export type SessionEndedInput = Payload<'agent.session.ended'> & RecordOptions;
export type FeedbackInput = Payload<'agent.feedback.recorded'> & RecordOptions;

type RequestPayload = Payload<'agent.request.completed'>;
/** A completed request. `role` defaults to 'primary', `toolCalls` / `policyViolations` to [] and `error` to null. */
export type RequestCompletedInput = Omit<RequestPayload, 'role' | 'toolCalls' | 'policyViolations' | 'error'> &
  Partial<Pick<RequestPayload, 'role' | 'toolCalls' | 'policyViolations' | 'error'>> &
  RecordOptions;

/** What an agent (or a simulator) records telemetry through. All methods return at once and never throw. */
export interface TelemetryRecorder {
  recordSessionStarted(input: SessionStartedInput): void;
  recordRequest(input: RequestCompletedInput): void;
  recordSessionEnded(input: SessionEndedInput): void;
  recordFeedback(input: FeedbackInput): void;
}

/** What the hot path stores: the caller's input by reference, plus what must be fixed at call time. */
export class PendingRecord {
  constructor(
    readonly type: TelemetryEventType,
    readonly eventId: string,
    /** Epoch ms of the record call. */
    readonly recordedAtMs: number,
    readonly input: unknown,
  ) {}
}
