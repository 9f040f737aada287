/**
 * Registry CLI: push agent config files to the registry and pull its versions back as files.
 *
 *   npm run registry -- push <dir|file>... [--code-ref <sha>]
 *   npm run registry -- pull <agent> [dir]
 *
 * IRIS_REGISTRY_URL (default http://127.0.0.1:3001), IRIS_TOKEN (operator for push, viewer for pull),
 * IRIS_CODE_REF (code ref for files without `code.ref`, like --code-ref).
 */
import '../../../../libs/agent-sim/src/source-aliases'; // @iris/* from a plain `node` / `ts-node` run
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { collectAgentFiles } from './agent-files';
import { describeRefusal, RegistryClient } from './registry-client';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
  cwd?: string;
}

const USAGE = `usage:
  registry push <dir|file>... [--code-ref <sha>]   register every agents/<agent>/<version>.yaml (agent = the file's directory)
  registry pull <agent> [dir]                      write each version as <dir>/<agent>/<label>.yaml (dir defaults to agents)
environment: IRIS_REGISTRY_URL (default http://127.0.0.1:3001), IRIS_TOKEN, IRIS_CODE_REF`;

/** Runs one CLI command; resolves with the exit code (0 ok, 1 something refused or failed, 2 usage). */
export async function runRegistryCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  const client = new RegistryClient({ baseUrl: io.env.IRIS_REGISTRY_URL ?? 'http://127.0.0.1:3001', token: io.env.IRIS_TOKEN });
  try {
    switch (command) {
      case 'push':
        return await push(client, args, io);
      case 'pull':
        return await pull(client, args, io);
      default:
        io.err(USAGE);
        return 2;
    }
  } catch (error) {
    io.err(`registry ${command}: ${(error as Error)?.message ?? String(error)}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`);
    return 1;
  }
}

async function push(client: RegistryClient, args: string[], io: CliIo): Promise<number> {
  const targets: string[] = [];
  let codeRef = io.env.IRIS_CODE_REF;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--code-ref') codeRef = args[++i];
    else targets.push(args[i]);
  }
  if (targets.length === 0 || codeRef === '') {
    io.err(USAGE);
    return 2;
  }
  const cwd = io.cwd ?? process.cwd();
  const counts = { created: 0, existing: 0, refused: 0 };
  for (const file of collectAgentFiles(targets.map((target) => resolve(cwd, target)))) {
    const shown = relative(cwd, file.path) || file.path;
    const response = await client.pushYaml(file.agent, file.text, codeRef);
    if (response.status === 201 || response.status === 200) {
      const outcome = response.status === 201 ? 'created' : 'existing';
      counts[outcome]++;
      const { label, versionId, bump } = response.body as { label: string; versionId: string; bump: string };
      io.out(`${outcome.padEnd(8)} ${file.agent} ${label} ${versionId}${outcome === 'created' ? ` (bump: ${bump})` : ''}  ${shown}`);
    } else {
      counts.refused++;
      io.out(`${'refused'.padEnd(8)} ${file.agent} ${shown}: ${describeRefusal(response)}`);
    }
  }
  io.out(`${counts.created} created, ${counts.existing} existing, ${counts.refused} refused`);
  return counts.refused > 0 ? 1 : 0;
}

async function pull(client: RegistryClient, args: string[], io: CliIo): Promise<number> {
  const [agent, dir = 'agents'] = args;
  if (!agent || args.length > 2) {
    io.err(USAGE);
    return 2;
  }
  const listing = await client.listVersions(agent);
  if (listing.status !== 200) {
    io.err(`pull ${agent}: ${describeRefusal(listing)}`);
    return 1;
  }
  const cwd = io.cwd ?? process.cwd();
  const target = join(resolve(cwd, dir), agent);
  mkdirSync(target, { recursive: true });
  for (const { versionId, label } of (listing.body as { versions: Array<{ versionId: string; label: string }> }).versions) {
    const file = await client.versionYaml(agent, versionId);
    if (file.status !== 200) {
      io.err(`pull ${agent} ${label}: ${describeRefusal(file)}`);
      return 1;
    }
    const path = join(target, `${label}.yaml`);
    writeFileSync(path, file.body);
    io.out(`wrote ${relative(cwd, path) || path} ${versionId}`);
  }
  return 0;
}

if (require.main === module) {
  void runRegistryCli(process.argv.slice(2), { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) }).then((code) => {
    process.exitCode = code;
  });
}
