import { formatPath as formatContractPath } from '@iris/contracts';
import type { z } from 'zod';
import { ROOT_PATH, type AgentVersionIssue } from './errors';

/** `['tools', 0, 'name']` → `tools[0].name` (the empty path: the registry's root placeholder). */
export function formatPath(path: readonly PropertyKey[]): string {
  return formatContractPath(path, ROOT_PATH);
}

/** zod issues → `{ path, message }`; each unknown key becomes its own issue. */
export function toIssues(issues: readonly z.core.$ZodIssue[]): AgentVersionIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: formatPath(issue.path), message: issue.message }],
  );
}

/** Per-parse error map with short field-oriented messages; messages set on a schema win. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`} (got ${typeName(issue.input)})`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be an http(s) URL' : `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}
