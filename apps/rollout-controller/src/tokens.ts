/** Nest injection tokens of the rollout controller. */
export const CONTROLLER_SETTINGS = Symbol('ROLLOUT_CONTROLLER_SETTINGS');
