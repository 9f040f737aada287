/**
 * One SDK instance of the kill-propagation benchmark, in its own process: follows the routing tables and the kill set
 * like any agent, and on every kill-set change asks route() about each new kill's slice (a session pinned on the killed
 * version, in the kill's tenant). When route() answers `killed` with that kill id, it reports the kill and the instant
 * (epoch ms with sub-ms precision) to the parent over IPC.
 * Env: BENCH_BROKERS, BENCH_AGENT, BENCH_ENVIRONMENT, BENCH_INSTANCE.
 */
import { performance } from 'node:perf_hooks';
import { IrisAgentClient } from '../libs/agent-sdk/src';

const wallNow = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const agent = process.env.BENCH_AGENT!;
  const client = IrisAgentClient.forKafka({
    brokers: process.env.BENCH_BROKERS!,
    agent,
    versionId: 'v1',
    environment: process.env.BENCH_ENVIRONMENT!,
    logger: { log: () => undefined },
    routing: { settleMs: 300 },
  });
  const reported = new Set<string>();
  let session = 0;
  client.onKillSetChange((current) => {
    for (const kill of current.data.kills) {
      if (reported.has(kill.killId)) continue;
      const decision = client.route({ sessionId: `probe-${session++}`, tenant: kill.scope.tenant, pinnedVersionId: 'v2' });
      if (decision.reason === 'killed' && decision.killId === kill.killId) {
        reported.add(kill.killId);
        process.send!({ kind: 'applied', killId: kill.killId, at: wallNow() });
      }
    }
  });
  const ready = await client.ready({ timeoutMs: 60_000 });
  await new Promise<void>((done) => {
    const check = () => (client.routingTable()?.revision ? done() : setTimeout(check, 20));
    check();
  });
  process.send!({ kind: 'ready', ready, instance: process.env.BENCH_INSTANCE });
  process.on('message', (message: { kind: string }) => {
    if (message.kind === 'stop') void client.close({ timeoutMs: 1_000 }).then(() => process.exit(0));
  });
}

void main().catch((error: unknown) => {
  process.stderr.write(`kill-propagation agent failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
