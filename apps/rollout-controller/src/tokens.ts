/** Nest injection tokens of the rollout controller. */
export const CONTROLLER_SETTINGS = Symbol('ROLLOUT_CONTROLLER_SETTINGS');
export const PROMOTION_LEDGER = Symbol('ROLLOUT_PROMOTION_LEDGER');
