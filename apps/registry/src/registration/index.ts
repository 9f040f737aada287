/** Registering versions: the pure decider, its state, the request parser and the typed errors. */
export { evolveAgent, foldAgent, initialAgentState, type AgentState } from './agent-state';
export { decideRegistration, type RegisterVersion, type RegistrationDecision } from './decide-registration';
export { AGENT_NAME_PATTERN, AGENT_STREAM_PREFIX, agentStreamId, type RegisteredVersion, type VersionRegisteredData } from './registered-version';
export { parseRegistration, type RegistrationInput } from './registration-request';
export { RegistryError, invalidAgentVersion, type RegistryErrorCode, type RegistryErrorDetails } from './registry-errors';
export { versionFromEvent } from './version-from-event';
export { renderVersionYaml } from './version-yaml';
