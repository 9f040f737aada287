import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { getJson } from '../support/service-process';

const ROOT = resolve(__dirname, '../..');
const PORTS = { registry: 3101, 'shadow-comparator': 3102, 'metrics-aggregator': 3103, 'rollout-controller': 3104, 'kill-switch': 3105 };

describe('npm start: the embedded default (no Kafka, no database server)', () => {
  it('runs all five services in one process, each ready, with bearer-token auth, shows the demo windows, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['-r', './scripts/alias-loader.js', 'dist/scripts/embedded.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, IRIS_PORT_BASE: '3100', IRIS_AUTH_TOKENS: 'vera:viewer:viewer-token-0123456789,ada:admin:admin-token-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`not started in time:\n${output}`)), 60_000);
        child.stdout.on('data', () => output.includes('Press Ctrl-C') && (clearTimeout(timer), done()));
      });
      for (const [service, port] of Object.entries(PORTS)) {
        expect(output).toContain(`http://127.0.0.1:${port}`);
        expect(await getJson(`http://127.0.0.1:${port}/health/ready`)).toEqual({ status: 200, body: { ready: true, checks: { database: { ok: true }, bus: { ok: true }, consumers: { ok: true }, outbox: { ok: true }, telemetry: { ok: true } } } });
        expect((await getJson(`http://127.0.0.1:${port}/v1/info`)).status).toBe(401);
        const info = await fetch(`http://127.0.0.1:${port}/v1/info`, { headers: { authorization: 'Bearer viewer-token-0123456789' } });
        expect(await info.json()).toMatchObject({ service, mode: 'embedded', environment: 'production', actor: { name: 'vera', role: 'viewer' } });
      }
      const forbidden = await fetch(`http://127.0.0.1:3101/v1/config`, { headers: { authorization: 'Bearer viewer-token-0123456789' } });
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as { message: string }).message).toMatch(/needs "admin"/);
      // The demo: versions registered, a routed simulated agent's telemetry aggregated into windows, a rollout advancing.
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`the demo did not get through its first stage:\n${output}`)), 90_000);
        const check = () =>
          /registered support-bot 1\.1\.0 = sha256:[0-9a-f]{32} \(minor change\)/.test(output) &&
          /support-bot\s+1\.0\.0: \d+ req, errors [\d.]+%, p99 [\d,]+ ms/.test(output) &&
          /routing r\d+: 1\.0\.0 active 90% \| 1\.1\.0 canary 10%/.test(output) &&
          (clearTimeout(timer), done());
        child.stdout.on('data', check);
        check();
      });
      const config = await fetch(`http://127.0.0.1:3101/v1/config`, { headers: { authorization: 'Bearer admin-token-0123456789' } });
      expect(config.status).toBe(200);
      expect(JSON.stringify(await config.json())).not.toContain('admin-token-0123456789');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
