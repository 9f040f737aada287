/** Why the kill switch refused a command; the HTTP shell maps each code to one status. */
export type KillSwitchErrorCode =
  | 'INVALID_KILL'
  | 'KILL_EXISTS'
  | 'KILL_NOT_FOUND'
  | 'TOO_MANY_KILLS'
  | 'UNKNOWN_AGENT'
  | 'UNKNOWN_VERSION'
  | 'NO_ROUTE_LEFT';

export interface FieldReason {
  field: string;
  reason: string;
}

export class KillSwitchError extends Error {
  constructor(
    readonly code: KillSwitchErrorCode,
    message: string,
    readonly details: { errors?: FieldReason[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'KillSwitchError';
  }
}
