import { CommandHandler, ConcurrencyError, type PostgresEventStore, type StoredEvent } from '@iris/event-store';
import { decide, evolve, initialState, type RolloutAggregateState, type RolloutCommand, type RolloutEvent } from './domain';
import { StaleRolloutVersionError } from './errors';
import { fromStored, isDomainEvent, rolloutStreamId, toLogEntries } from './rollout-log';
import type { VersionCatalog } from './version-catalog';

export interface LoadedRollout {
  state: RolloutAggregateState;
  /** Stream version the state was folded up to (pass as If-Match to act on exactly this state). */
  version: bigint;
}

export interface ExecuteOptions {
  /** Optimistic concurrency from the caller: act only if the stream is still at this version (else 409). */
  expectedVersion?: bigint;
  /** eventId of the message that caused the command, carried into the published envelopes. */
  causationId?: string;
}

export interface ExecuteResult extends LoadedRollout {
  events: RolloutEvent[];
}

/**
 * Runs decider commands against the event log through the event store's CommandHandler: load (incrementally,
 * from a per-stream cache), decide, append with the version read, decide again on a concurrency conflict —
 * unless the caller pinned a version, in which case it gets StaleRolloutVersionError (409).
 */
export class RolloutCommandHandler {
  private readonly commands: CommandHandler<RolloutAggregateState>;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly catalog: VersionCatalog,
    readonly environment: string,
  ) {
    this.commands = new CommandHandler(store, { initialState, evolve: evolveStored, cacheStates: true });
  }

  /** Agents this instance has seen (for scheduled ticks). */
  knownAgents(): string[] {
    const prefix = rolloutStreamId(this.environment, '');
    return this.commands.cachedStreams().map((streamId) => streamId.slice(prefix.length));
  }

  load(agent: string): Promise<LoadedRollout> {
    return this.commands.load(rolloutStreamId(this.environment, agent));
  }

  async execute(agent: string, command: RolloutCommand, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const streamId = rolloutStreamId(this.environment, agent);
    const context = { environment: this.environment, agent, streamId, causationId: options.causationId };
    try {
      const { state, version, result } = await this.commands.handle(
        streamId,
        (current) => {
          const events = decide(command, current);
          return { events: toLogEntries(events, context, this.catalog), result: events };
        },
        { expectedVersion: options.expectedVersion },
      );
      return { state, version, events: result };
    } catch (error) {
      if (error instanceof ConcurrencyError && options.expectedVersion !== undefined) throw new StaleRolloutVersionError(agent, options.expectedVersion, error.actual);
      throw error;
    }
  }

  /** The aggregate's domain events with their stream positions (audit, replay). */
  async history(agent: string): Promise<Array<{ position: string; recordedAt: string; event: RolloutEvent }>> {
    const { events } = await this.store.readStream(rolloutStreamId(this.environment, agent));
    return events.filter(isDomainEvent).map((stored) => ({
      position: stored.streamPosition.toString(),
      recordedAt: stored.recordedAt.toISOString(),
      event: fromStored(stored),
    }));
  }
}

/** Folds stored entries (contract events beside the domain ones are skipped) onto a loaded state. */
export function fold(from: LoadedRollout, stored: readonly StoredEvent[]): LoadedRollout {
  let state = from.state;
  let version = from.version;
  for (const entry of stored) {
    state = evolveStored(state, entry);
    version = entry.streamPosition;
  }
  return { state, version };
}

function evolveStored(state: RolloutAggregateState, stored: StoredEvent): RolloutAggregateState {
  return isDomainEvent(stored) ? evolve(state, fromStored(stored)) : state;
}
