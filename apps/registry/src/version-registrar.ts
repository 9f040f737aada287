import { createEvent, encodeMessage, MAX_MESSAGE_BYTES, type EventOf } from '@iris/contracts';
import { CommandHandler, type PostgresEventStore } from '@iris/event-store';
import type { JsonLogger } from '@iris/observability';
import { toNewEvent } from '@iris/runtime';
import { versionFromStored } from './log';
import type { RegistryReadModel } from './read-model';
import { agentStreamId, decideRegistration, evolveAgent, initialAgentState, RegistryError, type AgentState, versionFromEvent, type RegisteredVersion, type RegisterVersion } from './registration';

export interface RegistrationResult {
  /** false: identical content was already registered and is returned as is. */
  created: boolean;
  version: RegisteredVersion;
}

export interface VersionRegistrarOptions {
  environment: string;
  /** Attempts when other writers keep winning the race on the agent's stream. Default 10. */
  maxAttempts?: number;
  now?: () => Date;
}

/**
 * The command shell around the pure decider, on the event store's CommandHandler: read the agent's stream,
 * decide, append `registry.version.registered` expecting the version read, and on a concurrency conflict read
 * again and decide again (the winner's version may be the very one requested → created:false). Losing every
 * attempt throws ConcurrencyRetriesExhaustedError (503 with Retry-After). The appended event is relayed to
 * Kafka by the runtime's outbox publisher.
 */
export class VersionRegistrar {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly readModel: RegistryReadModel,
    private readonly logger: JsonLogger,
    private readonly options: VersionRegistrarOptions,
  ) {}

  async register(command: RegisterVersion): Promise<RegistrationResult> {
    const commands = new CommandHandler<AgentState>(this.store, {
      initialState: () => initialAgentState(command.agent),
      evolve: (state, stored) => {
        const version = versionFromStored(stored);
        return version ? evolveAgent(state, version) : state;
      },
      maxAttempts: this.options.maxAttempts ?? 10,
    });
    const { version: streamVersion, result } = await commands.handle<{ existing: RegisteredVersion } | { registered: EventOf<'registry.version.registered'> }>(agentStreamId(command.agent), (current) => {
      for (const known of current.versions) this.readModel.applyRegistered(known); // read-your-writes across instances
      const decision = decideRegistration(current, command);
      if (decision.kind === 'existing') return { events: [], result: { existing: decision.version } };
      const event = createEvent('registry.version.registered', decision.data, { environment: this.options.environment, occurredAt: this.options.now?.() });
      const size = encodeMessage(event).length;
      if (size > MAX_MESSAGE_BYTES) {
        throw new RegistryError('TOO_LARGE', `the version's event is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit; shorten the prompt or examples`);
      }
      return { events: [toNewEvent(event, { actor: command.registeredBy })], result: { registered: event } };
    });
    if ('existing' in result) return { created: false, version: result.existing };
    const version = versionFromEvent(result.registered, Number(streamVersion));
    this.readModel.applyRegistered(version);
    this.logger.info('version registered', { agent: version.agent, versionId: version.versionId, label: version.label, bump: version.bump, actor: command.registeredBy });
    return { created: true, version };
  }
}
