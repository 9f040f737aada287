import type { RegisteredVersion } from './registered-version';

/** What the registry knows about one agent: its versions in registration order, by id and by label. */
export interface AgentState {
  agent: string;
  /** Registration order (stream order). */
  versions: readonly RegisteredVersion[];
  byId: ReadonlyMap<string, RegisteredVersion>;
  byLabel: ReadonlyMap<string, RegisteredVersion>;
  /** The most recently registered version: the base of the next semver decision. */
  latest?: RegisteredVersion;
}

export function initialAgentState(agent: string): AgentState {
  return { agent, versions: [], byId: new Map(), byLabel: new Map() };
}

/**
 * Applies one registration. Idempotent (a version id already known is ignored) and order-tolerant:
 * versions are kept sorted by their stream position, so a registration seen early (applied by the
 * instance that wrote it) and one seen later (from the log) end in the same state.
 */
export function evolveAgent(state: AgentState, version: RegisteredVersion): AgentState {
  if (state.byId.has(version.versionId)) return state;
  const versions = [...state.versions];
  let at = versions.length;
  while (at > 0 && versions[at - 1].sequence > version.sequence) at--;
  versions.splice(at, 0, version);
  return {
    agent: state.agent,
    versions,
    byId: new Map(state.byId).set(version.versionId, version),
    byLabel: new Map(state.byLabel).set(version.label, version),
    latest: versions[versions.length - 1],
  };
}

export function foldAgent(agent: string, versions: Iterable<RegisteredVersion>): AgentState {
  let state = initialAgentState(agent);
  for (const version of versions) state = evolveAgent(state, version);
  return state;
}
