/**
 * Kill-switch CLI: engage, release and list kills, name an agent's fallback.
 *
 *   npm run kill-switch -- kill --agent support-bot --version v2 [--tenant acme] [--feature refunds] --reason "…" [--ttl 30m]
 *   npm run kill-switch -- unkill <killId> [--reason "…"]
 *   npm run kill-switch -- list [--agent support-bot]
 *   npm run kill-switch -- fallback <agent> <versionId | --clear>
 *
 * Every command takes --json (the API's answer as it is). IRIS_KILL_SWITCH_URL (default http://127.0.0.1:3005),
 * IRIS_TOKEN (operator to act, viewer to list).
 */
import '../../../../libs/agent-sim/src/source-aliases'; // @iris/* from a plain `node` / `ts-node` run
import { parseArgs } from 'node:util';
import { killScopeKind, type KillData } from '@iris/contracts';
import { describeRefusal, KillSwitchClient, type ApiResponse } from './kill-switch-client';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage:
  kill-switch kill [--agent A] [--version V] [--tenant T] [--feature F] --reason R [--ttl 30m | --expires-at ISO]
                   [--terminate] [--allow-no-route] [--id K]     engage a kill (no scope field: global)
  kill-switch unkill <killId> [--reason R]                        release a kill
  kill-switch list [--agent A]                                    kills in force (of the environment, or for an agent)
  kill-switch fallback <agent> <versionId | --clear>              the agent's safe fallback version
