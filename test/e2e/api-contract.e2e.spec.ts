import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import OpenAPIResponseValidator from 'openapi-response-validator';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { operationsOf, RequestGenerator, type GeneratedRequest, type OperationRef } from '../support/openapi-requests';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';

/**
 * The published contract holds: every documented operation of the registry, the metrics-aggregator, the rollout
 * controller, the kill switch and the shadow comparator is driven with valid requests generated from the served document and invalid ones derived from every rule
 * of its schemas, with admin, operator, viewer and no tokens; every response is checked by openapi-response-validator
 * (status listed, body valid against its schema). No hand-written assertion of shape.
 */

const ROOT = resolve(__dirname, '../..');
const TOKENS = { admin: 'admin-token-0123456789', operator: 'operator-token-0123456789', viewer: 'viewer-token-0123456789', none: undefined } as const;
const AUTH_TOKENS = `ada:admin:${TOKENS.admin},olga:operator:${TOKENS.operator},vera:viewer:${TOKENS.viewer}`;
const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
const SHA = '3f6c2a9d0b1e4f5a6b7c8d9e0f1a2b3c4d5e6f70';

interface Service {
  name: string;
  base: string;
  document: any;
}

interface Outcome {
  service: string;
  label: string;
  token: string;
  status: number;
  errors?: unknown;
}

const tuple = (system: string) => ({
  code: { ref: SHA },
  model: { provider: 'openai', name: 'gpt-4o-mini', params: {} },
  prompt: { system },
  policies: { maxSteps: 8, maxCostPerRequestUsd: 0.05, allowedTools: [] },
});

