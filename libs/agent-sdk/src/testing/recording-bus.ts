import type { MessageBus, OutgoingMessage, Subscription } from '@iris/messaging';

/**
 * In-test MessageBus that records publishes and can be told to fail or hang (unit tests only;
 * integration tests use a real broker).
 */
export class RecordingBus implements MessageBus {
  readonly batches: Array<{ topic: string; messages: OutgoingMessage[]; at: number }> = [];
  readonly attempts: number[] = [];
  /** Next publishes fail while > 0 (decremented per attempt); Infinity = down. */
  failNext = 0;
  /** When set, publish waits for it before resolving / failing. */
  gate?: Promise<void>;
  closed = false;

  get messages(): OutgoingMessage[] {
    return this.batches.flatMap((batch) => batch.messages);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.attempts.push(Date.now());
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('broker unavailable'), { code: 'TEST_BROKER_DOWN' });
    }
    this.batches.push({ topic, messages: [...messages], at: Date.now() });
  }

  async subscribe(): Promise<Subscription> {
    throw new Error('not supported by RecordingBus');
  }

  async ensureTopics(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Polls `condition` until true or the timeout. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}
