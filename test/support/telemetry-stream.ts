import { AssignerProtocol, Kafka, logLevel, Partitioners } from 'kafkajs';
import { decodeMessage, dlqTopic, encodeMessage, EventOf, IrisEvent, keyFor, TOPIC_LIST, TOPICS } from '@iris/contracts';
import { uniqueName } from '@iris/testing';

const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

/** Creates Iris's topics (as the services do at start-up) so a test can subscribe before any service ran. */
export async function ensureIrisTopics(): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = TOPIC_LIST.flatMap((t) => [
      { topic: t.name, numPartitions: t.partitions, configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [] },
      { topic: dlqTopic(t.name), numPartitions: 1, configEntries: [] },
    ]).filter((t) => !existing.has(t.topic));
    if (topics.length) await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Publishes contract events (and optional raw poison records) to the telemetry topic, keyed as the contracts say. */
/** Publishes telemetry in event order; `poison` (unreadable values) goes last, under its own key so a run finds its own dead letters. */
export async function publishTelemetry(events: IrisEvent[], poison?: { key: string; values: Array<string | null> }): Promise<void> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 1000) {
      const messages = events.slice(i, i + 1000).map((event) => ({ key: keyFor(event), value: encodeMessage(event) }));
      await producer.send({ topic: TOPICS.telemetry.name, acks: -1, messages });
    }
    if (poison?.values.length) await producer.send({ topic: TOPICS.telemetry.name, acks: -1, messages: poison.values.map((value) => ({ key: poison.key, value })) });
  } finally {
    await producer.disconnect();
  }
}

export type Snapshot = EventOf<'metrics.snapshot'>;

/** Follows iris.metrics.v1 and keeps, per (window, role), the latest tumbling-window snapshot of one agent (later ones correct earlier ones). */
export async function followSnapshots(agent: string) {
  const consumer = kafka().consumer({ groupId: uniqueName('snapshots') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.metrics.name, fromBeginning: true });
  const latest = new Map<string, Snapshot>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = decodeMessage(message.value);
      if (event.type !== 'metrics.snapshot' || event.data.agent !== agent || event.data.view !== 'window') return;
      latest.set(`${event.data.windowStart}|${event.data.role}`, event);
    },
  });
  const total = (versionId: string, figure: string, role = 'primary') =>
    [...latest.values()].filter((s) => s.data.role === role).reduce((sum, s) => sum + (s.data.versions[versionId]?.[figure] ?? 0), 0);
  return {
    latest,
    total,
    async waitFor(predicate: () => boolean, timeoutMs = 90_000, describe = () => '') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`snapshots did not reach the expected totals in time ${describe()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/** Messages on a dead-letter topic whose source record had the given key. */
export async function countDeadLetters(topic: string, key: string, expected: number, timeoutMs = 60_000): Promise<Array<Record<string, string>>> {
  const consumer = kafka().consumer({ groupId: uniqueName('dlq') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const found: Array<Record<string, string>> = [];
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`only ${found.length} of ${expected} dead letters`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== key) return;
        found.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        if (found.length >= expected) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  return found;
}

/** The rolling-view snapshots of one agent published so far. */
export async function rollingSnapshots(agent: string, settleMs = 3_000): Promise<Snapshot[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('rolling') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.metrics.name, fromBeginning: true });
  const found: Snapshot[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = decodeMessage(message.value);
      if (event.type === 'metrics.snapshot' && event.data.agent === agent && event.data.view === 'rolling') found.push(event);
    },
  });
  await new Promise((r) => setTimeout(r, settleMs));
  await consumer.disconnect();
  return found;
}

/** Partitions of `topic` each member of a consumer group owns now (from the broker's group description). */
export async function groupAssignments(groupId: string, topic: string): Promise<number[][]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group || group.state !== 'Stable') return [];
    return group.members.map((member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic] ?? []);
  } finally {
    await admin.disconnect();
  }
}
