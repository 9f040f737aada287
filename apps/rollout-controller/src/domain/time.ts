import { InvalidRolloutCommandError } from './errors';
import type { IsoTimestamp } from './types';

/** ISO timestamp → epoch ms; pure (no clock), rejects garbage with a typed error. */
export function toEpochMs(timestamp: IsoTimestamp, field = 'at'): number {
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) throw new InvalidRolloutCommandError(`${field} is not an ISO timestamp: ${JSON.stringify(timestamp)}`);
  return ms;
}