async function send(base: string, request: GeneratedRequest, token: string | undefined) {
  const headers: Record<string, string> = { ...request.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (request.body && 'json' in request.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.body.json);
  } else if (request.body) {
    headers['content-type'] = request.body.contentType;
    body = request.body.raw;
  }
  const response = await fetch(`${base}${request.path}`, { method: request.method, headers, body });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json');
  return { status: response.status, body: json && text ? JSON.parse(text) : text };
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

describe('every HTTP API keeps its published contract (openapi-response-validator)', () => {
  const environment = `contract-${Date.now().toString(36)}`;
  const running: ServiceProcess[] = [];
  let databaseUrl: string;
  const services: Service[] = [];

  beforeAll(async () => {
    await ensureIrisTopics();
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_contract');
    // An environment of its own: the kills the generated requests engage must not reach other tests' SDKs (the kill set
    // on iris.killswitch.v1 is per environment, and every other test routes in the default one).
    const common = { IRIS_MODE: 'kafka', IRIS_ENVIRONMENT: environment, KAFKA_BROKERS: process.env.KAFKA_BROKERS, DATABASE_URL: databaseUrl, IRIS_AUTH_TOKENS: AUTH_TOKENS, LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '6000' };
    const specific: Record<string, Record<string, string>> = {
      registry: {},
      'metrics-aggregator': { METRICS_CONSUMER_GROUP: uniqueName('aggregator'), METRICS_ROLLING_VIEWS: 'none' },
      'rollout-controller': { ROLLOUT_CONSUMER_GROUP: uniqueName('controller'), ROLLOUT_TICK_INTERVAL_MS: '1000' },
      'kill-switch': { KILL_SWITCH_EXPIRY_CHECK_MS: '1000' },
      'shadow-comparator': { SHADOW_CONSUMER_GROUP: uniqueName('shadow') },
    };
    for (const [name, env] of Object.entries(specific)) {
      const port = await freePort();
      running.push(spawnService(name, { ...common, ...env, PORT: String(port) }));
      services.push({ name, base: `http://127.0.0.1:${port}`, document: undefined });
    }
    await Promise.all(services.map((s) => waitUntilReady(s.base, 90_000)));
    for (const service of services) service.document = await (await fetch(`${service.base}/docs`)).json();
  }, 180_000);

  afterAll(async () => {
    await stopServices(running);
    if (databaseUrl) await dropDatabase(databaseUrl, adminUrl());
  });

  it('serves the documents committed in docs/openapi', () => {
    for (const service of services) expect(service.document).toEqual(JSON.parse(readFileSync(join(ROOT, 'docs/openapi', `${service.name}.json`), 'utf8')));
  });

  it('answers ≥ 2,000 generated requests with documented statuses and bodies only, never 5xx', async () => {
    const [registry, , controller, killSwitch] = services;
    // Ids the generator cannot invent: an agent with two registered versions, the first adopted by the controller,
    // and a kill of the second engaged (the kill switch learns the versions from the registry's events).
    const agent = uniqueName('contract');
    const register = (system: string) =>
      fetch(`${registry.base}/v1/agents/${agent}/versions`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body: JSON.stringify(tuple(system)) }).then((r) => r.json() as Promise<{ versionId: string }>);
    const v1 = (await register('You are a support agent.')).versionId as string;
    const v2 = (await register('You are a helpful support agent.')).versionId as string;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const adopt = await fetch(`${controller.base}/v1/agents/${agent}/rollouts`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ candidateVersionId: v1 }) });
      if (adopt.status === 201) break;
      if (Date.now() > deadline) throw new Error(`the controller did not learn ${v1}: ${adopt.status} ${await adopt.text()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const killId = 'k-contract';
    for (;;) {
      const engage = await fetch(`${killSwitch.base}/v1/kills`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ killId, scope: { agent, versionId: v2 }, reason: 'contract test', allowNoRoute: true }) });
      if (engage.status === 201) break;
      if (Date.now() > deadline) throw new Error(`the kill switch did not learn ${v2}: ${engage.status} ${await engage.text()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const hints = { agent, ref: 'latest', a: 'latest', b: 'latest', candidateVersionId: v2, versionId: v1, 'If-Match': '*', codeRef: SHA, window: '1m', environment, killId, candidate: v2 };

    const outcomes: Outcome[] = [];
    for (const service of services) {
      const generator = new RequestGenerator(service.document, hints);
      const validators = new Map<OperationRef, OpenAPIResponseValidator>();
      const check = (ref: OperationRef, request: GeneratedRequest, token: keyof typeof TOKENS) => async () => {
        const response = await send(service.base, request, TOKENS[token]);
        let validator = validators.get(ref);
        if (!validator) validators.set(ref, (validator = new OpenAPIResponseValidator({ responses: ref.operation.responses, components: service.document.components })));
        const failure = validator.validateResponse(response.status, response.body);
        const outcome: Outcome = { service: service.name, label: request.label, token, status: response.status };
        if (failure || response.status >= 500) outcome.errors = { failure, body: typeof response.body === 'string' ? response.body.slice(0, 300) : response.body };
        outcomes.push(outcome);
      };
      const tasks: Array<() => Promise<void>> = [];
      const maxBodyBytes = service.document['x-iris-max-body-bytes'] as number;
      for (const ref of operationsOf(service.document)) {
        const { valid, invalid } = generator.requests(ref);
        for (const request of valid) for (const token of Object.keys(TOKENS) as Array<keyof typeof TOKENS>) tasks.push(check(ref, request, token));
        for (const request of invalid) tasks.push(check(ref, request, 'operator'), check(ref, request, 'none'), ...(request.body ? [] : [check(ref, request, 'viewer')]));
        if (ref.operation.requestBody)
          tasks.push(check(ref, { ...valid[0], label: `${valid[0].label}, body over ${maxBodyBytes} bytes`, body: { raw: JSON.stringify({ padding: 'x'.repeat(maxBodyBytes) }), contentType: 'application/json' } }, 'operator'));
      }
      await pool(tasks, 6);
    }

    const violations = outcomes.filter((o) => o.errors);
    const byStatus = outcomes.reduce<Record<number, number>>((counts, o) => ({ ...counts, [o.status]: (counts[o.status] ?? 0) + 1 }), {});
    process.stdout.write(`api contract: ${outcomes.length} requests, statuses ${JSON.stringify(byStatus)}, ${violations.length} violations, ${outcomes.filter((o) => o.status >= 500).length} 5xx\n`);
    for (const service of services) {
      const own = outcomes.filter((o) => o.service === service.name);
      const statuses = own.reduce<Record<number, number>>((counts, o) => ({ ...counts, [o.status]: (counts[o.status] ?? 0) + 1 }), {});
      process.stdout.write(`  ${service.name}: ${own.length} requests, statuses ${JSON.stringify(statuses)}\n`);
    }
    for (const v of violations.slice(0, 40)) process.stdout.write(`  VIOLATION ${v.service} [${v.token}] ${v.label} → ${v.status}: ${JSON.stringify(v.errors).slice(0, 500)}\n`);
    expect(outcomes.length).toBeGreaterThanOrEqual(2_000);
    expect(outcomes.filter((o) => o.status >= 500)).toEqual([]);
    expect(violations).toEqual([]);
  }, 240_000);
});
