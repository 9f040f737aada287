import { z } from 'zod';
import { InvalidAgentVersionError, type AgentVersionIssue } from './errors';
import { issueMessage, toIssues } from './issues';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { normaliseLabel, tryParseSemver } from './semver';

/**
 * Runtime schema of an agent version as submitted (API body or YAML file):
 * code ref × model × prompt × tools × policies × optional endpoint, plus an optional requested label.
 * Defaults are applied here so that omitted and explicit-default inputs hash the same.
 */

const json = z.json() as unknown as z.ZodType<JsonValue>;
const jsonRecord = z.record(z.string().min(1).max(128), json);

/** Full git commit id (SHA-1 or SHA-256 object format); lower-cased. */
export const GIT_SHA_PATTERN = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
/** Tool names as LLM providers accept them for function calling. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const toolName = z.string().regex(TOOL_NAME_PATTERN, { error: 'must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "-"' });

export const codeLayerSchema = z.strictObject({
  ref: z
    .string()
    .regex(GIT_SHA_PATTERN, { error: 'must be a full git commit SHA (40 or 64 hex characters)' })
    .transform((sha) => sha.toLowerCase()),
});

export const modelLayerSchema = z.strictObject({
  provider: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  params: jsonRecord.default({}),
});

export const promptExampleSchema = z.strictObject({ input: z.string(), output: z.string() });

export const promptLayerSchema = z.strictObject({
  system: z.string().max(200_000),
  instructions: z.string().max(200_000).default(''),
  examples: z.array(promptExampleSchema).max(500).default([]),
});

const EMPTY_PARAMETERS = (): JsonObject => ({ type: 'object', properties: {} });

/** JSON Schema of a tool's arguments: an object schema (`type: object` when `type` is given). */
export const toolParametersSchema = z.record(z.string(), json).superRefine((schema, ctx) => {
  if (schema.type !== undefined && schema.type !== 'object') {
    ctx.addIssue({ code: 'custom', path: ['type'], message: 'must be "object" (tool arguments are an object)' });
  }
  if (schema.properties !== undefined) {
    if (!isJsonObject(schema.properties)) {
      ctx.addIssue({ code: 'custom', path: ['properties'], message: 'must be an object of property schemas' });
    } else {
      for (const [key, property] of Object.entries(schema.properties)) {
        if (!isJsonObject(property) && typeof property !== 'boolean') {
          ctx.addIssue({ code: 'custom', path: ['properties', key], message: 'must be a JSON Schema (object or boolean)' });
        }
      }
    }
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((n) => typeof n === 'string'))) {
    ctx.addIssue({ code: 'custom', path: ['required'], message: 'must be an array of property names' });
  }
});

export const toolSchema = z.strictObject({
  name: toolName,
  description: z.string().max(10_000).default(''),
  parameters: toolParametersSchema.default(EMPTY_PARAMETERS),
  enabled: z.boolean().default(true),
});

/** Known policies plus an open record of further JSON-valued policies. */
export const policiesLayerSchema = z
  .object({
    maxSteps: z.int().min(1).max(10_000),
    maxCostPerRequestUsd: z.number().min(0),
    allowedTools: z.array(toolName),
  })
  .catchall(json);

export const agentVersionSchema = z
  .strictObject({
    /** Requested label (semver; `v` prefix tolerated). Not part of the content hash. */
    label: z
      .string()
      .refine((label) => tryParseSemver(label) !== undefined, { error: 'must be a semantic version (e.g. 1.4.0)' })
      .transform(normaliseLabel)
      .optional(),
    code: codeLayerSchema,
    /** URL that instances of this code version serve; hashed with the code layer. */
    endpoint: z
      .url({ protocol: /^https?$/ })
      .transform((url) => new URL(url).href)
      .optional(),
    model: modelLayerSchema,
    prompt: promptLayerSchema,
    tools: z.array(toolSchema).max(256).default([]),
    policies: policiesLayerSchema,
  })
  .superRefine((version, ctx) => {
    const firstIndex = new Map<string, number>();
    version.tools.forEach((tool, index) => {
      const seen = firstIndex.get(tool.name);
      if (seen === undefined) firstIndex.set(tool.name, index);
      else ctx.addIssue({ code: 'custom', path: ['tools', index, 'name'], message: `duplicate tool name \`${tool.name}\` (also tools[${seen}])` });
    });
    version.policies.allowedTools.forEach((name, index) => {
      if (!firstIndex.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['policies', 'allowedTools', index], message: `unknown tool \`${name}\` (not declared in tools)` });
      }
    });
  });

/** What callers submit (defaults not yet applied). */
export type AgentVersionInput = z.input<typeof agentVersionSchema>;
/** A validated agent version with defaults applied. */
export type AgentVersionSpec = z.output<typeof agentVersionSchema>;
export type ToolSpec = AgentVersionSpec['tools'][number];
export type PromptExample = z.output<typeof promptExampleSchema>;

export type ParseResult = { ok: true; value: AgentVersionSpec } | { ok: false; issues: AgentVersionIssue[] };

export function safeParseAgentVersion(input: unknown): ParseResult {
  const result = agentVersionSchema.safeParse(input, { error: issueMessage });
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error.issues) };
}

/** Validates `input`; throws `InvalidAgentVersionError` listing every offending field. */
export function parseAgentVersion(input: unknown): AgentVersionSpec {
  const result = safeParseAgentVersion(input);
  if (!result.ok) throw new InvalidAgentVersionError(result.issues);
  return result.value;
}
