import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { createEvent, decodeMessage, encodeMessage, EventOf, exampleOf, IrisEvent, keyFor, topicFor, TOPICS } from '@iris/contracts';
import { uniqueName } from '@iris/testing';

const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

export type RoutingDecision = EventOf<'routing.decision'>;
export type RolloutAuditEvent = EventOf<'rollout.event'>;

export const OPERATOR_TOKEN = 'operator-token-0123456789';
export const VIEWER_TOKEN = 'viewer-token-0123456789';
export const AUTH_TOKENS = `olga:operator:${OPERATOR_TOKEN},vera:viewer:${VIEWER_TOKEN}`;

/** Publishes contract events to their topics, keyed as the contracts say. */
export class ContractPublisher {
  private constructor(private readonly producer: Producer) {}

  static async connect(): Promise<ContractPublisher> {
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return new ContractPublisher(producer);
  }

  async publish(...events: IrisEvent[]): Promise<void> {
    for (const event of events) {
      await this.producer.send({ topic: topicFor(event.type).name, acks: -1, messages: [{ key: keyFor(event), value: encodeMessage(event) }] });
    }
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** A registry announcement for a test version (the real registry publishes the same contract). */
export function registered(agent: string, versionId: string, label: string, endpoint?: string): IrisEvent {
  const example = exampleOf('registry.version.registered');
  return createEvent('registry.version.registered', {
    ...example.data,
    agent,
    versionId,
    label,
    endpoint: endpoint ?? `http://${agent}-${label.replace(/\./g, '-')}.agents.svc:8080/`,
    spec: { ...example.data.spec, endpoint: endpoint ?? `http://${agent}-${label.replace(/\./g, '-')}.agents.svc:8080/` },
    previousVersionId: null,
  });
}

export interface WindowFigures {
  requests: number;
  errorRate?: number;
  p99LatencyMs?: number;
  costPerRequest?: number;
  policyViolations?: number;
  liveSessions?: number;
}

/** A closed tumbling window as the metrics aggregator publishes it. */
export function snapshot(agent: string, windowStartMs: number, windowMs: number, versions: Record<string, WindowFigures>, role: 'primary' | 'shadow' = 'primary'): IrisEvent {
  const full = Object.fromEntries(
    Object.entries(versions).map(([id, f]) => [id, { errorRate: 0.01, p99LatencyMs: 800, costPerRequest: 0.01, policyViolations: 0, ...f }]),
  );
  return createEvent(
    'metrics.snapshot',
    { agent, windowStart: new Date(windowStartMs).toISOString(), windowEnd: new Date(windowStartMs + windowMs).toISOString(), versions: full, view: 'window', role },
    { occurredAt: new Date(windowStartMs + windowMs) },
  );
}

/** Follows one topic from the beginning and keeps the events of one agent, in order. */
export async function follow<T extends IrisEvent>(topic: string, agent: string, type: T['type']) {
  const consumer = kafka().consumer({ groupId: uniqueName('follow') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: T[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      let event: IrisEvent;
      try {
        event = decodeMessage(message.value);
      } catch {
        return; // other tests' poison records share the topic
      }
      if (event.type === type && (event.data as { agent?: string }).agent === agent) seen.push(event as T);
    },
  });
  return {
    seen,
    async waitFor(predicate: (events: T[]) => boolean, timeoutMs = 60_000, what = 'events'): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(seen)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(seen.map((e) => e.data), null, 1).slice(0, 4_000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return seen;
    },
    stop: () => consumer.disconnect(),
  };
}

export const followRouting = (agent: string) => follow<RoutingDecision>(TOPICS.routing.name, agent, 'routing.decision');
export const followRolloutEvents = (agent: string) => follow<RolloutAuditEvent>(TOPICS.rollout.name, agent, 'rollout.event');

/** The candidate's share of new sessions in a routing decision. */
export const weightOf = (decision: RoutingDecision, versionId: string): number =>
  decision.data.table.versions.find((v) => v.versionId === versionId)?.newSessionWeight ?? 0;
export const stateOf = (decision: RoutingDecision, versionId: string): string | undefined =>
  decision.data.table.versions.find((v) => v.versionId === versionId)?.state;

/** JSON over HTTP with a bearer token. */
export async function call(base: string, method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, etag: response.headers.get('etag') };
}
