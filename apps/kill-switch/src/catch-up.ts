import { embeddedEndOffsets, kafkaEndOffsets, type AgentSdkLogger, type EndOffsetsProbe } from '@iris/agent-sdk';
import type { IrisConfig } from '@iris/config';
import { EmbeddedMessageBus, type MessageBus } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { kafkaConnection } from '@iris/runtime';

/**
 * Whether a follower of a topic has read everything the topic held when it started (its end offsets then): until
 * then what it knows is incomplete (e.g. a registered version not yet seen), and refusals built on it would be wrong.
 * Without a way to read end offsets it counts as caught up.
 */
export class CatchUp {
  private pending?: Map<number, number>;
  /** A follower that has not begun following knows exactly what it was told. */
  private done = true;

  constructor(readonly topic: string) {}

  async begin(probe: EndOffsetsProbe | undefined, logger: JsonLogger): Promise<void> {
    if (!probe) return;
    this.done = false;
    try {
      const ends = await probe(this.topic);
      this.pending = new Map(ends.filter((end) => end.high > end.low).map((end) => [end.partition, end.high]));
      this.done = this.pending.size === 0;
    } catch (error) {
      logger.warn('end offsets unavailable; counting the topic as read', { topic: this.topic, error });
      this.done = true;
    }
  }

  /** A record at `offset` of `partition` was handled. */
  progress(partition: number, offset: string): void {
    const end = this.pending?.get(partition);
    if (end === undefined || Number(offset) + 1 < end) return;
    this.pending!.delete(partition);
    if (this.pending!.size === 0) this.done = true;
  }

  get caughtUp(): boolean {
    return this.done;
  }
}

/**
 * What a follower's decode hands to its handler: never throws, so a record the contracts refuse is skipped (and
 * logged) by this follower instead of being dead-lettered — the topic's own consumer dead-letters it — and still
 * counts as read. Otherwise a refused record at the end of a partition would keep the follower from ever catching up.
 */
export type Followed<T> = { ok: true; event: T } | { ok: false; reason: string };

export function followerDecode<T>(decode: (bytes: Buffer | null) => T): (message: { value: Buffer | null }) => Followed<T> {
  return (message) => {
    try {
      return { ok: true, event: decode(message.value) };
    } catch (error) {
      return { ok: false, reason: (error as Error)?.message ?? String(error) };
    }
  };
}

/** How this service reads a topic's end offsets (the SDK's probes: an admin request on Kafka, the arrays in process). */
export function endOffsetsProbe(bus: MessageBus, config: IrisConfig, logger: JsonLogger): EndOffsetsProbe | undefined {
  if (bus instanceof EmbeddedMessageBus) return embeddedEndOffsets(bus);
  if (!config.kafka) return undefined;
  const sdkLogger: AgentSdkLogger = { log: (level, message, fields) => logger.write(level, message, { component: 'end-offsets', ...fields }) };
  return kafkaEndOffsets(kafkaConnection(config), sdkLogger);
}
