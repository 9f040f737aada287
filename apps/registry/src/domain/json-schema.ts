import { canonicalJson, jsonEqual } from './canonical-json';
import { isJsonObject, showValue, type JsonObject, type JsonValue } from './json';

/** Keywords whose value is one sub-schema, a map of sub-schemas, or a list of sub-schemas. */
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'additionalItems'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LIST_KEYWORDS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];

/**
 * Canonical form of a JSON Schema: `required` and `type` arrays are sets, so they are sorted
 * and de-duplicated at every schema node. `enum` keeps its order (it is shown to the model).
 */
export function normaliseSchema(schema: JsonValue): JsonValue {
  if (!isJsonObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === 'required' || key === 'type') && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out[key] = sortedSet(value as string[]);
    } else if (SCHEMA_KEYWORDS.includes(key)) {
      out[key] = normaliseSchema(value);
    } else if (SCHEMA_MAP_KEYWORDS.includes(key) && isJsonObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, normaliseSchema(sub)]));
    } else if (SCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
      out[key] = value.map(normaliseSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function sortedSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** One change inside a tool; `path` is relative to the tool (`parameters.properties.query.type`). */
export interface FieldChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: JsonValue;
  after?: JsonValue;
  /** True when arguments valid before may be refused (or mean something else) now. */
  breaking: boolean;
  /** Human-readable, e.g. `parameters.properties.query.type: string → number`. */
  summary: string;
}

const ANNOTATIONS = new Set(['description', 'title', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id']);
const LOWER_BOUNDS = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains']);
const UPPER_BOUNDS = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains']);
/** Constraints: adding or changing one may narrow, removing one only widens. */
const CONSTRAINTS = new Set(['pattern', 'format', 'const', 'multipleOf', 'uniqueItems', 'dependentRequired', 'enum']);

/**
 * Changes between two versions of a tool's parameter schema, each marked breaking or not.
 * Breaking = some arguments valid before may be invalid now: removed property, new required
 * property (or optional → required), type narrowed (a type removed), enum narrowed, tighter
 * bound/constraint, `additionalProperties` closed. Annotation edits and additions of optional
 * properties are not breaking. Composition/reference keywords (`anyOf`, `$ref`, …) are not
 * analysed: any change to them counts as breaking (conservative).
 */
export function diffSchemas(before: JsonValue, after: JsonValue, path: string): FieldChange[] {
  if (!isJsonObject(before) || !isJsonObject(after)) {
    if (jsonEqual(before, after)) return [];
    return [change(path, 'changed', before, after, after !== true)];
  }
  const changes: FieldChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    if (key === 'required') continue; // reported per property below
    const [old, now] = [before[key], after[key]];
    if (jsonEqual(old, now)) continue;
    const at = `${path}.${key}`;
    if (key === 'properties') changes.push(...diffProperties(before, after, at));
    else if (key === 'type') changes.push(diffType(old, now, at));
    else if (key === 'enum') changes.push(diffEnum(old, now, at));
    else if ((key === 'items' || key === 'additionalProperties') && isJsonObject(old) && isJsonObject(now)) changes.push(...diffSchemas(old, now, at));
    else if (key === 'additionalProperties') changes.push(change(at, kindOf(old, now), old, now, now === false));
    else if (ANNOTATIONS.has(key)) changes.push(change(at, kindOf(old, now), old, now, false));
    else if (LOWER_BOUNDS.has(key)) changes.push(change(at, kindOf(old, now), old, now, now !== undefined && (old === undefined || Number(now) > Number(old))));
    else if (UPPER_BOUNDS.has(key)) changes.push(change(at, kindOf(old, now), old, now, now !== undefined && (old === undefined || Number(now) < Number(old))));
    else if (CONSTRAINTS.has(key)) changes.push(change(at, kindOf(old, now), old, now, now !== undefined));
    else changes.push(change(at, kindOf(old, now), old, now, true));
  }
  changes.push(...diffRequired(before, after, path));
  return changes;
}

function diffProperties(before: JsonObject, after: JsonObject, at: string): FieldChange[] {
  const [old, now] = [asObject(before.properties), asObject(after.properties)];
  const required = new Set(requiredOf(after));
  const changes: FieldChange[] = [];
  for (const name of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
    const path = `${at}.${name}`;
    if (!(name in now)) changes.push({ path, kind: 'removed', before: old[name], breaking: true, summary: `${path}: removed` });
    else if (!(name in old)) {
      const isRequired = required.has(name);
      changes.push({ path, kind: 'added', after: now[name], breaking: isRequired, summary: `${path}: added (${isRequired ? 'required' : 'optional'})` });
    } else changes.push(...diffSchemas(old[name], now[name], path));
  }
  return changes;
}

/** optional → required is breaking; required → optional is not. Newly added properties are reported by `diffProperties`. */
function diffRequired(before: JsonObject, after: JsonObject, path: string): FieldChange[] {
  const [old, now] = [new Set(requiredOf(before)), new Set(requiredOf(after))];
  const [oldProps, newProps] = [asObject(before.properties), asObject(after.properties)];
  const changes: FieldChange[] = [];
  for (const name of sortedSet([...old, ...now])) {
    if (old.has(name) === now.has(name)) continue;
    if (now.has(name) && !(name in oldProps) && name in newProps) continue;
    const at = `${path}.properties.${name}`;
    const becameRequired = now.has(name);
    changes.push({
      path: `${path}.required`,
      kind: 'changed',
      before: [...old].sort(),
      after: [...now].sort(),
      breaking: becameRequired,
      summary: becameRequired ? `${at}: optional → required` : `${at}: required → optional`,
    });
  }
  return changes;
}

function diffType(old: JsonValue | undefined, now: JsonValue | undefined, at: string): FieldChange {
  const [a, b] = [typesOf(old), typesOf(now)];
  // No `type` accepts everything: adding one narrows, removing one widens.
  const narrowed = b !== undefined && (a === undefined || a.some((t) => !b.includes(t) && !(t === 'integer' && b.includes('number'))));
  return change(at, kindOf(old, now), old, now, narrowed);
}

function diffEnum(old: JsonValue | undefined, now: JsonValue | undefined, at: string): FieldChange {
  if (!Array.isArray(old) || !Array.isArray(now)) return change(at, kindOf(old, now), old, now, now !== undefined);
  const allowed = new Set(now.map((v) => canonicalJson(v)));
  const removed = old.filter((v) => !allowed.has(canonicalJson(v)));
  const summary = removed.length ? `${at}: narrowed, removed ${removed.map((v) => showValue(v)).join(', ')}` : undefined;
  return change(at, 'changed', old, now, removed.length > 0, summary);
}

function change(path: string, kind: FieldChange['kind'], before: JsonValue | undefined, after: JsonValue | undefined, breaking: boolean, summary?: string): FieldChange {
  const out: FieldChange = { path, kind, breaking, summary: summary ?? `${path}: ${describe(kind, before, after)}` };
  if (before !== undefined) out.before = before;
  if (after !== undefined) out.after = after;
  return out;
}

function describe(kind: FieldChange['kind'], before: JsonValue | undefined, after: JsonValue | undefined): string {
  switch (kind) {
    case 'added':
      return `added ${showValue(after)}`;
    case 'removed':
      return `removed (was ${showValue(before)})`;
    case 'changed':
      return `${showValue(before)} → ${showValue(after)}`;
  }
}

function kindOf(old: JsonValue | undefined, now: JsonValue | undefined): FieldChange['kind'] {
  if (old === undefined) return 'added';
  return now === undefined ? 'removed' : 'changed';
}

function asObject(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

function requiredOf(schema: JsonObject): string[] {
  return Array.isArray(schema.required) ? schema.required.filter((n): n is string => typeof n === 'string') : [];
}

function typesOf(value: JsonValue | undefined): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string');
  return undefined;
}

