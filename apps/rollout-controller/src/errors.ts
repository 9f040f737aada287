/** Errors of the rollout-controller shell (the domain's own are in ./domain/errors). */

/** The caller acted on a version of the rollout that is no longer current (If-Match mismatch or lost race). */
export class StaleRolloutVersionError extends Error {
  readonly code = 'STALE_ROLLOUT_VERSION';
  constructor(
    readonly agent: string,
    readonly expected: bigint,
    readonly actual: bigint | undefined,
  ) {
    super(`rollout of ${agent} is at version ${actual ?? 'unknown'}, not ${expected}; reload and retry`);
    this.name = 'StaleRolloutVersionError';
  }
}

/** A version named by a command is not (yet) known from the registry. */
export class UnregisteredVersionError extends Error {
  readonly code = 'UNREGISTERED_VERSION';
  constructor(
    readonly agent: string,
    readonly versionId: string,
    readonly field: string,
  ) {
    super(`${field}: version ${versionId} of ${agent} is not registered (or not yet seen from the registry)`);
    this.name = 'UnregisteredVersionError';
  }
}

/** Environment promotion: the version has not completed a rollout in the environment this one promotes from. */
export class PromotionRequiredError extends Error {
  readonly code = 'PROMOTION_REQUIRED';
  constructor(
    readonly agent: string,
    readonly versionId: string,
    readonly fromEnvironment: string,
  ) {
    super(`version ${versionId} of ${agent} must complete a rollout in ${fromEnvironment} before it can start here`);
    this.name = 'PromotionRequiredError';
  }
}
