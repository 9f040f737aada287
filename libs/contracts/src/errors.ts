/** One offending field: `path` is dotted (`data.toolCalls[0].latencyMs`), `<message>` for the whole message. */
export interface ContractIssue {
  path: string;
  message: string;
}

/** Why a message was refused; lets consumers count DLQ causes without parsing text. */
export type ContractViolationReason =
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'NOT_JSON'
  | 'NOT_AN_OBJECT'
  | 'UNKNOWN_TYPE'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_FIELDS';

export const ROOT_PATH = '<message>';

/** Thrown when bytes or an object do not satisfy the Iris message contract. */
export class ContractViolationError extends Error {
  readonly code = 'CONTRACT_VIOLATION' as const;

  constructor(
    readonly reason: ContractViolationReason,
    readonly issues: readonly ContractIssue[],
    /** `type` of the offending message, when it could be read. */
    readonly eventType?: string,
  ) {
    super(describe(issues, eventType));
    this.name = 'ContractViolationError';
  }

  static single(reason: ContractViolationReason, path: string, message: string, eventType?: string): ContractViolationError {
    return new ContractViolationError(reason, [{ path, message }], eventType);
  }
}

function describe(issues: readonly ContractIssue[], eventType?: string): string {
  const subject = eventType ? `Contract violation (${eventType})` : 'Contract violation';
  return `${subject}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`;
}
