import type { Kill } from './types';

/** An environment's kill set as the log folds it. */
export interface KillSetState {
  /** Grows by one with every change (0: nothing ever happened). */
  revision: number;
  /** Kills in force, in the order they were engaged. */
  kills: Kill[];
  /** Configured safe fallback version per agent. */
  fallbacks: Record<string, string>;
  /** Recent command ids (bounded): a redelivered command decides nothing. */
  handledCommandIds: string[];
}

export const IDEMPOTENCY_WINDOW = 1_000;

export function initialState(): KillSetState {
  return { revision: 0, kills: [], fallbacks: {}, handledCommandIds: [] };
}

export function findKill(state: KillSetState, killId: string): Kill | undefined {
  return state.kills.find((kill) => kill.killId === killId);
}
