import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Launches a real single-node KRaft Kafka broker from Maven Central jars (no Docker):
 * Maven resolves the classpath once (cached by pom hash), then `java kafka.Kafka` runs it.
 */

export interface RunningKafkaBroker {
  brokers: string;
  stop(): Promise<void>;
  /** Stops the broker process but keeps its ports and data, so restart() brings the same broker back (outage tests). */
  halt(): Promise<void>;
  /** Starts a halted broker again on the same ports and data; resolves once it is ready. No-op while running. */
  restart(): Promise<void>;
}

export interface KafkaBrokerOptions {
  /** Repository root holding deploy/kafka/pom.xml; default: found upwards from this file. */
  rootDir?: string;
  /** How long to wait for the broker to accept a topic creation. Default 120 s. */
  readyTimeoutMs?: number;
  /** Whole-start attempts before giving up. Default 3. */
  attempts?: number;
  /** Progress lines (e.g. console.error); silent by default. */
  log?: (line: string) => void;
}

export class KafkaBrokerStartError extends Error {
  readonly code = 'KAFKA_BROKER_START_FAILED';
  constructor(message: string, readonly logTail = '') {
    super(logTail ? `${message}\n--- broker log tail ---\n${logTail}` : message);
    this.name = 'KafkaBrokerStartError';
  }
}

const execFileAsync = promisify(execFile);
const STOP_GRACE_MS = 20_000;

export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<RunningKafkaBroker> {
  const attempts = options.attempts ?? 3;
  const rootDir = options.rootDir ?? findRootDir();
  const classpath = await resolveClasspath(rootDir, options.log);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(classpath, options);
    } catch (error) {
      lastError = error;
      options.log?.(`kafka broker start attempt ${attempt}/${attempts} failed: ${(error as Error).message}`);
    }
  }
  throw lastError instanceof Error ? lastError : new KafkaBrokerStartError(String(lastError));
}

function findRootDir(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'deploy/kafka/pom.xml'))) return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new KafkaBrokerStartError('deploy/kafka/pom.xml not found above ' + __dirname);
    dir = parent;
  }
}

/** Runs Maven only when the pom changed since the cached classpath was written. */
async function resolveClasspath(rootDir: string, log?: (line: string) => void): Promise<string> {
  const pom = join(rootDir, 'deploy/kafka/pom.xml');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const cacheDir = join(rootDir, '.cache/kafka');
  const cpFile = join(cacheDir, `cp-${hash}.txt`);
  if (!existsSync(cpFile)) {
    mkdirSync(cacheDir, { recursive: true });
    log?.('resolving the Kafka classpath with Maven…');
    const tmpFile = `${cpFile}.${process.pid}.tmp`;
    try {
      await execFileAsync('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${tmpFile}`, '-f', pom], {
        maxBuffer: 16 * 1024 * 1024,
      });
      writeFileSync(cpFile, readFileSync(tmpFile)); // publish atomically enough for parallel runs
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new KafkaBrokerStartError(`maven classpath resolution failed: ${e.message}`, tail(`${e.stdout ?? ''}${e.stderr ?? ''}`));
    } finally {
      rmSync(tmpFile, { force: true });
    }
  }
  const classpath = readFileSync(cpFile, 'utf8').trim();
  if (!classpath) throw new KafkaBrokerStartError(`empty classpath in ${cpFile}`);
  return classpath;
}

