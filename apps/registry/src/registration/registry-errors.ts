import type { AgentVersionIssue } from '../domain';

/** Why the registry refused a request; one mapping to HTTP lives in http/registry-error.filter.ts. */
export type RegistryErrorCode =
  /** The body or YAML file is not a valid agent version (field-level issues). */
  | 'INVALID_AGENT_VERSION'
  /** The request's body is neither JSON nor YAML. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'AGENT_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  /** The requested label belongs to another version of the agent. */
  | 'LABEL_TAKEN'
  /** The content is already registered under another label (versions are immutable). */
  | 'ALREADY_REGISTERED_AS'
  /** The requested label is not greater than the agent's latest label. */
  | 'LABEL_NOT_GREATER'
  /** The requested label moves less than the diff with the previous version requires. */
  | 'BUMP_TOO_SMALL'
  /** The version would not fit in one Kafka message. */
  | 'TOO_LARGE';

export interface RegistryErrorDetails {
  issues?: readonly AgentVersionIssue[];
  /** Human-readable reasons (e.g. the changes that require a bigger bump). */
  reasons?: readonly string[];
  /** The version the request collided with. */
  conflictingVersion?: { versionId: string; label: string };
}

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    readonly details: RegistryErrorDetails = {},
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const invalidAgentVersion = (issues: readonly AgentVersionIssue[]): RegistryError =>
  new RegistryError('INVALID_AGENT_VERSION', `Invalid agent version: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
