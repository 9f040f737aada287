import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { uniqueName } from '@iris/testing';

const ROOT = resolve(__dirname, '../..');
const MESSAGES = 5_000;
const PARTITIONS = 3;
/** Sent 60 at a time: about 20 records per partition in each record batch (~0.7 KiB). */
const SEND_SIZE = 60;
/**
 * One fetch returns at most 2 KiB per partition (a few record batches, well under the handler's 100), so each
 * handler batch the consumer prints is one whole fetch, and the bus commits after each.
 */
const MAX_BYTES_PER_PARTITION = 2_048;

interface Handled {
  partition: number;
  offset: bigint;
  id: string;
}

function startConsumer(topic: string, group: string) {
  const child = spawn(process.execPath, ['-r', './scripts/alias-loader.js', 'test/support/bus-consumer.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC: topic, GROUP: group, MAX_BYTES_PER_PARTITION: String(MAX_BYTES_PER_PARTITION) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const handled: Handled[] = [];
  /** Largest fetch (handler batch) seen per partition. */
  const largestFetch = new Map<number, number>();
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [first, second, third] = line.split(' ');
      if (first === 'batch') largestFetch.set(Number(second), Math.max(largestFetch.get(Number(second)) ?? 0, Number(third)));
      else if (third !== undefined) handled.push({ partition: Number(first), offset: BigInt(second!), id: third });
    }
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, handled, largestFetch, ids: () => handled.map((h) => h.id), exited };
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a libs/messaging consumer killed mid-stream (kill -9)', () => {
  it('resumes in a new process from the committed offset: every message is handled, and only what the first had not committed comes again (at most one fetch per partition)', async () => {
    const topic = uniqueName('crash');
    const group = uniqueName('crash-group');
    const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const sent = Array.from({ length: MESSAGES }, (_, i) => `m-${i}`);
      for (let i = 0; i < MESSAGES; i += SEND_SIZE) {
        await producer.send({ topic, acks: -1, messages: sent.slice(i, i + SEND_SIZE).map((id) => ({ key: id, value: JSON.stringify({ id }) })) });
      }
      await producer.disconnect();

      const first = startConsumer(topic, group);
      await until(() => first.handled.length >= 1_000, 60_000, 'the first consumer to handle 1,000 messages');
      first.child.kill('SIGKILL');
      await first.exited;
      expect(first.handled.length).toBeLessThan(MESSAGES); // it really died mid-stream

      // What the dead process had committed, per partition (-1: nothing yet → the group starts from the beginning).
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const committed = new Map(offsets!.partitions.map(({ partition, offset }) => [partition, offset === '-1' ? 0n : BigInt(offset)]));
      const committedTotal = [...committed.values()].reduce((a, b) => a + b, 0n);
      expect(committedTotal).toBeGreaterThan(0n); // it committed as it went

      const second = startConsumer(topic, group);
      const handled = () => new Set([...first.ids(), ...second.ids()]);
      try {
        await until(() => handled().size === MESSAGES, 90_000, `all ${MESSAGES} messages (have ${handled().size})`);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      expect([...handled()].sort()).toEqual([...sent].sort());

      for (let partition = 0; partition < PARTITIONS; partition++) {
        const from = committed.get(partition) ?? 0n;
        const handedAgain = second.handled.filter((h) => h.partition === partition);
        const uncommitted = first.handled.filter((h) => h.partition === partition && h.offset >= from);
        // The second process starts exactly at the commit: nothing below it again, and what it got again is
        // precisely what the first had handled past its commit…
        expect(handedAgain.every((h) => h.offset >= from)).toBe(true);
        const firstIds = new Set(first.handled.map((h) => h.id));
        expect(handedAgain.filter((h) => firstIds.has(h.id)).map((h) => h.offset)).toEqual(uncommitted.map((h) => h.offset));
        // …which is at most the one fetch the first was handling when it died.
        expect(uncommitted.length).toBeLessThanOrEqual(first.largestFetch.get(partition) ?? 0);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
