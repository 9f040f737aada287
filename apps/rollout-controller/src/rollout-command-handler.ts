import { ConcurrencyError, type PostgresEventStore, type StoredEvent } from '@iris/event-store';
import { decide, evolve, evolveAll, initialState, type RolloutAggregateState, type RolloutCommand, type RolloutEvent } from './domain';
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

const MAX_ATTEMPTS = 8;

/**
 * Runs decider commands against the event log: load (incrementally, from a per-agent cache), decide,
 * append with the version read. A concurrent writer makes the append fail; the command is then decided
 * again on the fresh state — unless the caller pinned a version, in which case it gets a conflict.
 */
export class RolloutCommandHandler {
  private readonly cache = new Map<string, LoadedRollout>();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly catalog: VersionCatalog,
    readonly environment: string,
  ) {}

  /** Agents this instance has seen (for scheduled ticks). */
  knownAgents(): string[] {
    return [...this.cache.keys()];
  }

  async load(agent: string): Promise<LoadedRollout> {
    const streamId = rolloutStreamId(this.environment, agent);
    const cached = this.cache.get(agent) ?? { state: initialState(), version: 0n };
    const { events } = await this.store.readStream(streamId, { from: cached.version + 1n });
    if (events.length === 0 && this.cache.has(agent)) return cached;
    const loaded = fold(cached, events);
    this.cache.set(agent, loaded);
    return loaded;
  }

  async execute(agent: string, command: RolloutCommand, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const streamId = rolloutStreamId(this.environment, agent);
    for (let attempt = 1; ; attempt++) {
      const current = await this.load(agent);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion)
        throw new StaleRolloutVersionError(agent, options.expectedVersion, current.version);
      const events = decide(command, current.state);
      if (events.length === 0) return { ...current, events };
      const entries = toLogEntries(events, { environment: this.environment, agent, streamId, causationId: options.causationId }, this.catalog);
      try {
        const result = await this.store.appendToStream(streamId, entries, { expectedVersion: current.version });
        const next = { state: evolveAll(current.state, events), version: result.nextExpectedVersion };
        this.cache.set(agent, next);
        return { ...next, events };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (options.expectedVersion !== undefined) throw new StaleRolloutVersionError(agent, options.expectedVersion, error.actual);
        if (attempt >= MAX_ATTEMPTS) throw error;
      }
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
    if (isDomainEvent(entry)) state = evolve(state, fromStored(entry));
    version = entry.streamPosition;
  }
  return { state, version };
}
