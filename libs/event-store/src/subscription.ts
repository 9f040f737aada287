import { loadCheckpoint, storeCheckpoint } from './checkpoints';
import { readAll } from './read-all';
import { SqlQueryable } from './sql';
import type { StoredEvent } from './types';

export interface SubscriptionOptions {
  subscriptionId: string;
  /** Called with each batch in global order; the checkpoint moves only after it resolves. */
  handle(batch: StoredEvent[]): Promise<void>;
  batchSize?: number;
  pollIntervalMs?: number;
  /**
   * A failed read/handle/checkpoint is retried, for as long as it takes, after `pollIntervalMs` doubled on each
   * consecutive failure (capped at `maxRetryDelayMs`); this hears about each failure (`failures`: consecutive so far).
   */
  onError?(error: unknown, subscriptionId: string, failures: number): void;
  /** Told once the first batch after `failures` consecutive failures went through. */
  onRecovered?(subscriptionId: string, failures: number): void;
  /** Longest wait between two attempts after failures. Default 5 s. */
  maxRetryDelayMs?: number;
}

/**
 * Polls readAll from its stored checkpoint: read a batch, handle it, store the checkpoint.
 * At-least-once: a crash between handle and checkpoint hands the batch over again on restart.
 * Run one instance per subscription id (two would both deliver every event).
 */
export class EventStoreSubscription {
  private loop?: Promise<void>;
  private stopping = false;
  private wakeUp = (): void => undefined;
  /** wake() came while not sleeping: skip the next sleep. */
  private woken = false;
  private checkpoint = 0n;

  constructor(
    private readonly db: SqlQueryable,
    private readonly options: SubscriptionOptions,
  ) {}

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  /** Last global position handled and checkpointed. */
  get position(): bigint {
    return this.checkpoint;
  }

  start(): this {
    if (!this.loop) {
      this.stopping = false;
      this.loop = this.run();
    }
    return this;
  }

  get running(): boolean {
    return this.loop !== undefined && !this.stopping;
  }

  /** Reads again now instead of after the poll interval (e.g. something was just appended in this process). */
  wake(): void {
    this.woken = true;
    this.wakeUp();
  }

  /** Stops polling; resolves once the in-flight batch is handled and checkpointed. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    const { subscriptionId, handle, batchSize = 100, pollIntervalMs = 100, maxRetryDelayMs = 5_000 } = this.options;
    let loaded = false;
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!loaded) {
          this.checkpoint = (await loadCheckpoint(this.db, subscriptionId)) ?? 0n;
          loaded = true;
        }
        const page = await readAll(this.db, { fromPosition: this.checkpoint, maxCount: batchSize });
        if (failures > 0 && page.events.length === 0) {
          this.options.onRecovered?.(subscriptionId, failures);
          failures = 0;
        }
        if (page.events.length === 0) {
          await this.sleep(pollIntervalMs);
          continue;
        }
        await handle(page.events);
        await storeCheckpoint(this.db, subscriptionId, page.nextPosition);
        this.checkpoint = page.nextPosition;
        if (failures > 0) {
          this.options.onRecovered?.(subscriptionId, failures);
          failures = 0;
        }
      } catch (error) {
        failures++;
        (this.options.onError ?? logError)(error, subscriptionId, failures);
        await this.sleep(Math.min(pollIntervalMs * 2 ** Math.min(failures - 1, 20), Math.max(maxRetryDelayMs, pollIntervalMs)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.woken = false;
        this.wakeUp = () => undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}

function logError(error: unknown, subscriptionId: string, failures: number): void {
  if (failures === 1) console.error(`[event-store] subscription "${subscriptionId}" failed, retrying until it succeeds:`, error);
}
