/** One offending field: `path` is dotted with indices (`tools[0].parameters.type`), `<root>` for the whole input. */
export interface AgentVersionIssue {
  path: string;
  message: string;
}

export const ROOT_PATH = '<root>';

/** The submitted agent version does not satisfy the schema; maps to HTTP 400/422. */
export class InvalidAgentVersionError extends Error {
  readonly code = 'INVALID_AGENT_VERSION' as const;

  constructor(readonly issues: readonly AgentVersionIssue[]) {
    super(`Invalid agent version: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    this.name = 'InvalidAgentVersionError';
  }
}

/** A version label is not a semantic version. */
export class InvalidSemverError extends Error {
  readonly code = 'INVALID_SEMVER' as const;

  constructor(readonly label: string) {
    super(`Not a semantic version: ${JSON.stringify(label)} (expected MAJOR.MINOR.PATCH, e.g. 1.4.0)`);
    this.name = 'InvalidSemverError';
  }
}

/** YAML text outside the supported subset, or malformed; `line` is 1-based. */
export { YamlSyntaxError } from '@iris/contracts';

/** A value that has no canonical JSON form (NaN, ±Infinity, undefined in arrays, functions, …). */
export class NotCanonicalizableError extends Error {
  readonly code = 'NOT_CANONICALIZABLE' as const;

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`Cannot canonicalize ${path}: ${reason}`);
    this.name = 'NotCanonicalizableError';
  }
}

/** Exhaustiveness guard for switches over closed unions. */
export function assertNever(value: never, what: string): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
