import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createEvent, decodeMessage, dlqTopic, encodeMessage, EventOf, keyFor, TOPICS } from '@iris/contracts';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices } from '../support/service-process';
import { countDeadLetters, ensureIrisTopics } from '../support/telemetry-stream';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'examples/agents/support-bot');
const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

interface Instance {
  process: ServiceProcess;
  url: string;
}

async function call(instance: Instance, method: string, path: string, options: { body?: unknown; token?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? OPERATOR}` };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${instance.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

/** A valid tuple; `system` varies the content. */
function tuple(system: string, extra: Record<string, unknown> = {}) {
  return {
    code: { ref: '3f6c2a9d0b1e4f5a6b7c8d9e0f1a2b3c4d5e6f70' },
    model: { provider: 'openai', name: 'gpt-4o-mini', params: { temperature: 0.2 } },
    prompt: { system, instructions: 'Be concise.', examples: [] },
    tools: [{ name: 'search_kb', description: 'Search', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } }],
    policies: { maxSteps: 8, maxCostPerRequestUsd: 0.05, allowedTools: ['search_kb'] },
    ...extra,
  };
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 2_000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every `registry.version.registered` of `agent` on iris.registry.v1 so far (deduplicated by eventId). */
async function publishedRegistrations(agent: string, expected: number): Promise<Map<string, EventOf<'registry.version.registered'>>> {
  const consumer = kafka().consumer({ groupId: uniqueName('registry-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.registry.name, fromBeginning: true });
  const found = new Map<string, EventOf<'registry.version.registered'>>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        const event = decodeMessage(message.value);
        if (event.type === 'registry.version.registered' && event.data.agent === agent) found.set(event.eventId, event);
      } catch {
        // another test's poison record
      }
    },
  });
  try {
    await eventually(async () => found.size, (size) => size >= expected, 60_000);
    return found;
  } finally {
    await consumer.disconnect();
  }
}

async function publishRouting(records: Array<{ key: string; value: Buffer | string | null }>): Promise<void> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic: TOPICS.routing.name, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

function routingDecision(agent: string, revision: number, versions: Array<{ versionId: string; state: 'shadow' | 'canary' | 'active' | 'draining'; weight: number }>) {
  const event = createEvent('routing.decision', {
    agent,
    revision,
    table: {
      strategy: 'rainbow',
      versions: versions.map((v) => ({ versionId: v.versionId, state: v.state, newSessionWeight: v.weight, existingSessions: 'keep' as const })),
      shadowTargets: [],
      fallbackVersionId: versions[0].versionId,
      sessionPolicy: 'let-finish',
      targeting: { cohorts: [], overrides: [] },
      epochs: [],
    },
    rolloutId: `ro-${revision}`,
  });
  return { key: keyFor(event), value: encodeMessage(event) };
}

/** Runs the compiled CLI as a user would. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['dist/apps/registry/src/cli/registry-cli.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => done({ code, output }));
  });
}

describe('registry on real Kafka and PostgreSQL', () => {
  const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
  let databaseUrl: string;
  const running: ServiceProcess[] = [];

  const start = async (): Promise<Instance> => {
    const port = await freePort();
    const service = spawnService('registry', {
      IRIS_MODE: 'kafka',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      IRIS_AUTH_TOKENS: `otto:operator:${OPERATOR},vera:viewer:${VIEWER}`,
      LOG_LEVEL: 'info',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    running.push(service);
    await service.waitForLine((line) => line.includes('"msg":"listening"'));
    return { process: service, url: `http://127.0.0.1:${port}` };
  };

  const stop = async (instance: Instance) => {
    instance.process.child.kill('SIGTERM');
    expect(await instance.process.exited).toBe(0);
  };

  beforeAll(async () => {
    await ensureIrisTopics();
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_registry');
  });

  afterAll(async () => {
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('registers idempotently and under concurrency, refuses conflicts with reasons, diffs, publishes, follows routing, and rebuilds after a restart', async () => {
    const agent = uniqueName('bot');
    const a = await start();
    const b = await start(); // after the first: two instances migrating a fresh database at once collide (see report)
    const versions = `/v1/agents/${agent}/versions`;

    // Register, then the identical content again: the same version, created:false.
    const first = await call(a, 'POST', versions, { body: tuple('You are a support agent.', { notes: 'first', labels: { team: 'support' } }) });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true, agent, label: '1.0.0', bump: 'none', previousVersionId: null, registeredBy: 'otto' });
    expect(first.body.versionId).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(Object.keys(first.body.layers)).toEqual(['code', 'model', 'prompt', 'tools', 'policies']);
    const again = await call(b, 'POST', versions, { body: tuple('You are a support agent.') });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, versionId: first.body.versionId, label: '1.0.0' });

    // 10 identical registrations at once, spread over both instances: one version.
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, 'POST', versions, { body: tuple('You are a terse support agent.') })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(racing.map((r) => r.body.versionId)).size).toBe(1);
    expect(racing[0].body).toMatchObject({ label: '1.0.1', bump: 'patch' });
    // 4 different contents at once: each gets its own version and label, none is lost.
    const distinct = await Promise.all([1, 2, 3, 4].map((n) => call(n % 2 ? a : b, 'POST', versions, { body: tuple(`You are support agent number ${n}.`) })));
    expect(distinct.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(distinct.map((r) => r.body.label)).size).toBe(4);

    // Conflicts and bad input, with reasons.
    const taken = await call(a, 'POST', versions, { body: tuple('Yet another prompt.', { label: '1.0.0' }) });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'LABEL_TAKEN', conflictingVersion: { versionId: first.body.versionId, label: '1.0.0' } });
    const tooSmall = await call(a, 'POST', versions, { body: tuple('You are a support agent.', { tools: [], policies: { maxSteps: 8, maxCostPerRequestUsd: 0.05, allowedTools: [] }, label: '1.0.9' }) });
    expect(tooSmall.status).toBe(422);
    expect(tooSmall.body.code).toBe('BUMP_TOO_SMALL');
    expect(tooSmall.body.reasons).toContain('major: tool `search_kb` removed');
    const invalid = await call(a, 'POST', versions, { body: { code: { ref: 'main' }, model: { provider: 'openai' }, prompt: {}, policies: { maxSteps: 0 }, surprise: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['code.ref', 'model.name', 'prompt.system', 'policies.maxSteps', 'policies.allowedTools', 'surprise']),
    );
    // What PostgreSQL cannot store, and nesting no validator should recurse into: 400 naming the field, nothing registered.
    const nul = await call(a, 'POST', versions, { body: tuple('You are a\u0000 support agent.') });
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([{ field: 'prompt.system', reason: expect.stringContaining('NUL character') }]);
    const surrogateKey = await call(a, 'POST', versions, { body: tuple('x', { labels: { ['team\uDC00']: 'support' } }) });
    expect(surrogateKey.body.errors).toEqual([{ field: 'labels', reason: expect.stringContaining('property name') }]);
    const deep = await call(a, 'POST', versions, { body: `{"code":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, contentType: 'application/json' });
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0].reason).toMatch(/nested more than \d+ levels deep/);
    expect((await call(a, 'GET', `/v1/agents/bad%00bot/versions`, { token: VIEWER })).body.errors).toEqual([{ field: 'agent', reason: expect.stringContaining('NUL character') }]);
    expect((await call(a, 'POST', versions, { body: '{nope', contentType: 'application/json' })).status).toBe(400);
    expect((await call(a, 'POST', versions, { body: tuple('x'), token: VIEWER })).status).toBe(403);

    // Reads: detail by label, diff, YAML; the other instance agrees (it follows the log).
    const detail = await call(a, 'GET', `${versions}/1.0.0`, { token: VIEWER });
    expect(detail.body).toMatchObject({ versionId: first.body.versionId, notes: 'first', labels: { team: 'support' }, status: { state: 'registered' }, spec: { prompt: { system: 'You are a support agent.' } } });
    const diff = await call(a, 'GET', `${versions}/1.0.0/diff/${racing[0].body.versionId}`, { token: VIEWER });
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({ from: { label: '1.0.0' }, to: { label: '1.0.1' }, requiredBump: { bump: 'patch' }, diff: { changedLayers: ['prompt'] } });
    expect(diff.body.diff.prompt.system.changed).toBe(true);
    const yaml = await call(a, 'GET', `${versions}/latest/yaml`, { token: VIEWER });
    expect(yaml.body).toContain('version: "1.0.5"');
    const listing = (await call(a, 'GET', versions, { token: VIEWER })).body;
    expect(listing.versions.map((v: { label: string }) => v.label)).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5']);
    await eventually(async () => (await call(b, 'GET', versions, { token: VIEWER })).body, (body) => JSON.stringify(body) === JSON.stringify(listing));

    // Published on iris.registry.v1 (outbox), once per version, with the whole tuple.
    const published = await publishedRegistrations(agent, 6);
    expect(published.size).toBe(6);
    const event = [...published.values()].find((e) => e.data.versionId === first.body.versionId)!;
    expect(event.data).toMatchObject({ label: '1.0.0', digest: first.body.digest, model: 'openai/gpt-4o-mini', registeredBy: 'otto', notes: 'first', spec: { prompt: { system: 'You are a support agent.' } } });

    // Status follows routing.decision; redeliveries and older revisions are ignored; poison goes to the DLQ.
    const [v1, v2] = [first.body.versionId, racing[0].body.versionId];
    await publishRouting([
      routingDecision(agent, 3, [{ versionId: v1, state: 'active', weight: 0.9 }, { versionId: v2, state: 'canary', weight: 0.1 }]),
      routingDecision(agent, 2, [{ versionId: v1, state: 'draining', weight: 0 }, { versionId: v2, state: 'active', weight: 1 }]),
      { key: `poison-${agent}`, value: '{not json' },
    ]);
    const statusOf = async (instance: Instance, ref: string) => (await call(instance, 'GET', `${versions}/${ref}`, { token: VIEWER })).body.status;
    for (const instance of [a, b]) {
      expect(await eventually(() => statusOf(instance, v2), (s) => s.state === 'canary')).toMatchObject({ revision: 3, newSessionWeight: 0.1, rolloutId: 'ro-3' });
    }
    expect((await statusOf(a, v1)).state).toBe('active');
    const deadLetters = await countDeadLetters(dlqTopic(TOPICS.routing.name), `poison-${agent}`, 1);
    expect(deadLetters[0]['x-iris-error-kind']).toBe('invalid');
    await publishRouting([routingDecision(agent, 4, [{ versionId: v2, state: 'active', weight: 1 }, { versionId: v1, state: 'draining', weight: 0 }])]);
    await eventually(() => statusOf(a, v1), (s) => s.state === 'draining');
    expect((await statusOf(a, v2)).state).toBe('active');
    expect((await statusOf(a, '1.0.2')).state).toBe('registered');

    // Restart: a new instance rebuilds the same registry from the log, and the states from the compacted topic.
    await Promise.all([stop(a), stop(b)]);
    const c = await start();
    const rebuilt = await eventually(
      async () => (await call(c, 'GET', versions, { token: VIEWER })).body,
      (body) => body.versions?.[1]?.status?.state === 'active',
    );
    const withoutStatus = (body: { versions: Array<Record<string, unknown>> }) => body.versions.map(({ status: _status, ...rest }) => rest);
    expect(withoutStatus(rebuilt)).toEqual(withoutStatus(listing));
    expect(rebuilt.versions[0].status.state).toBe('draining');
    expect((await call(c, 'GET', '/v1/agents', { token: VIEWER })).body.agents).toContainEqual({ agent, versions: 6, latest: { versionId: listing.versions[5].versionId, label: '1.0.5', registeredAt: listing.versions[5].registeredAt } });
    // Still idempotent after the restart.
    expect((await call(c, 'POST', versions, { body: tuple('You are a support agent.') })).body).toMatchObject({ created: false, versionId: v1 });
  }, 240_000);

  it('CLI: push registers every agents/<agent>/<version>.yaml; pull writes them back; the pulled files push as the same versions', async () => {
    const registry = await start();
    const agent = uniqueName('support-bot');
    const work = mkdtempSync(join(tmpdir(), 'iris-registry-cli-'));
    try {
      cpSync(EXAMPLES, join(work, 'agents', agent), { recursive: true });
      const env = { IRIS_REGISTRY_URL: registry.url, IRIS_TOKEN: OPERATOR };
      const pushed = await cli(['push', join(work, 'agents')], env);
      expect(pushed.code).toBe(0);
      const created = [...pushed.output.matchAll(/^created +(\S+) (\S+) (sha256:[0-9a-f]{32})/gm)].map((m) => [m[1], m[2], m[3]]);
      expect(created.map(([name, label]) => [name, label])).toEqual([
        [agent, '1.0.0'],
        [agent, '1.1.0'],
        [agent, '2.0.0'],
      ]);
      expect(pushed.output).toContain('3 created, 0 existing, 0 refused');

      const pulled = await cli(['pull', agent, join(work, 'pulled')], { ...env, IRIS_TOKEN: VIEWER });
      expect(pulled.code).toBe(0);
      expect(readdirSync(join(work, 'pulled', agent)).sort()).toEqual(['1.0.0.yaml', '1.1.0.yaml', '2.0.0.yaml']);
      expect(readFileSync(join(work, 'pulled', agent, '1.1.0.yaml'), 'utf8')).toContain('ticket: SUP-412');

      const repushed = await cli(['push', join(work, 'pulled')], env);
      expect(repushed.code).toBe(0);
      const existing = [...repushed.output.matchAll(/^existing +(\S+) (\S+) (sha256:[0-9a-f]{32})/gm)].map((m) => [m[1], m[2], m[3]]);
      expect(existing).toEqual(created);

      // A refused file is reported and makes the exit code 1.
      const refused = await cli(['push', join(work, 'pulled', agent, '1.0.0.yaml')], { ...env, IRIS_TOKEN: VIEWER });
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/^refused .*403/m);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
