import { NotCanonicalizableError } from './errors';
import { isJsonObject, type JsonValue } from './json';

/**
 * Block-style YAML (2-space indent) for JSON values, readable by `parseYaml`:
 * keys in insertion order, multi-line strings as `|` literal blocks, other strings plain when
 * unambiguous and double-quoted (JSON escapes) otherwise, empty maps/lists as `{}` / `[]`.
 */
export function toYaml(value: JsonValue): string {
  return `${emit(value, 0).join('\n')}\n`;
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./ +()-]*$/;
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;

function emit(value: JsonValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item) => {
      if (isBlockNode(item)) {
        const [first, ...rest] = emit(item, indent + 2);
        return [`${pad}- ${first.slice(indent + 2)}`, ...rest];
      }
      return prefixed(`${pad}- `, item, indent + 2);
    });
  }
  if (isJsonObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([key, item]) => (isBlockNode(item) ? [`${pad}${scalar(key)}:`, ...emit(item, indent + 2)] : prefixed(`${pad}${scalar(key)}: `, item, indent + 2)));
  }
  return prefixed(pad, value, indent);
}

/** A scalar (or empty collection) after `prefix`; multi-line strings continue as a literal block at `indent`. */
function prefixed(prefix: string, value: JsonValue, indent: number): string[] {
  if (typeof value === 'string' && isLiteralBlockable(value)) {
    const chomp = value.endsWith('\n\n') ? '+' : value.endsWith('\n') ? '' : '-';
    const body = chomp === '+' ? value.slice(0, -1) : chomp === '' ? value.slice(0, -1) : value;
    const pad = ' '.repeat(indent);
    return [`${prefix}|${chomp}`, ...body.split('\n').map((line) => (line === '' ? '' : `${pad}${line}`))];
  }
  if (Array.isArray(value)) return [`${prefix}[]`];
  if (isJsonObject(value)) return [`${prefix}{}`];
  return [`${prefix}${scalar(value)}`];
}

function isBlockNode(value: JsonValue): boolean {
  return (Array.isArray(value) && value.length > 0) || (isJsonObject(value) && Object.keys(value).length > 0);
}

/**
 * Literal blocks are used when the text survives one unchanged: it spans lines, has no
 * control characters (tabs aside), no line of only spaces, and no leading space on the first line.
 */
function isLiteralBlockable(text: string): boolean {
  if (!text.includes('\n') || text.trim() === '') return false;
  if (/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(text)) return false;
  const lines = text.split('\n');
  if (/^[ \t]/.test(lines.find((line) => line !== '') ?? '')) return false;
  return lines.every((line) => line === '' || line.trim() !== '');
}

function scalar(value: string | number | boolean | null): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotCanonicalizableError('yaml', `${value} cannot be written`);
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (typeof value !== 'string') return JSON.stringify(value);
  const plain = PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') && !value.includes(' #');
  return plain ? value : JSON.stringify(value);
}
