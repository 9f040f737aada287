import { CommandHandler, ConcurrencyError, type EventStreamStore, type StoredEvent } from '@iris/event-store';
import { decide, evolve, evolveAll, initialState, type RolloutAggregateState, type RolloutCommand, type RolloutEvent } from './domain';
import { PromotionRequiredError, StaleRolloutVersionError, UnregisteredVersionError } from './errors';
import type { PromotionLedger } from './promotion-ledger';
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

/** Rules the shell applies to a StartRollout before the decider sees it (they need the registry and other environments). */
export interface StartRules {
  /** Refuse versions the registry has not (yet) published (UnregisteredVersionError, 422). */
  requireRegisteredVersions: boolean;
  /** Environment promotion: the version must have completed a rollout upstream (PromotionRequiredError, 422). */
  promotions: PromotionLedger | null;
}

/** How the handler stamps the time a routing change takes effect (the decider reads no clock). */
export interface RoutingTiming {
  /** Added to the time a command is decided (just before the append): `ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS`. */
  propagationAllowanceMs: number;
  /** Wall clock, epoch ms (tests pass their own). */
  clock?: () => number;
}

/** Several decider commands decided on one state and appended at once, with what the caller gets back. */
export interface CommandPlan<Result> {
  commands: RolloutCommand[];
  result: Result;
}

/**
 * Runs decider commands against the event log through the event store's CommandHandler: load (incrementally,
 * from a per-stream cache), decide, append with the version read, decide again on a concurrency conflict —
 * unless the caller pinned a version, in which case it gets StaleRolloutVersionError (409).
 * A StartRollout passes the shell's start rules first (registered versions, environment promotion).
 */
export class RolloutCommandHandler {
  private readonly commands: CommandHandler<RolloutAggregateState>;

  constructor(
    private readonly store: EventStreamStore,
    private readonly catalog: VersionCatalog,
    readonly environment: string,
    private readonly rules: StartRules = { requireRegisteredVersions: false, promotions: null },
    private readonly routingTiming: RoutingTiming = { propagationAllowanceMs: 0 },
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
    const admitted = command.type === 'StartRollout' ? this.admitStart(agent, command) : command;
    const { result: _none, ...outcome } = await this.executePlan(agent, () => ({ commands: [admitted], result: undefined }), options);
    return outcome;
  }

  /**
   * Commands planned from the current state (e.g. one gate result per quality gate), decided one after the
   * other on the state the previous ones lead to and appended in one atomic append: all or none.
   */
  async executePlan<Result>(agent: string, plan: (state: RolloutAggregateState) => CommandPlan<Result>, options: ExecuteOptions = {}): Promise<ExecuteResult & { result: Result }> {
    const streamId = rolloutStreamId(this.environment, agent);
    const context = { environment: this.environment, agent, streamId, causationId: options.causationId };
    try {
      const { state, version, result } = await this.commands.handle(
        streamId,
        (current) => {
          const { commands, result: planned } = plan(current);
          const routingEffectiveAt = this.routingEffectiveAt();
          const events: RolloutEvent[] = [];
          let state = current;
          for (const command of commands) {
            const decided = decide({ ...command, metadata: { ...command.metadata, routingEffectiveAt } }, state);
            state = evolveAll(state, decided);
            events.push(...decided);
          }
          return { events: toLogEntries(events, context, this.catalog), result: { events, planned } };
        },
        { expectedVersion: options.expectedVersion },
      );
      return { state, version, events: result.events, result: result.planned };
    } catch (error) {
      if (error instanceof ConcurrencyError && options.expectedVersion !== undefined) throw new StaleRolloutVersionError(agent, options.expectedVersion, error.actual);
      throw error;
    }
  }

  /**
   * Now (each attempt decides anew, right before its append) plus the propagation allowance: new weights take
   * effect at a time no SDK instance has placed a session under yet, and by which every instance holds them.
   */
  private routingEffectiveAt(): string {
    const now = this.routingTiming.clock?.() ?? Date.now();
    return new Date(now + this.routingTiming.propagationAllowanceMs).toISOString();
  }

  /** Registered versions only (when required) and, with a promotion rule, the upstream completion as evidence. */
  private admitStart(agent: string, command: Extract<RolloutCommand, { type: 'StartRollout' }>): RolloutCommand {
    const { candidateVersionId, baselineVersionId } = command.data;
    if (this.rules.requireRegisteredVersions) {
      if (!this.catalog.has(agent, candidateVersionId)) throw new UnregisteredVersionError(agent, candidateVersionId, 'candidateVersionId');
      if (baselineVersionId && !this.catalog.has(agent, baselineVersionId)) throw new UnregisteredVersionError(agent, baselineVersionId, 'baselineVersionId');
    }
    const { promotions } = this.rules;
    if (!promotions) return command;
    const promotedFrom = promotions.evidenceFor(agent, candidateVersionId);
    if (!promotedFrom) throw new PromotionRequiredError(agent, candidateVersionId, promotions.fromEnvironment);
    return { ...command, data: { ...command.data, promotedFrom } };
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
