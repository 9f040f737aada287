import { randomUUID } from 'node:crypto';
import { CommandHandler, type EventStreamStore, type StoredEvent } from '@iris/event-store';
import { toNewEvent } from '@iris/runtime';
import { decide, evolve, evolveAll, initialState, type KillSetState, type KillSwitchCommand, type KillSwitchEvent } from './domain';
import type { KillAdmission } from './kill-admission';
import { fromStored, isDomainEvent, killSetContractEvent, killSetStreamId, toLogEntries } from './kill-set-log';

export interface LoadedKillSet {
  state: KillSetState;
  version: bigint;
}

export interface ExecuteResult extends LoadedKillSet {
  events: KillSwitchEvent[];
}

/**
 * Runs kill-switch commands against the environment's stream through the event store's CommandHandler: load (from
 * a cache, reading only what was appended since), admit (known agent and version), decide, check that no traffic is
 * stranded, append domain and contract events at once with the version read; a concurrency conflict decides again.
 */
export class KillCommandHandler {
  private readonly commands: CommandHandler<KillSetState>;
  readonly streamId: string;

  constructor(
    private readonly store: EventStreamStore,
    readonly environment: string,
    private readonly admission: KillAdmission | null,
  ) {
    this.streamId = killSetStreamId(environment);
    this.commands = new CommandHandler(store, { initialState, evolve: evolveStored, cacheStates: true });
  }

  load(): Promise<LoadedKillSet> {
    return this.commands.load(this.streamId);
  }

  async execute(command: KillSwitchCommand): Promise<ExecuteResult> {
    this.admission?.admit(command);
    const { state, version, result } = await this.commands.handle(this.streamId, (current) => {
      const events = decide(command, current);
      const after = evolveAll(current, events);
      this.admission?.checkRoutes(command, current, after);
      return { events: toLogEntries(events, after, this.environment), result: events };
    });
    return { state, version, events: result };
  }

  /** Appends the current kill set again as a contract event (the topic lost it): the outbox publishes it. */
  async republish(actor: string): Promise<LoadedKillSet> {
    const commandId = randomUUID();
    const { state, version } = await this.commands.handle(this.streamId, (current) => ({
      events: [toNewEvent(killSetContractEvent(current, this.environment, { at: new Date().toISOString(), commandId, change: 'republished from the log' }), { actor, commandId })],
      result: undefined,
    }));
    return { state, version };
  }

  /** The stream's domain events with their positions (audit). */
  async history(): Promise<Array<{ position: string; recordedAt: string; event: KillSwitchEvent }>> {
    const { events } = await this.store.readStream(this.streamId);
    return events.filter(isDomainEvent).map((stored) => ({ position: stored.streamPosition.toString(), recordedAt: stored.recordedAt.toISOString(), event: fromStored(stored) }));
  }
}

function evolveStored(state: KillSetState, stored: StoredEvent): KillSetState {
  return isDomainEvent(stored) ? evolve(state, fromStored(stored)) : state;
}
