import { randomUUID } from 'node:crypto';
import type { JsonLogger } from '@iris/observability';
import type { KillSetState } from './domain';
import type { KillCommandHandler } from './kill-command-handler';

/**
 * The shell's clock for expiry: wakes at the next kill's expiry (or every `maxIntervalMs`) and sends ExpireKills with
 * the current time. The decider decides what has expired from that time, so the log says when each kill ended.
 * Every instance may run one; a second ExpireKills for the same kills decides nothing.
 */
export class ExpiryTimer {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly handler: KillCommandHandler,
    private readonly maxIntervalMs: number,
    private readonly logger: JsonLogger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    void this.tick();
  }

  /** Re-plans the next wake-up (after a kill with an expiry was engaged). */
  nudge(state: KillSetState): void {
    if (this.stopped || this.running) return;
    this.schedule(state);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private tick(): Promise<void> {
    this.running = (async () => {
      let state: KillSetState | undefined;
      try {
        state = (await this.handler.load()).state;
        const nowMs = this.now();
        if (state.kills.some((kill) => kill.expiresAt !== null && Date.parse(kill.expiresAt) <= nowMs)) {
          const result = await this.handler.execute({ type: 'ExpireKills', data: {}, metadata: { commandId: randomUUID(), actor: 'kill-switch/expiry', at: new Date(nowMs).toISOString() } });
          state = result.state;
          const expired = result.events.filter((e) => e.type === 'KillExpired').map((e) => (e.data as { killId: string }).killId);
          if (expired.length > 0) this.logger.info('kills expired', { killIds: expired, revision: state.revision });
        }
      } catch (error) {
        this.logger.warn('expiry check failed; retried at the next tick', { error });
      } finally {
        this.running = undefined;
      }
      if (!this.stopped) this.schedule(state);
    })();
    return this.running;
  }

  private schedule(state: KillSetState | undefined): void {
    clearTimeout(this.timer);
    const next = Math.min(...(state?.kills ?? []).map((kill) => (kill.expiresAt === null ? Infinity : Date.parse(kill.expiresAt))));
    const delayMs = Math.max(0, Math.min(this.maxIntervalMs, next - this.now()));
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }
}
