import { decodeMessage, IrisEvent, TOPICS } from '@iris/contracts';
import { uniqueName } from '@iris/testing';
import { Consumer, Kafka, logLevel } from 'kafkajs';

export interface ReadTelemetry {
  key: string | null;
  partition: number;
  event: IrisEvent;
}

/** Creates the telemetry topic with its catalogued partition count unless it exists (integration tests). */
export async function ensureTelemetryTopic(brokers: string, topic = TOPICS.telemetry.name): Promise<void> {
  const admin = new Kafka({ clientId: uniqueName('sdk-test-admin'), brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: TOPICS.telemetry.partitions }] });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Reads the telemetry topic from the beginning with a real kafkajs consumer, keeping events of one agent. */
export class TelemetryReader {
  readonly received: ReadTelemetry[] = [];
  private consumer?: Consumer;

  constructor(private readonly brokers: string, private readonly agent: string, private readonly topic = TOPICS.telemetry.name) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: uniqueName('sdk-test-reader'), brokers: this.brokers.split(','), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: uniqueName('sdk-test-reader'), maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, partition }) => {
        // The shared topic may hold other tests' poison records: only this agent's events matter here
        // (they are checked for validity below by being decoded at all).
        let event: IrisEvent;
        try {
          event = decodeMessage(message.value);
        } catch {
          return;
        }
        if ((event.data as { agent?: string }).agent !== this.agent) return;
        this.received.push({ key: message.key?.toString() ?? null, partition, event });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
