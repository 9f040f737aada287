/**
 * Minimal YAML emitter for JSON-compatible values (block style, 2-space indent).
 * Strings are plain when unambiguous, otherwise JSON-quoted (a valid YAML
 * double-quoted scalar), so the output always reads back to the same value.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

export function toYaml(value: JsonValue): string {
  return `${emit(value, 0).join('\n')}\n`;
}

const PLAIN = /^[A-Za-z_$/][A-Za-z0-9_$./ +-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(value: string | number | boolean | null): string {
  if (typeof value !== 'string') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`YAML: cannot emit ${value}`);
    return JSON.stringify(value);
  }
  const plain = PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') && !value.includes(' #');
  return plain ? value : JSON.stringify(value);
}

function isEmptyContainer(value: JsonValue): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Lines for `value` when it starts on a fresh line at `indent`. */
function emit(value: JsonValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item) => {
      if (item === null || typeof item !== 'object' || isEmptyContainer(item)) return [`${pad}- ${inline(item)}`];
      const [first, ...rest] = emit(item, indent + 2);
      return [`${pad}- ${first.slice(indent + 2)}`, ...rest];
    });
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter((entry): entry is [string, JsonValue] => entry[1] !== undefined);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([key, item]) => {
      if (item === null || typeof item !== 'object' || isEmptyContainer(item)) return [`${pad}${scalar(key)}: ${inline(item)}`];
      return [`${pad}${scalar(key)}:`, ...emit(item, indent + 2)];
    });
  }
  return [`${pad}${scalar(value)}`];
}

function inline(value: JsonValue): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value);
}
