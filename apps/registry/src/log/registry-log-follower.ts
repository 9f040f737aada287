import type { PostgresEventStore, StoredEvent } from '@iris/event-store';
import type { JsonLogger } from '@iris/observability';
import type { RegistryReadModel } from '../read-model';
import { versionFromStored } from './agent-stream';

export interface LogFollowerOptions {
  pollIntervalMs?: number;
  batchSize?: number;
}

/**
 * Keeps the read model up to date from the event log: replays it from the start (`catchUp`, before
 * the service answers) and then polls `readAll` for registrations appended by any instance.
 * The position is kept in memory: a restarted instance rebuilds from the log.
 */
export class RegistryLogFollower {
  private position = 0n;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly readModel: RegistryReadModel,
    private readonly logger: JsonLogger,
    private readonly options: LogFollowerOptions = {},
  ) {}

  /** Reads until the end of the log; resolves with the number of registrations applied. */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (;;) {
      const page = await this.store.readAll({ fromPosition: this.position, maxCount: this.options.batchSize ?? 1000 });
      if (page.events.length === 0) return applied;
      for (const stored of page.events) if (this.apply(stored)) applied++;
      this.position = page.nextPosition;
    }
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      this.running = this.catchUp().then(
        () => undefined,
        (error: unknown) => this.logger.warn('registry log follower failed; retrying', { error }),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.options.pollIntervalMs ?? 200);
    };
    this.timer = setTimeout(() => void tick(), this.options.pollIntervalMs ?? 200);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** A registration that does not validate is logged and skipped, so one bad entry cannot stall the registry. */
  private apply(stored: StoredEvent): boolean {
    try {
      const version = versionFromStored(stored);
      return version !== undefined && this.readModel.applyRegistered(version);
    } catch (error) {
      this.logger.error('skipping an invalid registration in the event log', { globalPosition: stored.globalPosition.toString(), streamId: stored.streamId, error });
      return false;
    }
  }
}
