import { uniqueName } from '@iris/testing';
import { DeadLetterHeaders, deadLetterTopic } from '../dead-letter';
import { DecodedMessage, MessageBus, RawMessage, Subscription, SubscriptionOptions } from '../message-bus';

/**
 * Behaviour every MessageBus implementation must have. Run it from an implementation's spec:
 *   describeMessageBusContract('KafkaMessageBus', () => new KafkaMessageBus(...));
 */
export interface ContractOptions {
  /** Upper bound for "eventually" assertions. */
  timeoutMs?: number;
}

interface Event {
  id: string;
  key: string;
  seq: number;
}

export function describeMessageBusContract(name: string, createBus: () => MessageBus, contract: ContractOptions = {}): void {
  const timeoutMs = contract.timeoutMs ?? 60_000;

  describe(`${name} (MessageBus contract)`, () => {
    let bus: MessageBus;
    const subscriptions: Subscription[] = [];

    beforeEach(() => {
      bus = createBus();
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
      await bus.close();
    });

    const subscribe = async <T>(options: SubscriptionOptions<T>) => {
      const subscription = await bus.subscribe(options);
      subscriptions.push(subscription);
      return subscription;
    };

    const freshTopic = async (partitions = 4) => {
      const topic = uniqueName('contract');
      await bus.ensureTopics([{ topic, partitions }]);
      return topic;
    };

    const eventually = async (what: string, predicate: () => boolean) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
        await new Promise((done) => setTimeout(done, 20));
      }
    };

    const event = (key: string, seq: number): Event => ({ id: `${key}-${seq}`, key, seq });
    const publishEvents = (topic: string, events: Event[]) =>
      bus.publish(topic, events.map((e) => ({ key: e.key, value: JSON.stringify(e), headers: { 'x-test': 'yes' } })));

    it('delivers published messages with key, value, headers and position', async () => {
      const topic = await freshTopic();
      const received: Array<DecodedMessage<Event>> = [];
      await subscribe({ topic, groupId: uniqueName('g'), fromBeginning: true, decode: decodeEvent, handleBatch: async (batch) => void received.push(...batch) });
      const events = Array.from({ length: 10 }, (_, i) => event(`k${i % 3}`, i));
      await publishEvents(topic, events);

      await eventually('10 messages', () => received.length >= 10);
      expect(received.map((m) => m.value.id).sort()).toEqual(events.map((e) => e.id).sort());
      for (const message of received) {
        expect(message.key).toBe(message.value.key);
        expect(message.topic).toBe(topic);
        expect(message.headers['x-test']).toBe('yes');
        expect(Number(message.offset)).toBeGreaterThanOrEqual(0);
        expect(message.partition).toBeGreaterThanOrEqual(0);
        expect(Number(message.timestamp)).toBeGreaterThan(0);
      }
    });

    it('keeps per-key order', async () => {
      const topic = await freshTopic();
      const received: Event[] = [];
      await subscribe({
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        maxBatchSize: 7,
        decode: decodeEvent,
        handleBatch: async (batch) => void received.push(...batch.map((m) => m.value)),
      });
      const keys = ['a', 'b', 'c', 'd', 'e'];
      for (let round = 0; round < 10; round++) {
        await publishEvents(topic, keys.flatMap((key) => [event(key, round * 2), event(key, round * 2 + 1)]));
      }

      await eventually('100 messages', () => received.length >= 100);
      for (const key of keys) {
        expect(received.filter((e) => e.key === key).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    });

    it('dead-letters a message that fails to decode and carries on', async () => {
      const topic = await freshTopic(1);
      const received: Event[] = [];
      const deadLetters: RawMessage[] = [];
      await subscribe({ topic, groupId: uniqueName('g'), fromBeginning: true, decode: decodeEvent, handleBatch: async (b) => void received.push(...b.map((m) => m.value)) });
      await subscribe({ topic: deadLetterTopic(topic), groupId: uniqueName('dlq'), fromBeginning: true, decode: (raw) => raw, handleBatch: async (b) => void deadLetters.push(...b.map((m) => m.value)) });

      await publishEvents(topic, [event('k', 1)]);
      await bus.publish(topic, [{ key: 'k', value: '{not json', headers: { 'x-origin': 'poison' } }]);
      await publishEvents(topic, [event('k', 2)]);

      await eventually('good messages and one dead letter', () => received.length >= 2 && deadLetters.length >= 1);
      expect(received.map((e) => e.seq)).toEqual([1, 2]);
      const [letter] = deadLetters;
      expect(letter.key?.toString()).toBe('k');
      expect(letter.value?.toString()).toBe('{not json');
      expect(letter.headers['x-origin']).toBe('poison');
      expect(letter.headers[DeadLetterHeaders.errorKind]).toBe('invalid');
      expect(letter.headers[DeadLetterHeaders.error]).toMatch(/JSON/);
      expect(letter.headers[DeadLetterHeaders.sourceTopic]).toBe(topic);
      expect(letter.headers[DeadLetterHeaders.sourcePartition]).toBe('0');
      expect(letter.headers[DeadLetterHeaders.sourceOffset]).toBe('1');
    });

    it('retries a failing handler, then dead-letters only the failing message', async () => {
      const topic = await freshTopic(1);
      const processed = new Set<string>();
      const attemptsWithPoison: number[] = [];
      const deadLetters: RawMessage[] = [];
      await subscribe({
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        maxRetries: 2,
        retryBackoffMs: 5,
        decode: decodeEvent,
        handleBatch: async (batch) => {
          if (batch.some((m) => m.value.id === 'k-3')) {
            attemptsWithPoison.push(batch.length);
            throw new Error('cannot handle k-3');
          }
          for (const m of batch) processed.add(m.value.id);
        },
      });
      await subscribe({ topic: deadLetterTopic(topic), groupId: uniqueName('dlq'), fromBeginning: true, decode: (raw) => raw, handleBatch: async (b) => void deadLetters.push(...b.map((m) => m.value)) });

      const events = Array.from({ length: 6 }, (_, i) => event('k', i));
      await publishEvents(topic, events);

      await eventually('5 processed and 1 dead letter', () => processed.size >= 5 && deadLetters.length >= 1);
      expect([...processed].sort()).toEqual(events.filter((e) => e.id !== 'k-3').map((e) => e.id).sort());
      expect(attemptsWithPoison.filter((size) => size === 1)).toHaveLength(3); // alone: 1 try + 2 retries
      expect(deadLetters).toHaveLength(1);
      expect(JSON.parse(deadLetters[0].value!.toString()).id).toBe('k-3');
      expect(deadLetters[0].headers[DeadLetterHeaders.errorKind]).toBe('handler-failed');
      expect(deadLetters[0].headers[DeadLetterHeaders.error]).toBe('cannot handle k-3');
    });

    it('resumes from the committed offset after a stop, losing nothing', async () => {
      const topic = await freshTopic();
      const groupId = uniqueName('g');
      const total = 400;
      await publishEvents(topic, Array.from({ length: total }, (_, i) => event(`k${i % 13}`, i)));

      const firstRun = new Set<string>();
      const first = await bus.subscribe<Event>({
        topic,
        groupId,
        fromBeginning: true,
        maxBatchSize: 10,
        decode: decodeEvent,
        handleBatch: async (batch) => {
          await new Promise((done) => setTimeout(done, 2));
          for (const m of batch) firstRun.add(m.value.id);
        },
      });
      await eventually('part of the stream', () => firstRun.size >= 50);
      await first.stop();
      expect(firstRun.size).toBeLessThan(total);

      const secondRun = new Set<string>();
      await subscribe({ topic, groupId, fromBeginning: true, decode: decodeEvent, handleBatch: async (b) => b.forEach((m) => secondRun.add(m.value.id)) });
      await eventually('every message', () => new Set([...firstRun, ...secondRun]).size >= total);
      expect(secondRun.size).toBeLessThan(total); // it resumed rather than starting over
    });

    it('commits no further than the handler made durable (committableOffset); the next member gets the rest again', async () => {
      const topic = await freshTopic(1);
      const groupId = uniqueName('g');
      await publishEvents(topic, Array.from({ length: 20 }, (_, i) => event('k', i)));
      let handled = 0;
      const first = await bus.subscribe<Event>({
        topic,
        groupId,
        fromBeginning: true,
        maxBatchSize: 4,
        decode: decodeEvent,
        handleBatch: async (batch) => void (handled += batch.length),
        committableOffset: () => (handled >= 10 ? '10' : undefined), // e.g. state saved once, covering offsets < 10
      });
      await eventually('20 handled', () => handled >= 20);
      await first.stop();

      const offsets: string[] = [];
      await subscribe({ topic, groupId, fromBeginning: true, decode: decodeEvent, handleBatch: async (b) => void offsets.push(...b.map((m) => m.offset)) });
      await eventually('the undurable rest', () => offsets.length >= 10);
      expect(offsets).toEqual(Array.from({ length: 10 }, (_, i) => String(10 + i)));
    });

    it('delivers a partition again from the offset the handler asks to resume from', async () => {
      const topic = await freshTopic(1);
      await publishEvents(topic, Array.from({ length: 10 }, (_, i) => event('k', i)));
      const handled: number[] = [];
      let resumedAt: string | undefined;
      let firstAfterResume: string | undefined;
      await subscribe<Event>({
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        decode: decodeEvent,
        handleBatch: async (batch) => {
          if (resumedAt !== undefined) firstAfterResume ??= batch[0].offset;
          if (resumedAt === undefined && batch.some((m) => m.value.seq >= 5)) {
            resumedAt = '3';
            return { resumeFrom: resumedAt }; // e.g. it reloaded state covering offsets < 3
          }
          handled.push(...batch.map((m) => m.value.seq));
        },
      });
      await eventually('offsets 3 to 9 handled after the resume', () => [3, 4, 5, 6, 7, 8, 9].every((seq) => handled.includes(seq)));
      expect(firstAfterResume).toBe('3');
      expect(handled.slice(handled.lastIndexOf(3))).toEqual([3, 4, 5, 6, 7, 8, 9]);
    });

    it('delivers a partition again from an offset on resumeFrom, outside any batch', async () => {
      const topic = await freshTopic(1);
      await publishEvents(topic, Array.from({ length: 6 }, (_, i) => event('k', i)));
      const handled: number[] = [];
      const subscription = await subscribe<Event>({ topic, groupId: uniqueName('g'), fromBeginning: true, decode: decodeEvent, handleBatch: async (b) => void handled.push(...b.map((m) => m.value.seq)) });
      await eventually('everything once', () => handled.length >= 6);
      subscription.resumeFrom!(topic, 0, '4');
      await eventually('4 and 5 again', () => handled.length >= 8);
      expect(handled).toEqual([0, 1, 2, 3, 4, 5, 4, 5]);
    });

    it('splits partitions between consumers of one group, and gives every group everything', async () => {
      const topic = await freshTopic(4);
      const groupId = uniqueName('g');
      const partitionsOf = [new Set<number>(), new Set<number>()];
      const ids: string[] = [];
      const otherGroup = new Set<string>();
      for (const member of [0, 1]) {
        await subscribe({
          topic,
          groupId,
          fromBeginning: true,
          decode: decodeEvent,
          handleBatch: async (batch) => batch.forEach((m) => (partitionsOf[member].add(m.partition), ids.push(m.value.id))),
        });
      }
      await subscribe({ topic, groupId: uniqueName('other'), fromBeginning: true, decode: decodeEvent, handleBatch: async (b) => b.forEach((m) => otherGroup.add(m.value.id)) });

      await publishEvents(topic, Array.from({ length: 80 }, (_, i) => event(`key-${i}`, i)));

      await eventually('80 in the group and 80 in the other group', () => new Set(ids).size >= 80 && otherGroup.size >= 80);
      expect(partitionsOf[0].size).toBeGreaterThan(0);
      expect(partitionsOf[1].size).toBeGreaterThan(0);
      expect([...partitionsOf[0]].filter((p) => partitionsOf[1].has(p))).toEqual([]);
      expect(partitionsOf[0].size + partitionsOf[1].size).toBe(4);
    });
  });
}

function decodeEvent(raw: RawMessage): Event {
  const parsed = JSON.parse(raw.value?.toString() ?? 'null') as Partial<Event> | null;
  if (!parsed || typeof parsed.id !== 'string' || typeof parsed.key !== 'string' || typeof parsed.seq !== 'number') {
    throw new Error('not an event: expected {id, key, seq}');
  }
  return parsed as Event;
}
