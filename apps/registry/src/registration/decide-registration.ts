import { assignLabel, hashAgentVersion, requiredBumpBetween, type AgentVersionSpec, type BumpDecision } from '../domain';
import type { AgentState } from './agent-state';
import type { RegisteredVersion, VersionRegisteredData } from './registered-version';
import { RegistryError } from './registry-errors';

/** Register this tuple as a version of `agent` (the spec's optional label is the requested label). */
export interface RegisterVersion {
  agent: string;
  spec: AgentVersionSpec;
  registeredBy: string;
  notes?: string;
  labels?: Record<string, string>;
}

export type RegistrationDecision =
  /** Identical content is already registered: nothing to append (idempotent). */
  | { kind: 'existing'; version: RegisteredVersion }
  /** A new version: append `registry.version.registered` with this payload. */
  | { kind: 'register'; data: VersionRegisteredData };

const MAX_REASON_LENGTH = 512;

/**
 * The registry's decider (pure): the version id is the content hash, so identical content is the
 * same version; a new version's label is the requested one if the diff with the agent's latest
 * version allows it (semver rules), else the next label for the required bump. Refusals throw RegistryError.
 */
export function decideRegistration(state: AgentState, command: RegisterVersion): RegistrationDecision {
  const { label: requested, ...spec } = command.spec;
  const hashes = hashAgentVersion(command.spec);

  const same = state.byId.get(hashes.id);
  if (same) {
    if (requested === undefined || requested === same.label) return { kind: 'existing', version: same };
    throw new RegistryError(
      'ALREADY_REGISTERED_AS',
      `identical content is already registered as ${same.label} (${same.versionId}); a version's label cannot change, request ${same.label} or no label`,
      { conflictingVersion: { versionId: same.versionId, label: same.label } },
    );
  }

  if (requested !== undefined) {
    const holder = state.byLabel.get(requested);
    if (holder) {
      throw new RegistryError('LABEL_TAKEN', `label ${requested} is already used by ${holder.versionId} of ${state.agent}; versions are immutable, choose another label`, {
        conflictingVersion: { versionId: holder.versionId, label: holder.label },
      });
    }
  }

  const previous = state.latest;
  const decision: BumpDecision = previous ? requiredBumpBetween(previous.spec, command.spec) : { bump: 'none', reasons: [] };
  const assigned = assignLabel(requested, previous?.label, decision);
  if (!assigned.ok) {
    const reasons = decision.reasons.map((r) => `${r.bump}: ${r.message}`);
    switch (assigned.code) {
      case 'BUMP_TOO_SMALL':
        throw new RegistryError('BUMP_TOO_SMALL', assigned.reason, { reasons });
      case 'NOT_GREATER':
        throw new RegistryError('LABEL_NOT_GREATER', assigned.reason, { reasons, conflictingVersion: previous && { versionId: previous.versionId, label: previous.label } });
      case 'INVALID_LABEL':
        throw new RegistryError('INVALID_AGENT_VERSION', assigned.reason, { issues: [{ path: 'label', message: assigned.reason }] });
      default: {
        const unreachable: never = assigned.code;
        throw new Error(`unexpected label rejection ${String(unreachable)}`);
      }
    }
  }

  return {
    kind: 'register',
    data: {
      agent: state.agent,
      versionId: hashes.id,
      label: assigned.label,
      digest: hashes.digest,
      layers: hashes.layers,
      spec: spec as Record<string, unknown>,
      model: `${spec.model.provider}/${spec.model.name}`,
      ...(spec.endpoint !== undefined && { endpoint: spec.endpoint }),
      previousVersionId: previous?.versionId ?? null,
      bump: decision.bump,
      bumpReasons: decision.reasons.map((r) => truncate(r.message)),
      registeredBy: command.registeredBy,
      ...(command.notes !== undefined && { notes: command.notes }),
      ...(command.labels !== undefined && { labels: command.labels }),
    },
  };
}

function truncate(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 3)}...`;
}