async function startOnce(classpath: string, options: KafkaBrokerOptions): Promise<RunningKafkaBroker> {
  const workDir = mkdtempSync(join(tmpdir(), 'iris-kafka-'));
  const logFile = join(workDir, 'broker.log');
  const [port, controllerPort] = await freePorts(2);
  const brokers = `127.0.0.1:${port}`;
  const log4jFile = join(workDir, 'log4j2.properties');
  const serverFile = join(workDir, 'server.properties');
  writeFileSync(log4jFile, log4jProperties());
  writeFileSync(serverFile, serverProperties(workDir, port, controllerPort));

  let broker: ChildProcess | undefined;
  try {
    const clusterId = (await java(classpath, ['kafka.tools.StorageTool', 'random-uuid'])).trim();
    await java(classpath, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverFile, '--ignore-formatted']);

    const launch = (): ChildProcess => {
      const out = openSync(logFile, 'a');
      const child = spawn(
        'java',
        ['-Xms256m', '-Xmx512m', '-cp', classpath, `-Dlog4j2.configurationFile=${log4jFile}`, 'kafka.Kafka', serverFile],
        { stdio: ['ignore', out, out] },
      );
      closeSync(out);
      return child;
    };
    broker = launch();
    let running = trackBroker(broker, workDir);
    await waitUntilReady(brokers, broker, options.readyTimeoutMs ?? 120_000);
    options.log?.(`kafka broker ready at ${brokers} (pid ${broker.pid})`);
    let halted = false;
    let stopped = false;
    return {
      brokers,
      stop: async () => {
        stopped = true;
        if (halted) rmSync(workDir, { recursive: true, force: true });
        else await running.stop();
      },
      halt: async () => {
        if (halted || stopped) return;
        halted = true;
        await running.halt();
      },
      restart: async () => {
        if (!halted || stopped) return;
        const child = launch();
        running = trackBroker(child, workDir);
        halted = false;
        await waitUntilReady(brokers, child, options.readyTimeoutMs ?? 120_000);
        options.log?.(`kafka broker restarted at ${brokers} (pid ${child.pid})`);
      },
    };
  } catch (error) {
    const logTail = existsSync(logFile) ? tail(readFileSync(logFile, 'utf8')) : '';
    if (broker) await stopProcess(broker);
    rmSync(workDir, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    throw new KafkaBrokerStartError(`kafka broker at ${brokers} did not start: ${message}`, logTail);
  }
}

/** Polls until kafkajs admin can create a topic (proves controller + broker + metadata are up). */
async function waitUntilReady(brokers: string, broker: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (broker.exitCode !== null || broker.signalCode !== null) {
      throw new Error(`broker process exited early (code ${broker.exitCode}, signal ${broker.signalCode})`);
    }
    const kafka = new Kafka({
      clientId: 'iris-broker-probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: '__iris_ready_probe', numPartitions: 1 }], waitForLeaders: true, timeout: 5000 });
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await delay(250);
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? 'unknown'}`);
}

// ---- process lifetime: a broker never outlives the process that started it ----

const liveBrokers = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackBroker(broker: ChildProcess, workDir: string): { stop(): Promise<void>; halt(): Promise<void> } {
  liveBrokers.add(broker);
  installExitHook();
  const watchdog = spawnWatchdog(broker.pid!, workDir);
  let stopping: Promise<void> | undefined;
  /** Ends the process (the watchdog first, as it would delete workDir once the broker is gone). */
  const halt = () =>
    (stopping ??= (async () => {
      watchdog?.kill('SIGKILL');
      await stopProcess(broker);
      liveBrokers.delete(broker);
    })());
  return {
    halt,
    stop: async () => {
      await halt();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only reliable option here.
  process.on('exit', () => {
    for (const broker of liveBrokers) broker.kill('SIGKILL');
  });
}

/** Covers the parent being SIGKILLed (no exit hook runs): a detached shell kills the broker when the parent disappears. */
function spawnWatchdog(brokerPid: number, workDir: string): ChildProcess | undefined {
  const alive = (pid: number) => `kill -0 ${pid} 2>/dev/null`;
  const script = [
    `while ${alive(process.pid)} && ${alive(brokerPid)}; do sleep 2; done`,
    `kill -TERM ${brokerPid} 2>/dev/null`,
    `i=0; while ${alive(brokerPid)} && [ $i -lt ${STOP_GRACE_MS / 1000} ]; do sleep 1; i=$((i+1)); done`,
    `kill -KILL ${brokerPid} 2>/dev/null`,
    `rm -rf '${workDir}'`,
  ].join('; ');
  try {
    const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

// ---- helpers ----

async function java(classpath: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('java', ['-cp', classpath, ...args], { maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${args.slice(0, 2).join(' ')} failed: ${e.message}\n${tail(`${e.stdout ?? ''}${e.stderr ?? ''}`)}`);
  }
}

/** Binds port 0 on loopback to let the OS pick free ports (all held at once so they differ), then releases them. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((done, fail) => {
      const server = createServer();
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => done(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

function serverProperties(workDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(workDir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    '',
  ].join('\n');
}

function log4jProperties(): string {
  return [
    'status = warn',
    'appender.console.type = Console',
    'appender.console.name = STDOUT',
    'appender.console.layout.type = PatternLayout',
    'appender.console.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = WARN',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    '',
  ].join('\n');
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