every command: --json (print the API's answer)
environment: IRIS_KILL_SWITCH_URL (default http://127.0.0.1:3005), IRIS_TOKEN`;

class UsageError extends Error {}

/** Runs one CLI command; resolves with the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runKillSwitchCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  const client = new KillSwitchClient({ baseUrl: io.env.IRIS_KILL_SWITCH_URL ?? 'http://127.0.0.1:3005', token: io.env.IRIS_TOKEN });
  try {
    switch (command) {
      case 'kill':
        return await kill(client, args, io);
      case 'unkill':
        return await unkill(client, args, io);
      case 'list':
        return await list(client, args, io);
      case 'fallback':
        return await fallback(client, args, io);
      default:
        throw new UsageError(command === undefined ? 'no command' : `unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kill-switch: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    io.err(`kill-switch ${command}: ${(error as Error)?.message ?? String(error)}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`);
    return 1;
  }
}

async function kill(client: KillSwitchClient, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      version: { type: 'string' },
      tenant: { type: 'string' },
      feature: { type: 'string' },
      reason: { type: 'string' },
      ttl: { type: 'string' },
      'expires-at': { type: 'string' },
      terminate: { type: 'boolean' },
      'allow-no-route': { type: 'boolean' },
      id: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  if (!values.reason) throw new UsageError('--reason is required');
  const scope = {
    ...(values.agent !== undefined && { agent: values.agent }),
    ...(values.version !== undefined && { versionId: values.version }),
    ...(values.tenant !== undefined && { tenant: values.tenant }),
    ...(values.feature !== undefined && { feature: values.feature }),
  };
  const body = {
    scope,
    reason: values.reason,
    ...(values.id !== undefined && { killId: values.id }),
    ...(values.ttl !== undefined && { ttlMs: parseDuration(values.ttl) }),
    ...(values['expires-at'] !== undefined && { expiresAt: values['expires-at'] }),
    ...(values.terminate && { onKill: 'terminate' }),
    ...(values['allow-no-route'] && { allowNoRoute: true }),
  };
  const response = await client.kill(body);
  return report(response, 201, values.json, io, () => {
    const k = response.body.kill as KillData | null;
    if (k) io.out(`engaged ${k.killId} (${killScopeKind(k.scope)} ${describeScope(k.scope)})${k.expiresAt ? `, until ${k.expiresAt}` : ''}, sessions ${k.onKill === 'terminate' ? 'ended' : 'moved'}`);
    else io.out('already engaged with this command id');
    inForce(response.body, io);
  });
}

async function unkill(client: KillSwitchClient, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { reason: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('unkill takes one kill id');
  const response = await client.release(positionals[0]!, values.reason);
  return report(response, 200, values.json, io, () => {
    io.out(`released ${positionals[0]}`);
    inForce(response.body, io);
  });
}

async function list(client: KillSwitchClient, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { agent: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  const response = values.agent !== undefined ? await client.agentKills(values.agent) : await client.list();
  return report(response, 200, values.json, io, () => {
    const body = response.body as { revision: number; kills: KillData[]; environment: string; fallback?: { effective: string | null; source: string | null }; fallbacks?: Record<string, string> };
    io.out(`${values.agent ?? body.environment}: ${body.kills.length} kill${body.kills.length === 1 ? '' : 's'} in force (revision ${body.revision})`);
    for (const k of body.kills) io.out(`  ${k.killId}  ${killScopeKind(k.scope).padEnd(22)} ${describeScope(k.scope).padEnd(40)} ${k.expiresAt ? `until ${k.expiresAt}` : 'until released'}  ${k.actor}: ${k.reason}`);
    if (body.fallback) io.out(`  fallback: ${body.fallback.effective ?? 'none'}${body.fallback.source ? ` (${body.fallback.source})` : ''}`);
    for (const [agent, versionId] of Object.entries(body.fallbacks ?? {})) io.out(`  fallback of ${agent}: ${versionId}`);
  });
}

async function fallback(client: KillSwitchClient, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { clear: { type: 'boolean' }, json: { type: 'boolean' } } });
  const [agent, versionId] = positionals;
  if (!agent || positionals.length > 2 || (versionId === undefined) === !values.clear) throw new UsageError('fallback takes an agent and a version id (or --clear)');
  const response = await client.setFallback(agent, values.clear ? null : versionId!);
  return report(response, 200, values.json, io, () => {
    io.out(values.clear ? `fallback of ${agent} cleared` : `fallback of ${agent}: ${versionId}`);
    inForce(response.body, io);
  });
}

function report(response: ApiResponse, expected: number, json: boolean | undefined, io: CliIo, human: () => void): number {
  const ok = response.status === expected || response.status === 200;
  if (json) {
    (ok ? io.out : io.err)(JSON.stringify(response.body, null, 2));
    return ok ? 0 : 1;
  }
  if (!ok) {
    io.err(describeRefusal(response));
    for (const s of (response.body?.stranded as Array<{ agent: string; tenant?: string; feature?: string }> | undefined) ?? []) {
      io.err(`  would strand ${s.agent} (tenant ${s.tenant ?? 'any'}, feature ${s.feature ?? 'any'}); --allow-no-route to insist`);
    }
    return 1;
  }
  human();
  return 0;
}

/** The kill set now in force, as every answer states it. */
function inForce(body: { killSet?: { revision: number; kills: unknown[] }; agent?: { agent: string; kills: unknown[]; fallback: { effective: string | null; source: string | null } } }, io: CliIo): void {
  if (body.agent) io.out(`${body.agent.agent}: ${body.agent.kills.length} kill(s) in force, killed traffic goes to ${body.agent.fallback.effective ?? 'nowhere'}${body.agent.fallback.source ? ` (${body.agent.fallback.source})` : ''}`);
  if (body.killSet) io.out(`environment: ${body.killSet.kills.length} kill(s) in force, revision ${body.killSet.revision}`);
}

function describeScope(scope: KillData['scope']): string {
  const parts = Object.entries(scope).map(([key, value]) => `${key === 'versionId' ? 'version' : key}=${value}`);
  return parts.length === 0 ? 'everything' : parts.join(' ');
}

/** `90s`, `30m`, `2h`, `1d` or milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new UsageError(`--ttl ${text}: use 90s, 30m, 2h, 1d or milliseconds`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  return Number(match[1]) * unit;
}

if (require.main === module) {
  void runKillSwitchCli(process.argv.slice(2), { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) }).then((code) => {
    process.exitCode = code;
  });
}
