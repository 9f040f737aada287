import type { AgentVersionSpec } from './agent-version.schema';
import { canonicalJson, jsonEqual } from './canonical-json';
import { LAYERS, toContent, type AgentVersionContent, type LayerName, type PromptLayer, type ToolContent } from './content';
import { hashContent } from './content-hash';
import { diffSchemas, type FieldChange } from './json-schema';
import { showValue, type JsonObject, type JsonValue } from './json';
import { diffSequences, diffText, type TextDiff } from './text-diff';

export interface ValueChange<T> {
  before: T;
  after: T;
}

/** A key of an open record (model params, policies) that was added, removed or changed. */
export interface KeyChange {
  key: string;
  kind: 'added' | 'removed' | 'changed';
  before?: JsonValue;
  after?: JsonValue;
}

export interface CodeDiff {
  changed: boolean;
  ref?: ValueChange<string>;
  endpoint?: ValueChange<string | null>;
}

export interface ModelDiff {
  changed: boolean;
  provider?: ValueChange<string>;
  name?: ValueChange<string>;
  params: KeyChange[];
}

export interface IndexedExample {
  index: number;
  input: string;
  output: string;
}

export interface PromptDiff {
  changed: boolean;
  system: TextDiff;
  instructions: TextDiff;
  /** Few-shot examples as a sequence: indexes refer to the before (removed) and after (added) lists. */
  examples: { added: IndexedExample[]; removed: IndexedExample[] };
}

export interface ToolSummary {
  name: string;
  enabled: boolean;
}

export interface ToolChange {
  name: string;
  breaking: boolean;
  changes: FieldChange[];
}

export interface ToolsDiff {
  added: ToolSummary[];
  removed: ToolSummary[];
  /** Tools present in both versions whose content differs. */
  changed: ToolChange[];
}

export interface PoliciesDiff {
  changed: boolean;
  keys: KeyChange[];
}

/** Plain-JSON diff between two versions, layer by layer (`GET …/versions/:a/diff/:b`). */
export interface AgentVersionDiff {
  from: string;
  to: string;
  identical: boolean;
  changedLayers: LayerName[];
  code: CodeDiff;
  model: ModelDiff;
  prompt: PromptDiff;
  tools: ToolsDiff;
  policies: PoliciesDiff;
}

/** Layer-by-layer diff from `a` to `b` (order-insensitive where the canonical form is). */
export function diffVersions(a: AgentVersionSpec, b: AgentVersionSpec): AgentVersionDiff {
  return diffContents(toContent(a), toContent(b));
}

export function diffContents(a: AgentVersionContent, b: AgentVersionContent): AgentVersionDiff {
  const [ha, hb] = [hashContent(a), hashContent(b)];
  const changedLayers = LAYERS.filter((layer) => ha.layers[layer] !== hb.layers[layer]);
  const policyKeys = diffRecords(a.policies, b.policies);
  return {
    from: ha.id,
    to: hb.id,
    identical: ha.digest === hb.digest,
    changedLayers,
    code: diffCode(a, b),
    model: diffModel(a, b),
    prompt: diffPrompt(a.prompt, b.prompt),
    tools: diffTools(a.tools, b.tools),
    policies: { changed: policyKeys.length > 0, keys: policyKeys },
  };
}

function diffCode(a: AgentVersionContent, b: AgentVersionContent): CodeDiff {
  const out: CodeDiff = { changed: false };
  if (a.code.ref !== b.code.ref) out.ref = { before: a.code.ref, after: b.code.ref };
  if (a.code.endpoint !== b.code.endpoint) out.endpoint = { before: a.code.endpoint ?? null, after: b.code.endpoint ?? null };
  out.changed = out.ref !== undefined || out.endpoint !== undefined;
  return out;
}

function diffModel(a: AgentVersionContent, b: AgentVersionContent): ModelDiff {
  const params = diffRecords(a.model.params, b.model.params);
  const out: ModelDiff = { changed: params.length > 0, params };
  if (a.model.provider !== b.model.provider) out.provider = { before: a.model.provider, after: b.model.provider };
  if (a.model.name !== b.model.name) out.name = { before: a.model.name, after: b.model.name };
  out.changed ||= out.provider !== undefined || out.name !== undefined;
  return out;
}

function diffPrompt(a: PromptLayer, b: PromptLayer): PromptDiff {
  const system = diffText(a.system, b.system, 'prompt.system');
  const instructions = diffText(a.instructions, b.instructions, 'prompt.instructions');
  const ops = diffSequences(a.examples.map(canonicalJson), b.examples.map(canonicalJson));
  const removed = ops.flatMap((op) => (op.kind === 'delete' ? [{ index: op.aIndex, ...a.examples[op.aIndex] }] : []));
  const added = ops.flatMap((op) => (op.kind === 'insert' ? [{ index: op.bIndex, ...b.examples[op.bIndex] }] : []));
  return { changed: system.changed || instructions.changed || added.length + removed.length > 0, system, instructions, examples: { added, removed } };
}

function diffTools(a: ToolContent[], b: ToolContent[]): ToolsDiff {
  const before = new Map(a.map((tool) => [tool.name, tool]));
  const after = new Map(b.map((tool) => [tool.name, tool]));
  const summary = (tool: ToolContent): ToolSummary => ({ name: tool.name, enabled: tool.enabled });
  const changed: ToolChange[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (!now) continue;
    const changes = diffTool(old, now);
    if (changes.length) changed.push({ name, breaking: changes.some((c) => c.breaking), changes });
  }
  return {
    added: b.filter((tool) => !before.has(tool.name)).map(summary),
    removed: a.filter((tool) => !after.has(tool.name)).map(summary),
    changed,
  };
}

/** Field changes of one tool; disabling a tool is breaking (it is no longer offered). */
function diffTool(a: ToolContent, b: ToolContent): FieldChange[] {
  const changes: FieldChange[] = [];
  if (a.enabled !== b.enabled) {
    changes.push({ path: 'enabled', kind: 'changed', before: a.enabled, after: b.enabled, breaking: !b.enabled, summary: `enabled: ${a.enabled} → ${b.enabled}` });
  }
  if (a.description !== b.description) {
    changes.push({ path: 'description', kind: 'changed', before: a.description, after: b.description, breaking: false, summary: `description: ${showValue(a.description)} → ${showValue(b.description)}` });
  }
  changes.push(...diffSchemas(a.parameters, b.parameters, 'parameters'));
  return changes;
}

/** Key-by-key comparison of two records (values compared canonically), keys sorted. */
export function diffRecords(a: JsonObject, b: JsonObject): KeyChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key): KeyChange[] => {
    const [before, after] = [a[key], b[key]];
    if (before === undefined && after !== undefined) return [{ key, kind: 'added', after }];
    if (after === undefined && before !== undefined) return [{ key, kind: 'removed', before }];
    if (before !== undefined && after !== undefined && !jsonEqual(before, after)) return [{ key, kind: 'changed', before, after }];
    return [];
  });
}
