import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from './errors';
import type { AppendOptions, AppendResult, NewEvent, ReadStreamOptions, ReadStreamResult, StoredEvent } from './types';

/** What the command handler needs of the store (PostgresEventStore has it). */
export interface EventStreamStore {
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamResult>;
  appendToStream(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
}

/** A stream's state folded up to `version` (pass it as If-Match to act on exactly this state). */
export interface StreamState<State> {
  state: State;
  version: bigint;
}

/** What a command decided: the events to append (none: nothing to do) and what the caller gets back. */
export interface Decision<Result> {
  events: readonly NewEvent[];
  result: Result;
}

export interface HandleResult<State, Result> extends StreamState<State> {
  result: Result;
  /** The appended events as they were stored (empty when the decision appended nothing). */
  appended: readonly StoredEvent[];
}

export interface HandleOptions {
  /** Act only if the stream is at this version: a mismatch is a ConcurrencyError at once, never retried. */
  expectedVersion?: bigint;
}

export interface CommandHandlerOptions<State> {
  initialState: () => State;
  /** Folds one stored event (events of other kinds in the stream included: return the state unchanged). */
  evolve: (state: State, event: StoredEvent) => State;
  /** Attempts before a command that keeps losing the race gives up (default 8). */
  maxAttempts?: number;
  /** Delay before the next attempt after `attempt` lost (default: full jitter, up to 2·2^attempt ms, capped at 100). */
  retryDelayMs?: (attempt: number) => number;
  /** Keep each stream's folded state and read only the events appended since (default false). */
  cacheStates?: boolean;
}

/** A command lost the race on its stream on every attempt: not applied, the caller may retry (HTTP 503). */
export class ConcurrencyRetriesExhaustedError extends ConcurrencyError {
  constructor(
    conflict: ConcurrencyError,
    readonly attempts: number,
  ) {
    super(conflict.streamId, conflict.expected, conflict.actual);
    this.name = 'ConcurrencyRetriesExhaustedError';
    this.message = `${this.message} (gave up after ${attempts} attempts)`;
  }
}

const DEFAULT_MAX_ATTEMPTS = 8;
const fullJitter = (attempt: number): number => Math.random() * Math.min(100, 2 * 2 ** attempt);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one command shell over the event log: read the stream (folding it with `evolve`), decide, append with
 * the version read. When another writer appended in between (ConcurrencyError) it waits a jittered moment and
 * decides again on the fresh state; any other error — the decider's refusals included — goes to the caller as
 * it is. A command pinned to a version (`expectedVersion`) is never retried. When the attempts run out it
 * throws ConcurrencyRetriesExhaustedError (a ConcurrencyError: the runtime's HttpErrorFilter answers 503).
 */
export class CommandHandler<State> {
  private readonly cache = new Map<string, StreamState<State>>();

  constructor(
    private readonly store: EventStreamStore,
    private readonly options: CommandHandlerOptions<State>,
  ) {}

  /** Streams whose state is cached (with `cacheStates`). */
  cachedStreams(): string[] {
    return [...this.cache.keys()];
  }

  async load(streamId: string): Promise<StreamState<State>> {
    const cached = this.cache.get(streamId);
    const from = cached ?? { state: this.options.initialState(), version: 0n };
    const { events } = await this.store.readStream(streamId, { from: from.version + 1n });
    if (events.length === 0 && cached) return cached;
    const loaded = this.fold(from, events);
    if (this.options.cacheStates) this.cache.set(streamId, loaded);
    return loaded;
  }

  async handle<Result>(
    streamId: string,
    decide: (state: State, version: bigint) => Decision<Result>,
    { expectedVersion }: HandleOptions = {},
  ): Promise<HandleResult<State, Result>> {
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const current = await this.load(streamId);
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw new ConcurrencyError(streamId, expectedVersion, current.version);
      const { events, result } = decide(current.state, current.version);
      if (events.length === 0) return { ...current, result, appended: [] };
      // Ids fixed before the append: the stored events are known without reading them back.
      const entries = events.map((event) => ({ ...event, id: event.id ?? randomUUID() }));
      try {
        const appended = await this.store.appendToStream(streamId, entries, { expectedVersion: current.version });
        const stored = entries.map((entry, index): StoredEvent => ({
          globalPosition: appended.positions[index]!,
          streamId,
          streamPosition: current.version + BigInt(index + 1),
          eventId: entry.id,
          type: entry.type,
          data: entry.data,
          metadata: entry.metadata ?? {},
          recordedAt: new Date(),
        }));
        const next = this.fold(current, stored);
        if (this.options.cacheStates) this.cache.set(streamId, next);
        return { ...next, result, appended: stored };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || expectedVersion !== undefined) throw error;
        if (attempt >= maxAttempts) throw new ConcurrencyRetriesExhaustedError(error, attempt);
        await sleep((this.options.retryDelayMs ?? fullJitter)(attempt));
      }
    }
  }

  private fold(from: StreamState<State>, events: readonly StoredEvent[]): StreamState<State> {
    let { state, version } = from;
    for (const event of events) {
      state = this.options.evolve(state, event);
      version = event.streamPosition;
    }
    return { state, version };
  }
}
