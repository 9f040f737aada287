import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { uniqueName } from '@iris/testing';

const ROOT = resolve(__dirname, '../..');
const MESSAGES = 5_000;

function startConsumer(topic: string, group: string) {
  const child = spawn(process.execPath, ['-r', './scripts/alias-loader.js', 'test/support/bus-consumer.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, KAFKA_BROKERS: process.env.KAFKA_BROKERS, TOPIC: topic, GROUP: group },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ids: string[] = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    ids.push(...lines.filter((line) => line && line !== 'subscribed'));
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, ids, exited };
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a libs/messaging consumer killed mid-stream (kill -9)', () => {
  it('resumes in a new process from the committed offset: every message in is handled at least once', async () => {
    const topic = uniqueName('crash');
    const group = uniqueName('crash-group');
    const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = Array.from({ length: MESSAGES }, (_, i) => `m-${i}`);
    for (let i = 0; i < MESSAGES; i += 500) {
      await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 500).map((id) => ({ key: id, value: JSON.stringify({ id }) })) });
    }
    await producer.disconnect();

    const first = startConsumer(topic, group);
    await until(() => first.ids.length >= 1_000, 60_000, 'the first consumer to handle 1,000 messages');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.ids.length).toBeLessThan(MESSAGES); // it really died mid-stream

    const second = startConsumer(topic, group);
    const handled = () => new Set([...first.ids, ...second.ids]);
    try {
      await until(() => handled().size === MESSAGES, 90_000, `all ${MESSAGES} messages (have ${handled().size})`);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    expect([...handled()].sort()).toEqual([...sent].sort());
    // Only what the dead process had handled but not committed is delivered twice (consumers dedupe by id).
    const firstHandled = new Set(first.ids);
    const redelivered = second.ids.filter((id) => firstHandled.has(id));
    expect(redelivered.length).toBe(first.ids.length + second.ids.length - MESSAGES);
    expect(redelivered.length).toBeLessThan(first.ids.length + 1);
  });
});
