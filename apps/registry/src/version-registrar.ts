import { randomInt } from 'node:crypto';
import { createEvent, encodeMessage, MAX_MESSAGE_BYTES } from '@iris/contracts';
import { ConcurrencyError, type PostgresEventStore } from '@iris/event-store';
import type { JsonLogger } from '@iris/observability';
import { toNewEvent } from '@iris/runtime';
import { loadAgent } from './log';
import type { RegistryReadModel } from './read-model';
import { agentStreamId, decideRegistration, RegistryError, versionFromEvent, type RegisteredVersion, type RegisterVersion } from './registration';

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
 * The command shell around the pure decider: read the agent's stream, decide, append
 * `registry.version.registered` expecting the version read, and on a concurrency conflict read
 * again and decide again (the winner's version may be the very one requested → created:false).
 * The appended event is relayed to Kafka by the runtime's outbox publisher.
 */
export class VersionRegistrar {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly readModel: RegistryReadModel,
    private readonly logger: JsonLogger,
    private readonly options: VersionRegistrarOptions,
  ) {}

  async register(command: RegisterVersion): Promise<RegistrationResult> {
    const maxAttempts = this.options.maxAttempts ?? 10;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const { state, streamVersion } = await loadAgent(this.store, command.agent);
      for (const known of state.versions) this.readModel.applyRegistered(known); // read-your-writes across instances
      const decision = decideRegistration(state, command);
      if (decision.kind === 'existing') return { created: false, version: decision.version };

      const event = createEvent('registry.version.registered', decision.data, { environment: this.options.environment, occurredAt: this.options.now?.() });
      const size = encodeMessage(event).length;
      if (size > MAX_MESSAGE_BYTES) {
        throw new RegistryError('TOO_LARGE', `the version's event is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit; shorten the prompt or examples`);
      }
      try {
        const appended = await this.store.appendToStream(agentStreamId(command.agent), [toNewEvent(event, { actor: command.registeredBy })], { expectedVersion: streamVersion });
        const version = versionFromEvent(event, Number(appended.nextExpectedVersion));
        this.readModel.applyRegistered(version);
        this.logger.info('version registered', { agent: version.agent, versionId: version.versionId, label: version.label, bump: version.bump, actor: command.registeredBy });
        return { created: true, version };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        this.logger.write('debug', 'registration lost a race; deciding again', { agent: command.agent, attempt });
        await new Promise((resolve) => setTimeout(resolve, randomInt(1, 5 * attempt + 2)));
      }
    }
    throw new RegistryError('CONTENTION', `agent ${command.agent}: other registrations kept winning the race after ${maxAttempts} attempts; retry`);
  }
}
