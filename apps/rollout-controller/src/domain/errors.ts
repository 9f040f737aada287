/** Typed domain errors; the shell maps `code` to a transport outcome (e.g. 409, 404, 400). */
export enum RolloutErrorCode {
  Conflict = 'ROLLOUT_CONFLICT',
  NoActiveRollout = 'NO_ACTIVE_ROLLOUT',
  Paused = 'ROLLOUT_PAUSED',
  Cooldown = 'ROLLOUT_COOLDOWN',
  InvalidCommand = 'INVALID_ROLLOUT_COMMAND',
  UnknownVersion = 'UNKNOWN_VERSION',
  PreflightFailed = 'PREFLIGHT_FAILED',
}

export abstract class RolloutDomainError extends Error {
  abstract readonly code: RolloutErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** 409-like: the command contradicts the rollout's current state (start while running, resume when not paused, …). */
export class RolloutConflictError extends RolloutDomainError {
  readonly code = RolloutErrorCode.Conflict;
}

export class NoActiveRolloutError extends RolloutDomainError {
  readonly code = RolloutErrorCode.NoActiveRollout;
  constructor(command: string) {
    super(`${command} needs a running or paused rollout`);
  }
}

/** Advancing or promoting a paused rollout: resume it first. */
export class RolloutPausedError extends RolloutDomainError {
  readonly code = RolloutErrorCode.Paused;
  constructor(command: string, readonly pausedReason: string) {
    super(`${command} refused: the rollout is paused (${pausedReason})`);
  }
}

export class RolloutCooldownError extends RolloutDomainError {
  readonly code = RolloutErrorCode.Cooldown;
  constructor(readonly retryAfterMs: number) {
    super(`an automatic rollback happened recently; a new rollout may start in ${retryAfterMs} ms`);
  }
}

export class InvalidRolloutCommandError extends RolloutDomainError {
  readonly code = RolloutErrorCode.InvalidCommand;
}

export class UnknownVersionError extends RolloutDomainError {
  readonly code = RolloutErrorCode.UnknownVersion;
  constructor(readonly versionId: string) {
    super(`version ${versionId} is not part of this fleet`);
  }
}

/** A checklist item that did not hold: at start (the caller's preflight) or when leaving shadow (the shadow-exit checklist). */
export interface FailedCheck {
  readonly name: string;
  readonly passed: false;
  readonly detail?: string;
}

export class PreflightFailedError extends RolloutDomainError {
  readonly code = RolloutErrorCode.PreflightFailed;
  constructor(
    readonly failedChecks: FailedCheck[],
    context = 'preflight failed',
  ) {
    super(`${context}: ${failedChecks.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join('; ')}`);
  }
}
