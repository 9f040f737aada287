/**
 * The gateway without Kafka: an in-process bus, two fake agent versions on local ports, a routing table
 * published as the rollout controller would, and a few sessions sent through the gateway.
 * Run: npx ts-node --transpile-only examples/gateway/demo.ts
 */
import '../../libs/agent-sim/src/source-aliases';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IrisAgentClient, silentAgentLogger } from '../../libs/agent-sdk/src';
import { createEvent, encodeMessage, TOPICS } from '../../libs/contracts/src';
import { EmbeddedMessageBus, silentLogger } from '../../libs/messaging/src';
import { createGateway } from './gateway';

const AGENT = 'support-bot';

/** A fake agent version: answers with its name. */
function fakeVersion(name: string): Promise<http.Server> {
  const server = http.createServer((req, res) => req.resume().on('end', () => res.end(JSON.stringify({ answeredBy: name, path: req.url }))));
  return new Promise((ready) => server.listen(0, '127.0.0.1', () => ready(server)));
}

const urlOf = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

async function main(): Promise<void> {
  const bus = new EmbeddedMessageBus({ logger: silentLogger });
  const [v1, v2] = await Promise.all([fakeVersion('v1'), fakeVersion('v2')]);
  const publish = (revision: number, weights: [number, number]) => {
    const event = createEvent('routing.decision', {
      agent: AGENT,
      revision,
      table: {
        versions: [
          { versionId: 'v1', state: weights[0] > 0 ? 'active' : 'draining', newSessionWeight: weights[0], existingSessions: 'keep', endpoint: urlOf(v1) },
          { versionId: 'v2', state: weights[1] < 1 ? 'canary' : 'active', newSessionWeight: weights[1], existingSessions: 'keep', endpoint: urlOf(v2) },
        ],
        fallbackVersionId: 'v1',
      },
    });
    return bus.publish(TOPICS.routing.name, [{ key: AGENT, value: encodeMessage(event) }]);
  };

  await publish(1, [0.8, 0.2]);
  const client = IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1', logger: silentAgentLogger, routing: {} });
  await client.ready();
  const gateway = createGateway({ client });
  await new Promise<void>((ready) => gateway.listen(0, '127.0.0.1', ready));

  const ask = async (sessionId: string, pin?: string) => {
    const headers = { 'x-session-id': sessionId, ...(pin && { 'x-iris-pin': pin }) };
    const response = await fetch(`${urlOf(gateway)}chat`, { method: 'POST', body: '{"message":"hi"}', headers });
    const body = (await response.json()) as { answeredBy: string };
    return { answeredBy: body.answeredBy, reason: response.headers.get('x-iris-route-reason'), pin: response.headers.get('x-iris-pin') ?? undefined };
  };

  const sessions = Array.from({ length: 10 }, (_, i) => `demo-session-${i}`);
  const first = await Promise.all(sessions.map((s) => ask(s)));
  console.log('revision 1 (v1 80 %, v2 20 %):', first.map((a) => a.answeredBy).join(' '));

  await publish(2, [0, 1]); // the candidate takes every new session; v1 drains, keeping its sessions
  while (client.routingTable()?.revision !== 2) await new Promise((next) => setTimeout(next, 5));
  const again = await Promise.all(sessions.map((s, i) => ask(s, first[i].pin)));
  console.log('revision 2, same sessions:      ', again.map((a) => `${a.answeredBy}(${a.reason})`).join(' '));
  const fresh = await Promise.all(sessions.map((s) => ask(`${s}-new`)));
  console.log('revision 2, new sessions:       ', fresh.map((a) => a.answeredBy).join(' '));

  await new Promise((done) => gateway.close(done));
  await client.close();
  await bus.close();
  v1.close();
  v2.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
