/**
 * Example: a tiny HTTP gateway in front of an agent's versions. It embeds the Iris SDK, routes every request
 * locally (no call to Iris per request) by its session and forwards it to the routed version's endpoint.
 *
 * Request headers read:  x-session-id (required), x-tenant, x-user, x-feature,
 *                        x-iris-pin (the pin of an earlier answer), x-session-started-at (epoch ms or ISO-8601)
 * Headers added (to the upstream request and to the response): x-iris-version, x-iris-route-reason,
 *                        x-iris-revision, and x-iris-pin on the response (send it back on the session's next request).
 * A session whose version terminates its sessions gets 409 with the version to start a fresh session on.
 * Sampled sessions are also mirrored to shadow versions (x-iris-shadow: 1, responses discarded).
 *
 * Run against Kafka (see docs/routing.md):
 *   KAFKA_BROKERS=127.0.0.1:9092 IRIS_AGENT=support-bot IRIS_DEFAULT_VERSION=v1 \
 *   IRIS_DEFAULT_ENDPOINT=http://127.0.0.1:8081 PORT=8080 npx ts-node --transpile-only examples/gateway/gateway.ts
 * Or without Kafka: npx ts-node --transpile-only examples/gateway/demo.ts
 */
import '../../libs/agent-sim/src/source-aliases';
import http from 'node:http';
import { IrisAgentClient, RouteDecision, stderrJsonLogger } from '../../libs/agent-sdk/src';

export interface GatewayOptions {
  client: IrisAgentClient;
  /** Upstream of a version routed without an endpoint in the table (e.g. the default before any table). */
  defaultEndpoint?: string;
  /** Largest request body forwarded. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1), nor the host of the gateway. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

export function createGateway(options: GatewayOptions): http.Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  return http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, { error: (error as Error).message }));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const sessionId = header(req, 'x-session-id');
    if (!sessionId) return reply(res, 400, { error: 'the x-session-id header is required' });
    const startedAt = header(req, 'x-session-started-at');
    const decision = options.client.route({
      sessionId,
      tenant: header(req, 'x-tenant'),
      user: header(req, 'x-user'),
      feature: header(req, 'x-feature'),
      pinnedVersionId: header(req, 'x-iris-pin'),
      sessionStartedAt: startedAt === undefined ? undefined : /^\d+$/.test(startedAt) ? Number(startedAt) : startedAt,
    });
    const routeHeaders = routingHeaders(decision);
    if (decision.versionId === null) return reply(res, 503, { error: 'no version may serve this agent (all killed)' }, routeHeaders);
    if (decision.terminated) {
      return reply(res, 409, { error: 'session terminated by its version', restartOn: decision.versionId, previousVersionId: decision.previousVersionId }, routeHeaders);
    }
    const endpoint = decision.endpoint ?? options.defaultEndpoint;
    if (!endpoint) return reply(res, 502, { error: `version ${decision.versionId} has no endpoint` }, routeHeaders);

    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) return reply(res, 413, { error: `request body over ${maxBodyBytes} bytes` }, routeHeaders);
    for (const shadow of decision.shadow) {
      if (shadow.endpoint) forward(req, body, shadow.endpoint, { ...routeHeaders, 'x-iris-shadow': '1' }).then((r) => r.resume(), () => undefined);
    }
    try {
      const upstream = await forward(req, body, endpoint, routeHeaders);
      res.writeHead(upstream.statusCode ?? 502, { ...forwardable(upstream.headers), ...routeHeaders });
      upstream.pipe(res);
    } catch (error) {
      reply(res, 502, { error: `upstream ${decision.versionId} failed: ${(error as Error).message}` }, routeHeaders);
    }
  }
}

function routingHeaders(decision: RouteDecision): Record<string, string> {
  const headers: Record<string, string> = { 'x-iris-route-reason': decision.reason, 'x-iris-revision': String(decision.revision) };
  if (decision.versionId !== null) headers['x-iris-version'] = decision.versionId;
  if (decision.pin !== undefined) headers['x-iris-pin'] = decision.pin;
  return headers;
}

function forward(req: http.IncomingMessage, body: Buffer, endpoint: string, extra: Record<string, string>): Promise<http.IncomingMessage> {
  const target = new URL(req.url ?? '/', endpoint);
  return new Promise((resolve, reject) => {
    const upstream = http.request(target, { method: req.method, headers: { ...forwardable(req.headers), ...extra, 'content-length': body.length } }, resolve);
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_FORWARDED.has(name)));
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** The whole body, or undefined when it exceeds `limit` bytes. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Configuration from the environment; a missing variable stops start-up with its name. */
async function main(): Promise<void> {
  const env = (name: string, fallback?: string): string => {
    const value = process.env[name] ?? fallback;
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const agent = env('IRIS_AGENT');
  const defaultVersionId = env('IRIS_DEFAULT_VERSION');
  const client = IrisAgentClient.forKafka({
    brokers: env('KAFKA_BROKERS'),
    agent,
    versionId: defaultVersionId,
    logger: stderrJsonLogger('iris.gateway'),
    routing: { defaultVersionId },
  });
  const ready = await client.ready({ timeoutMs: 30_000 });
  const server = createGateway({ client, defaultEndpoint: process.env.IRIS_DEFAULT_ENDPOINT });
  const port = Number(env('PORT', '8080'));
  const revision = client.routingTable()?.revision ?? null;
  server.listen(port, () => console.error(JSON.stringify({ message: 'gateway listening', port, agent, routingReady: ready, revision })));
  const stop = () => server.close(() => void client.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
