import type { VersionStatus } from '../read-model';
import type { RegisteredVersion } from '../registration';
import type { RegistrationResult } from '../version-registrar';

/** One line of a version listing. */
export function versionSummary(version: RegisteredVersion, status: VersionStatus) {
  return {
    versionId: version.versionId,
    label: version.label,
    digest: version.digest,
    model: version.model,
    endpoint: version.endpoint ?? null,
    bump: version.bump,
    previousVersionId: version.previousVersionId,
    registeredAt: version.registeredAt,
    registeredBy: version.registeredBy,
    status,
  };
}

/** A version with its full tuple, hashes and metadata. */
export function versionDetail(version: RegisteredVersion, status: VersionStatus) {
  return {
    agent: version.agent,
    ...versionSummary(version, status),
    layers: version.layers,
    bumpReasons: version.bumpReasons,
    notes: version.notes ?? null,
    labels: version.labels ?? {},
    spec: version.spec,
  };
}

/** The answer to a registration (201 created, 200 already registered). */
export function registrationView({ created, version }: RegistrationResult) {
  return {
    created,
    agent: version.agent,
    versionId: version.versionId,
    label: version.label,
    digest: version.digest,
    layers: version.layers,
    bump: version.bump,
    bumpReasons: version.bumpReasons,
    previousVersionId: version.previousVersionId,
    registeredAt: version.registeredAt,
    registeredBy: version.registeredBy,
  };
}
