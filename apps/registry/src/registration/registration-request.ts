import {
  agentVersionFromYamlDocument,
  InvalidAgentVersionError,
  parseYaml,
  ROOT_PATH,
  safeParseAgentVersion,
  YamlSyntaxError,
  type AgentVersionIssue,
  type JsonValue,
} from '../domain';
import type { RegisterVersion } from './decide-registration';
import { AGENT_NAME_PATTERN } from './registered-version';
import { invalidAgentVersion } from './registry-errors';

/** A registration as submitted: a JSON body (the tuple + notes / labels) or a YAML config file. */
export type RegistrationInput =
  | { format: 'json'; body: unknown }
  /** `codeRef` is used when the file has no `code.ref` (seed files omit it). */
  | { format: 'yaml'; text: string; codeRef?: string };

const MAX_NOTES = 4096;
const MAX_LABEL_KEY = 128;
const MAX_LABEL_VALUE = 256;

/** Validates agent name, tuple, notes and labels; throws RegistryError INVALID_AGENT_VERSION listing every issue. */
export function parseRegistration(agent: string, input: RegistrationInput, registeredBy: string): RegisterVersion {
  const issues: AgentVersionIssue[] = [];
  if (!AGENT_NAME_PATTERN.test(agent)) issues.push({ path: 'agent', message: 'must be a lowercase slug of 1-128 characters (a-z, 0-9, ".", "_", "-")' });

  let document: JsonValue | unknown;
  if (input.format === 'yaml') {
    try {
      document = parseYaml(input.text);
    } catch (error) {
      if (!(error instanceof YamlSyntaxError)) throw error;
      throw invalidAgentVersion([...issues, { path: ROOT_PATH, message: error.message }]);
    }
  } else {
    document = input.body;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalidAgentVersion([...issues, { path: ROOT_PATH, message: input.format === 'yaml' ? 'must be a YAML mapping' : 'must be a JSON object' }]);
  }

  const { notes, labels, ...tuple } = document as Record<string, unknown>;
  issues.push(...notesIssues(notes), ...labelsIssues(labels));

  let spec: RegisterVersion['spec'] | undefined;
  if (input.format === 'yaml') {
    try {
      spec = agentVersionFromYamlDocument(tuple as JsonValue, { codeRef: input.codeRef });
    } catch (error) {
      if (!(error instanceof InvalidAgentVersionError)) throw error;
      issues.push(...error.issues);
    }
  } else {
    const result = safeParseAgentVersion(tuple);
    if (result.ok) spec = result.value;
    else issues.push(...result.issues);
  }
  if (issues.length > 0 || spec === undefined) throw invalidAgentVersion(issues);
  return {
    agent,
    spec,
    registeredBy,
    ...(notes !== undefined && { notes: notes as string }),
    ...(labels !== undefined && { labels: labels as Record<string, string> }),
  };
}

function notesIssues(notes: unknown): AgentVersionIssue[] {
  if (notes === undefined) return [];
  if (typeof notes !== 'string') return [{ path: 'notes', message: 'must be a string' }];
  return notes.length > MAX_NOTES ? [{ path: 'notes', message: `must be at most ${MAX_NOTES} characters` }] : [];
}

function labelsIssues(labels: unknown): AgentVersionIssue[] {
  if (labels === undefined) return [];
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return [{ path: 'labels', message: 'must be an object of string values' }];
  return Object.entries(labels).flatMap(([key, value]): AgentVersionIssue[] => {
    if (key.length === 0 || key.length > MAX_LABEL_KEY) return [{ path: `labels.${key}`, message: `keys must be 1-${MAX_LABEL_KEY} characters` }];
    if (typeof value !== 'string') return [{ path: `labels.${key}`, message: 'must be a string' }];
    return value.length > MAX_LABEL_VALUE ? [{ path: `labels.${key}`, message: `must be at most ${MAX_LABEL_VALUE} characters` }] : [];
  });
}
