import type { AgentVersionSpec, PromptExample } from './agent-version.schema';
import { normaliseSchema, sortedSet } from './json-schema';
import type { JsonObject, JsonValue } from './json';

/** The five layers of an agent version, in a fixed order. */
export const LAYERS = ['code', 'model', 'prompt', 'tools', 'policies'] as const;
export type LayerName = (typeof LAYERS)[number];

export interface CodeLayer {
  ref: string;
  endpoint?: string;
}
export interface ModelLayer {
  provider: string;
  name: string;
  params: JsonObject;
}
export interface PromptLayer {
  system: string;
  instructions: string;
  examples: PromptExample[];
}
export interface ToolContent {
  name: string;
  description: string;
  parameters: JsonObject;
  enabled: boolean;
}
export type ToolsLayer = ToolContent[];
export interface PoliciesLayer {
  maxSteps: number;
  maxCostPerRequestUsd: number;
  allowedTools: string[];
  [policy: string]: JsonValue;
}

/** The hashed content of a version: its layers in canonical order (no label). */
export interface AgentVersionContent {
  code: CodeLayer;
  model: ModelLayer;
  prompt: PromptLayer;
  tools: ToolsLayer;
  policies: PoliciesLayer;
}

/**
 * Canonical content of a validated version. Where array order carries no meaning it is sorted:
 * - `tools` by name (names are unique; the runtime offers tools as a set),
 * - `policies.allowedTools` sorted and de-duplicated (a set),
 * - JSON Schema `required` / `type` arrays sorted and de-duplicated.
 * Kept in order: `prompt.examples` (few-shot order matters), `enum` values, all other arrays.
 * The endpoint belongs to the code layer (instances of that code version serve it).
 */
export function toContent(spec: AgentVersionSpec): AgentVersionContent {
  const code: CodeLayer = spec.endpoint === undefined ? { ref: spec.code.ref } : { ref: spec.code.ref, endpoint: spec.endpoint };
  return {
    code,
    model: { provider: spec.model.provider, name: spec.model.name, params: spec.model.params },
    prompt: { system: spec.prompt.system, instructions: spec.prompt.instructions, examples: spec.prompt.examples.map((e) => ({ input: e.input, output: e.output })) },
    tools: [...spec.tools]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: normaliseSchema(tool.parameters) as JsonObject,
        enabled: tool.enabled,
      })),
    policies: { ...spec.policies, allowedTools: sortedSet(spec.policies.allowedTools) } as PoliciesLayer,
  };
}
