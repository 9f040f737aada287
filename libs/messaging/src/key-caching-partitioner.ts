import { PartitionerArgs, Partitioners } from 'kafkajs';

type Partitioner = (args: PartitionerArgs) => number;

/** Distinct string keys per topic whose partition is remembered (then that cache starts over). */
export const PARTITIONER_CACHE_KEYS = 10_000;

/**
 * kafkajs's DefaultPartitioner (Java client compatible), remembering the partition of recent string keys per
 * topic and partition count: a busy producer sends the same keys (e.g. session ids) over and over, and the
 * stock partitioner re-hashes each one with a Long-based murmur2 (and filters the partition list) per message
 * (~2 µs). A keyed message's partition depends only on its key and the topic's partition count, so the
 * result is the same; keyless messages and explicit partitions go to the stock partitioner.
 */
export function keyCachingDefaultPartitioner(): Partitioner {
  return cachingPartitioner(Partitioners.DefaultPartitioner(), PARTITIONER_CACHE_KEYS);
}

/**
 * `stock` with each string key's partition cached per topic. Uses nothing but its parameters and globals:
 * the producer thread (WorkerProducer) runs it from its source text.
 */
export function cachingPartitioner(stock: Partitioner, maxKeysPerTopic: number): Partitioner {
  const caches = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  return (args) => {
    const { topic, message, partitionMetadata } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== null && message.partition !== undefined)) return stock(args);
    let cache = caches.get(topic);
    if (!cache || cache.partitions !== partitionMetadata.length) {
      cache = { partitions: partitionMetadata.length, byKey: new Map() };
      caches.set(topic, cache);
    }
    let partition = cache.byKey.get(key);
    if (partition === undefined) {
      if (cache.byKey.size >= maxKeysPerTopic) cache.byKey.clear();
      partition = stock(args);
      cache.byKey.set(key, partition);
    }
    return partition;
  };
}
