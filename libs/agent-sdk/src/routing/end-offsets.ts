import { EmbeddedMessageBus, KafkaConnectionConfig, MessageBus, toKafkaJsConfig } from '@iris/messaging';
import { Kafka } from 'kafkajs';
import type { AgentSdkLogger } from '../logger';
import type { EndOffsetsProbe } from '../compacted-topic-follower';

/** End offsets through a short-lived kafkajs admin connection (one metadata + ListOffsets round trip). */
export function kafkaEndOffsets(connection: KafkaConnectionConfig, logger: AgentSdkLogger): EndOffsetsProbe {
  return async (topic) => {
    const admin = new Kafka(toKafkaJsConfig({ ...connection, clientId: `${connection.clientId}-routing-offsets` }, logger, 'error')).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}

/** End offsets of the in-process bus (its partitions are arrays: the end is their length). */
export function embeddedEndOffsets(bus: EmbeddedMessageBus): EndOffsetsProbe {
  return async (topic) => bus.topic(topic).partitions.map((log, partition) => ({ partition, low: 0, high: log.length }));
}

/** The probe a bus supports without extra configuration (the embedded bus); undefined otherwise. */
export function endOffsetsOf(bus: MessageBus): EndOffsetsProbe | undefined {
  return bus instanceof EmbeddedMessageBus ? embeddedEndOffsets(bus) : undefined;
}
