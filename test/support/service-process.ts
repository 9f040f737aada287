import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface ServiceProcess {
  child: ChildProcess;
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[];
  exited: Promise<number | null>;
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

/**
 * Service output is kept, not printed: tests are quiet. When a test (or a hook) fails, the output its services wrote
 * since the previous test is printed after it, under the service's name. The flag is set by the integration tests'
 * Jest environment (test/setup/service-logs-environment.js).
 */
const spawned: Array<{ name: string; service: ServiceProcess; shown: number }> = [];
const failedSoFar = () => ((globalThis as { __IRIS_FAILED_TESTS__?: number }).__IRIS_FAILED_TESTS__ ?? 0);
let failuresSeen = 0;

function showLogsIfFailed(): void {
  const failures = failedSoFar();
  const failed = failures > failuresSeen;
  failuresSeen = failures;
  for (const entry of spawned) {
    const fresh = entry.service.lines.slice(entry.shown);
    entry.shown = entry.service.lines.length;
    if (failed && fresh.length > 0) process.stderr.write(`\n──── ${entry.name} (pid ${entry.service.child.pid}): output during the failed test ────\n${fresh.join('\n')}\n`);
  }
}

if (typeof afterEach === 'function') {
  afterEach(showLogsIfFailed);
  afterAll(showLogsIfFailed);
}

/** Runs a compiled service (`npm run build` first) as its own process, as in production. Quiet: see showLogsIfFailed. */
export function spawnService(service: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, ['-r', './scripts/alias-loader.js', `dist/apps/${service}/src/main.js`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    waiters.forEach((wake) => wake());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const handle: ServiceProcess = {
    child,
    lines,
    exited,
    waitForLine(predicate, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const line = lines.find(predicate);
          if (line) {
            clearTimeout(timer);
            done(line);
          }
        };
        const timer = setTimeout(() => fail(new Error(`no matching line within ${timeoutMs} ms; output:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push(check);
        check();
      });
    },
  };
  spawned.push({ name: service, service: handle, shown: 0 });
  return handle;
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** SIGTERMs every service still running (and empties the list), waiting for each to exit. */
export async function stopServices(running: ServiceProcess[]): Promise<void> {
  for (const service of running.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }
}

/** Polls `<base>/health/ready` until it answers 200. */
export async function waitUntilReady(base: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`${base}/health/ready`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline) throw new Error(`${base} not ready in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
