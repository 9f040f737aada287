import { Worker } from 'node:worker_threads';
import type { KafkaConfig } from 'kafkajs';
import { cachingPartitioner } from './key-caching-partitioner';
import type { LogLevelName, MessagingLogger } from './logger';
import type { OutgoingMessage } from './message-bus';

/**
 * A kafkajs producer running in a worker thread. Building and checksumming produce requests is most of a
 * publisher's CPU; here it runs beside the caller's thread, which only hands over the messages (copied by
 * postMessage) and gets the acknowledgement back. Same producer settings as KafkaMessageBus (idempotent,
 * acks=all, one request in flight, default partitioner with a per-key cache), so partitions and ordering are
 * the same as publishing in the caller's thread.
 *
 * The worker starts on the first send; it does not keep the process alive while nothing is being sent.
 * If it dies, pending sends fail and the next send starts a new one.
 */
export class WorkerProducer {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly config: WorkerKafkaConfig,
    private readonly logger: MessagingLogger,
  ) {
    assertCloneable(config);
  }

  /** Resolves once the broker acknowledged every message (acks=all); rejects with the producer's error. */
  send(topic: string, messages: readonly OutgoingMessage[], compression: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the worker producer is closed'));
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref(); // an acknowledgement on its way keeps the process up
      this.pending.set(id, { resolve, reject });
      const request: WorkerRequest = { kind: 'send', id, topic, messages, compression };
      try {
        worker.postMessage(request); // copies the messages (structured clone) before returning
      } catch (error) {
        this.settle(id, error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Disconnects the producer (after the sends in flight) and ends the thread. Idempotent. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((done) => worker.once('exit', () => done()));
    worker.postMessage({ kind: 'close' } satisfies WorkerRequest);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs)));
    if ((await Promise.race([exited, timedOut])) === 'timeout') await worker.terminate();
    clearTimeout(timer);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(`(${producerWorkerMain.toString()})(require, ${cachingPartitioner.toString()});`, {
      eval: true,
      workerData: { kafkajsPath: require.resolve('kafkajs'), config: this.config } satisfies WorkerData,
    });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.onWorkerGone(worker, error));
    worker.on('exit', (code) => this.onWorkerGone(worker, new Error(`the producer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: WorkerReply): void {
    if (reply.kind === 'log') this.logger.log(reply.level, reply.message, reply.fields);
    else if (reply.kind === 'acked') this.settle(reply.id);
    else this.settle(reply.id, Object.assign(new Error(reply.message), { name: reply.name, retriable: reply.retriable }));
  }

  private onWorkerGone(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, error);
    if (!this.closed) this.logger.log('warn', 'kafka producer thread stopped; the next publish starts a new one', { error: error.message });
  }

  private settle(id: number, error?: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

/** The kafkajs client settings the worker builds its client from: data only (it is copied to the thread). */
export type WorkerKafkaConfig = Omit<KafkaConfig, 'logCreator' | 'logLevel' | 'retry' | 'socketFactory' | 'sasl'> & {
  sasl?: { mechanism: string; username: string; password: string };
  /** kafkajs level number: entries at or above it are forwarded to the logger. */
  logLevel: number;
  /** Most keys whose partition is cached per topic. */
  partitionCacheKeys: number;
};

/** Thrown when the connection settings hold something a thread cannot receive (e.g. a function in the TLS options). */
export class WorkerConfigNotCloneableError extends Error {
  readonly code = 'WORKER_CONFIG_NOT_CLONEABLE';
}

function assertCloneable(config: WorkerKafkaConfig): void {
  try {
    structuredClone(config);
  } catch (error) {
    throw new WorkerConfigNotCloneableError(`the Kafka settings cannot be passed to a worker thread: ${(error as Error).message}`);
  }
}

interface WorkerData {
  kafkajsPath: string;
  config: WorkerKafkaConfig;
}

type WorkerRequest = { kind: 'send'; id: number; topic: string; messages: readonly OutgoingMessage[]; compression: number } | { kind: 'close' };

type WorkerReply =
  | { kind: 'acked'; id: number }
  | { kind: 'failed'; id: number; name: string; message: string; retriable: boolean }
  | { kind: 'log'; level: LogLevelName; message: string; fields: Record<string, unknown> };

/**
 * The worker's program. It runs from its source text (`toString()`), so it must not use anything from outside
 * its body but its parameters and globals. Sends are handled one at a time in arrival order (the idempotent
 * producer allows one request in flight anyway), each answered with acked or failed.
 */
function producerWorkerMain(requireModule: NodeRequire, cachingPartitionerOf: typeof cachingPartitioner): void {
  const { parentPort, workerData } = requireModule('node:worker_threads') as typeof import('node:worker_threads');
  const { kafkajsPath, config } = workerData as WorkerData;
  const kafkajs = requireModule(kafkajsPath) as typeof import('kafkajs');
  const port = parentPort!;

  // This thread's own copy of kafkajs builds every produce request with Encoders that grow by allocating a
  // zero-filled buffer twice the size and copying. Zero-filling is wasted (an Encoder writes every byte before
  // its offset and hands out only buf[0, offset)), so growth here allocates without it: ~10 % more events/s,
  // measured A/B in one process. Only when kafkajs's Encoder looks as expected; otherwise it is left alone.
  try {
    const path = requireModule('node:path') as typeof import('node:path');
    const Encoder = requireModule(path.join(path.dirname(kafkajsPath), 'src', 'protocol', 'encoder.js')) as {
      nextPowerOfTwo?: (value: number) => number;
      prototype: { ensureAvailable?: (length: number) => void };
    };
    const nextPowerOfTwo = Encoder.nextPowerOfTwo;
    if (typeof nextPowerOfTwo === 'function' && typeof Encoder.prototype.ensureAvailable === 'function') {
      Encoder.prototype.ensureAvailable = function ensureAvailable(this: { buf: Buffer; offset: number }, length: number): void {
        if (this.offset + length <= this.buf.length) return;
        const grown = Buffer.allocUnsafe(nextPowerOfTwo(this.offset + length));
        this.buf.copy(grown, 0, 0, this.offset);
        this.buf = grown;
      };
    }
  } catch {
    // another kafkajs layout: keep its own allocation
  }
  const levelNames: Record<number, LogLevelName> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };
  const post = (reply: WorkerReply) => {
    try {
      port.postMessage(reply);
    } catch {
      if (reply.kind === 'log') port.postMessage({ ...reply, fields: { detail: String(JSON.stringify(reply.fields)) } });
    }
  };
  const kafka = new kafkajs.Kafka({
    ...config,
    sasl: config.sasl as import('kafkajs').SASLOptions | undefined,
    logLevel: config.logLevel,
    logCreator: () => (entry) => {
      const { message, timestamp: _timestamp, ...fields } = entry.log;
      post({ kind: 'log', level: levelNames[entry.level] ?? 'debug', message, fields: { namespace: entry.namespace, thread: 'producer', ...fields } });
    },
  });

  // The same partitioner as the caller-thread producer (murmur2, Java-compatible, each key's partition cached).
  const partitioner = () => cachingPartitionerOf(kafkajs.Partitioners.DefaultPartitioner(), config.partitionCacheKeys);

  let producer: Promise<import('kafkajs').Producer> | undefined;
  const connected = () => {
    producer ??= (async () => {
      const created = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: partitioner, allowAutoTopicCreation: true });
      await created.connect();
      return created;
    })().catch((error: unknown) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };

  // Buffers arrive as plain Uint8Arrays (structured clone): kafkajs would write those as text, so make them Buffers again.
  const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array && !Buffer.isBuffer(value);
  const toBuffer = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const asSent = (message: OutgoingMessage) =>
    isBytes(message.key) || isBytes(message.value)
      ? { ...message, key: isBytes(message.key) ? toBuffer(message.key) : message.key, value: isBytes(message.value) ? toBuffer(message.value) : message.value }
      : message;

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    if (request.kind === 'close') {
      queue = queue.then(async () => {
        await producer?.then((p) => p.disconnect()).catch(() => undefined);
        process.exit(0); // in a worker: ends this thread only
      });
      return;
    }
    queue = queue.then(async () => {
      try {
        const ready = await connected();
        const messages = request.messages.map(asSent) as import('kafkajs').Message[];
        await ready.send({ topic: request.topic, messages, acks: -1, compression: request.compression });
        post({ kind: 'acked', id: request.id });
      } catch (error) {
        const failure = error as { name?: string; message?: string; retriable?: boolean };
        post({ kind: 'failed', id: request.id, name: failure.name ?? 'Error', message: failure.message ?? String(error), retriable: failure.retriable === true });
      }
    });
  });
}
