/**
 * `npm start`: all five Iris services in one process on the embedded default —
 * the in-process message bus and embedded PostgreSQL (PGlite). No Kafka, no database server.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { loadConfig, SERVICE_NAMES } from '@iris/config';
import { JsonLogger } from '@iris/observability';
import { closeOnSignals, createInfrastructure, listeningUrl, ServiceDefinition, startService } from '@iris/runtime';
import { RegistryService } from '../apps/registry/src/registry.service';
import { ShadowComparatorService } from '../apps/shadow-comparator/src/shadow-comparator.service';
import { MetricsAggregatorService } from '../apps/metrics-aggregator/src/metrics-aggregator.service';
import { RolloutControllerService } from '../apps/rollout-controller/src/rollout-controller.service';
import { KillSwitchService } from '../apps/kill-switch/src/kill-switch.service';
import { startDemo } from './embedded-demo';

const SERVICES: ServiceDefinition[] = [RegistryService, ShadowComparatorService, MetricsAggregatorService, RolloutControllerService, KillSwitchService];

async function main(): Promise<void> {
  const demo = (process.env.IRIS_DEMO ?? 'on') !== 'off';
  if (demo) {
    // Short windows so the demo shows figures within seconds (override with the usual variables).
    process.env.METRICS_WINDOW_MS ??= '5000';
    process.env.METRICS_ALLOWED_LATENESS_MS ??= '2000';
    process.env.METRICS_IDLE_PARTITION_MS ??= '2000';
  }
  const env: NodeJS.ProcessEnv = { ...process.env, IRIS_MODE: 'embedded' };
  // The demo acts through the HTTP APIs like an operator would, with a token of its own.
  const demoToken = `iris-demo-${randomBytes(16).toString('hex')}`;
  if (demo) env.IRIS_AUTH_TOKENS = [env.IRIS_AUTH_TOKENS, `iris-demo:operator:${demoToken}`].filter(Boolean).join(',');
  const logLevel = (env.LOG_LEVEL ?? 'warn') as 'warn';
  // Each service gets its own port: its default (3001–3005), or IRIS_PORT_BASE + 1…5.
  const portBase = env.IRIS_PORT_BASE === undefined ? undefined : Number(env.IRIS_PORT_BASE);
  const logger = new JsonLogger('iris', logLevel);
  const sharedConfig = loadConfig('registry', env);
  const infrastructure = await createInfrastructure(sharedConfig, logger, { migrations: SERVICES.flatMap((s) => s.migrations ?? []) });

  const apps: Array<{ name: string; app: INestApplication }> = [];
  for (const definition of SERVICES) {
    const port = portBase === undefined ? undefined : String(portBase + SERVICE_NAMES.indexOf(definition.name) + 1);
    const config = loadConfig(definition.name, { ...env, PORT: port });
    const serviceLogger = new JsonLogger(definition.name, logLevel);
    apps.push({ name: definition.name, app: await startService(definition, config, infrastructure, serviceLogger) });
  }

  const width = Math.max(...SERVICE_NAMES.map((n) => n.length));
  process.stdout.write(`\nIris is running on the embedded default (in-process bus + PGlite${sharedConfig.embeddedDataDir ? ` in ${sharedConfig.embeddedDataDir}` : ', in memory'}).\n\n`);
  for (const { name, app } of apps) {
    const url = listeningUrl(app);
    process.stdout.write(`  ${name.padEnd(width)}  ${url}   (health: ${url}/health/ready)\n`);
  }
  if (demo) {
    process.stdout.write('\nDemo (IRIS_DEMO=off to disable): the support-bot versions of examples/agents are registered; a simulated agent\n');
    process.stdout.write('routes every session with the SDK and reports through it; 1.1.0 is rolled out stage by stage on the aggregator\'s\n');
    process.stdout.write('5-second windows, then 2.0.0 (a bad candidate) is rolled back automatically. Windows, routing tables, decisions:\n\n');
  }
  const url = (name: string) => listeningUrl(apps.find((a) => a.name === name)!.app);
  const stopDemo = demo ? await startDemo(infrastructure.bus, { registry: url('registry'), rolloutController: url('rollout-controller'), token: demoToken }, (line) => process.stdout.write(line)) : undefined;
  process.stdout.write('\nPress Ctrl-C to stop.\n');

  closeOnSignals(logger, sharedConfig.shutdownTimeoutMs, async () => {
    await stopDemo?.();
    for (const { app } of apps.reverse()) await app.close();
    await infrastructure.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`Iris failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
