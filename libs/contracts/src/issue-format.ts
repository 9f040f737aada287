import type { z } from 'zod';
import { ContractIssue, ROOT_PATH } from './errors';

type RawIssue = z.core.$ZodRawIssue;

/** `['data', 'toolCalls', 0, 'ok']` → `data.toolCalls[0].ok`; the empty path → `root`. */
export function formatPath(path: readonly PropertyKey[], root: string = ROOT_PATH): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || root;
}

/** Maps zod issues to `{ path, message }`; unknown keys become one issue per key. */
export function toContractIssues(issues: readonly z.core.$ZodIssue[]): ContractIssue[] {
  const out: ContractIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown field' });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * Per-parse zod error map producing short, field-oriented messages
 * (`must be ≥ 0`, `is required`). Messages set on a schema itself take precedence.
 */
export function contractErrorMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue.expected, issue.input);
    case 'too_small':
      return bound(issue.origin, issue.minimum, issue.inclusive ?? false, 'small');
    case 'too_big':
      return bound(issue.origin, issue.maximum, issue.inclusive ?? false, 'big');
    case 'invalid_format':
      return FORMAT_MESSAGES[issue.format] ?? `must be a valid ${issue.format}`;
    case 'invalid_value':
      if (issue.input === undefined) return 'is required';
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${show(issue.input)})`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'does not match any allowed shape';
    case 'invalid_key':
      return 'has an invalid key';
    default:
      return undefined;
  }
}

const FORMAT_MESSAGES: Record<string, string> = {
  uuid: 'must be a UUID',
  datetime: 'must be an ISO-8601 timestamp with timezone (e.g. 2025-01-31T12:00:00Z)',
  regex: 'has an invalid format',
};

function invalidType(expected: string, input: unknown): string {
  if (input === undefined) return 'is required';
  if (expected === 'number' || expected === 'int') {
    if (typeof input === 'number') return `must be a finite number (got ${String(input)})`;
    return `must be ${expected === 'int' ? 'an integer' : 'a number'} (got ${typeName(input)})`;
  }
  return `must be ${article(expected)} ${expected} (got ${typeName(input)})`;
}

function bound(origin: string, limit: unknown, inclusive: boolean, side: 'small' | 'big'): string {
  const n = Number(limit);
  if (origin === 'string') {
    if (side === 'small') return n <= 1 ? 'must not be empty' : `must be at least ${n} characters`;
    return `must be at most ${n} characters`;
  }
  if (origin === 'array' || origin === 'set') {
    return side === 'small' ? `must have at least ${n} item(s)` : `must have at most ${n} item(s)`;
  }
  if (side === 'small') return `must be ${inclusive ? '≥' : '>'} ${n}`;
  return `must be ${inclusive ? '≤' : '<'} ${n}`;
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

function show(input: unknown): string {
  const text = JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
