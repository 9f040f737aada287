import { parseAgentVersion, safeParseAgentVersion, type AgentVersionSpec } from './agent-version.schema';
import { toContent } from './content';
import { InvalidAgentVersionError, type AgentVersionIssue } from './errors';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { parseYaml } from '@iris/contracts';
import { toYaml } from './yaml-writer';

/**
 * Agent config files (`agents/<agent>/<version>.yaml`), as in the seed example:
 *
 *   version: "v1.3.2"            # optional requested label (`v` tolerated)
 *   code: { ref: <git sha> }     # optional when the reader supplies `codeRef`
 *   endpoint: https://…          # optional
 *   model:                       # params inline (seed style) or under `params:`
 *     provider: "openai"
 *     name: "gpt-4"
 *     temperature: 0.7
 *   prompt: { system, instructions?, examples? }
 *   tools: [ { name, description?, enabled?, parameters? } ]
 *   policies:                    # snake_case (seed) or camelCase keys
 *     max_steps: 10
 *     max_cost_per_request: 1.00 # USD; `max_cost_per_request_usd` also accepted
 *     allowed_tools: [...]
 *
 * Issue paths name the key as written in the file (`policies.max_steps`, `model.temperature`).
 */
export interface ParseYamlOptions {
  /** Commit the file was read at; used when the file has no `code.ref`. */
  codeRef?: string;
}

const POLICY_ALIASES: Record<string, string> = {
  max_steps: 'maxSteps',
  max_cost_per_request: 'maxCostPerRequestUsd',
  max_cost_per_request_usd: 'maxCostPerRequestUsd',
  allowed_tools: 'allowedTools',
};
const POLICY_FILE_NAMES: Record<string, string> = { maxSteps: 'max_steps', maxCostPerRequestUsd: 'max_cost_per_request_usd', allowedTools: 'allowed_tools' };
const MODEL_FIXED_KEYS = new Set(['provider', 'name', 'params']);

/** Parses and validates a config file; throws `YamlSyntaxError` or `InvalidAgentVersionError`. */
export function parseAgentVersionYaml(text: string, options: ParseYamlOptions = {}): AgentVersionSpec {
  return agentVersionFromYamlDocument(parseYaml(text), options);
}

/** Validates an already parsed config document (file conventions as above); throws `InvalidAgentVersionError`. */
export function agentVersionFromYamlDocument(document: JsonValue, options: ParseYamlOptions = {}): AgentVersionSpec {
  if (!isJsonObject(document)) throw new InvalidAgentVersionError([{ path: '<root>', message: 'must be a YAML mapping' }]);
  const issues: AgentVersionIssue[] = [];
  const renames: [string, string][] = []; // [domain path prefix, file path prefix]
  const input: JsonObject = {};
  for (const [key, value] of Object.entries(document)) {
    switch (key) {
      case 'version':
        input.label = typeof value === 'number' ? String(value) : value;
        renames.push(['label', 'version']);
        break;
      case 'model':
        input.model = isJsonObject(value) ? modelFromFile(value, issues, renames) : value;
        break;
      case 'policies':
        input.policies = isJsonObject(value) ? policiesFromFile(value, issues, renames) : value;
        break;
      default:
        input[key] = value;
    }
  }
  if (input.code === undefined && options.codeRef !== undefined) input.code = { ref: options.codeRef };
  const result = safeParseAgentVersion(input);
  const all = [...issues, ...(result.ok ? [] : result.issues.map((issue) => ({ ...issue, path: rename(issue.path, renames) })))];
  if (all.length || !result.ok) throw new InvalidAgentVersionError(all);
  return result.value;
}

function modelFromFile(model: JsonObject, issues: AgentVersionIssue[], renames: [string, string][]): JsonObject {
  const inline = Object.entries(model).filter(([key]) => !MODEL_FIXED_KEYS.has(key));
  const out: JsonObject = { ...Object.fromEntries(Object.entries(model).filter(([key]) => MODEL_FIXED_KEYS.has(key))) };
  if (inline.length === 0) return out;
  if (model.params !== undefined) {
    issues.push({ path: 'model.params', message: `use either params or inline model parameters (${inline.map(([k]) => k).join(', ')}), not both` });
    return out;
  }
  out.params = Object.fromEntries(inline);
  for (const [key] of inline) renames.push([`model.params.${key}`, `model.${key}`]);
  return out;
}

function policiesFromFile(policies: JsonObject, issues: AgentVersionIssue[], renames: [string, string][]): JsonObject {
  const out: JsonObject = {};
  const source: Record<string, string> = {};
  for (const [key, value] of Object.entries(policies)) {
    const name = POLICY_ALIASES[key] ?? key;
    if (source[name] !== undefined) {
      issues.push({ path: `policies.${key}`, message: `duplicates policies.${source[name]}` });
      continue;
    }
    source[name] = key;
    out[name] = value;
    if (name !== key) renames.push([`policies.${name}`, `policies.${key}`]);
  }
  return out;
}

function rename(path: string, renames: [string, string][]): string {
  for (const [domain, file] of renames) {
    if (path === domain || path.startsWith(`${domain}.`) || path.startsWith(`${domain}[`)) return file + path.slice(domain.length);
  }
  return path;
}

/**
 * Renders a version as a config file in canonical content order (tools by name, allowed tools
 * sorted), seed conventions (snake_case policies, model params inline unless a param is named
 * `provider`, `name` or `params`). `parseAgentVersionYaml(render(v))` yields the same content.
 */
export function renderAgentVersionYaml(version: AgentVersionSpec): string {
  const spec = parseAgentVersion(version); // applies defaults, validates
  const content = toContent(spec);
  const doc: JsonObject = {};
  if (spec.label !== undefined) doc.version = spec.label;
  doc.code = { ref: content.code.ref };
  if (content.code.endpoint !== undefined) doc.endpoint = content.code.endpoint;
  const params = content.model.params;
  const inline = Object.keys(params).every((key) => !MODEL_FIXED_KEYS.has(key));
  doc.model = inline ? { provider: content.model.provider, name: content.model.name, ...sortKeys(params) } : { provider: content.model.provider, name: content.model.name, params: sortKeys(params) };
  const prompt: JsonObject = { system: content.prompt.system };
  if (content.prompt.instructions !== '') prompt.instructions = content.prompt.instructions;
  if (content.prompt.examples.length) prompt.examples = content.prompt.examples.map((e) => ({ input: e.input, output: e.output }));
  doc.prompt = prompt;
  doc.tools = content.tools.map((tool) => ({ name: tool.name, description: tool.description, enabled: tool.enabled, parameters: tool.parameters }));
  const { maxSteps, maxCostPerRequestUsd, allowedTools, ...otherPolicies } = content.policies;
  doc.policies = {
    [POLICY_FILE_NAMES.maxSteps]: maxSteps,
    [POLICY_FILE_NAMES.maxCostPerRequestUsd]: maxCostPerRequestUsd,
    [POLICY_FILE_NAMES.allowedTools]: allowedTools,
    ...sortKeys(otherPolicies as JsonObject),
  };
  return toYaml(doc);
}

function sortKeys(record: JsonObject): JsonObject {
  return Object.fromEntries(Object.keys(record).sort().map((key): [string, JsonValue] => [key, record[key]]));
}
