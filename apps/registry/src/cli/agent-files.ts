import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { compareSemver, parseYaml, tryParseSemver } from '../domain';
import { isJsonObject } from '../domain/json';

/** One `agents/<agent>/<version>.yaml` file: the agent is the name of its directory. */
export interface AgentFile {
  path: string;
  agent: string;
  text: string;
  /** The label the file asks for (`version:`, else a semver file name), used to push in label order. */
  label?: string;
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Every YAML file under the given files and directories (recursively), grouped by agent, each agent's files in label order. */
export function collectAgentFiles(targets: string[]): AgentFile[] {
  const paths = targets.flatMap((target) => walk(resolve(target)));
  const files = [...new Set(paths)].map(readAgentFile);
  return files.sort(pushOrder);
}

function walk(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return walk(child);
      return YAML_EXTENSIONS.has(extname(entry.name).toLowerCase()) ? [child] : [];
    });
}

function readAgentFile(path: string): AgentFile {
  const text = readFileSync(path, 'utf8');
  const label = labelOf(text) ?? (tryParseSemver(basename(path, extname(path))) ? basename(path, extname(path)) : undefined);
  return { path, agent: basename(dirname(path)), text, ...(label !== undefined && { label }) };
}

/** The file's `version:` when it is a semantic version; undefined when absent or unreadable (the registry will say why). */
function labelOf(text: string): string | undefined {
  try {
    const document = parseYaml(text);
    const version = isJsonObject(document) ? document.version : undefined;
    const label = typeof version === 'number' ? String(version) : version;
    return typeof label === 'string' && tryParseSemver(label) ? label : undefined;
  } catch {
    return undefined;
  }
}

/** By agent; within an agent labelled files in semver order (labels must grow), then unlabelled ones by name. */
function pushOrder(a: AgentFile, b: AgentFile): number {
  if (a.agent !== b.agent) return a.agent < b.agent ? -1 : 1;
  if (a.label !== undefined && b.label !== undefined) return compareSemver(a.label, b.label) || a.path.localeCompare(b.path);
  if (a.label !== undefined || b.label !== undefined) return a.label !== undefined ? -1 : 1;
  return a.path.localeCompare(b.path, undefined, { numeric: true });
}
