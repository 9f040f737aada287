import { EmbeddedMessageBus, type KafkaConnectionConfig, type MessagingLogger, toKafkaJsConfig } from '@iris/messaging';
import { type Admin, Kafka } from 'kafkajs';

/** Per partition of a topic: the offset the next record written to it gets (its end, "high watermark"). */
export type EndOffsetsProbe = (topic: string) => Promise<Map<number, bigint>>;

/**
 * End offsets through one kafkajs admin client, connected on first use and kept (the aggregator asks at most once per
 * tick, and only for partitions that look idle); a failed request drops the client so the next one reconnects.
 */
export class KafkaEndOffsets {
  private admin?: Promise<Admin>;

  constructor(
    private readonly connection: KafkaConnectionConfig,
    private readonly logger: MessagingLogger,
  ) {}

  readonly probe: EndOffsetsProbe = async (topic) => {
    const admin = await this.connected();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } catch (error) {
      this.admin = undefined;
      void admin.disconnect().catch(() => undefined);
      throw error;
    }
  };

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = new Kafka(toKafkaJsConfig({ ...this.connection, clientId: `${this.connection.clientId}-end-offsets` }, this.logger, 'error')).admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}

/** End offsets of the in-process bus (its partitions are arrays: the end is their length). */
export function embeddedEndOffsets(bus: EmbeddedMessageBus): EndOffsetsProbe {
  return async (topic) => new Map(bus.topic(topic).partitions.map((log, partition) => [partition, BigInt(log.length)]));
}
