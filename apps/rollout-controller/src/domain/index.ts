/** Public surface of the pure rollout domain (decider: decide / evolve / initialState). */
export { decide } from './decide';
export { evolve, evolveAll } from './evolve';
export { currentStage, initialState, isInProgress } from './state';
export type { FleetVersion, Rollout, RolloutAggregateState, RolloutStatus } from './state';
export type * from './commands';
export type * from './events';
export type * from './routing-table';
export type * from './types';
export * from './errors';
export { evaluateGates, evaluateExternalGate, GATE, externalGateName } from './gates';
export { gateAlpha } from './gates';
export { alwaysValidPValue, logEvidenceAbove, proportionBounds } from './sequential';
export { routingTableOf } from './fleet';
export {
  DEFAULT_BLUE_GREEN_STAGES,
  DEFAULT_GATE_THRESHOLDS,
  DEFAULT_PROGRESSIVE_STAGES,
  DEFAULT_ROLLBACK_LIMITS,
  defaultStagesFor,
} from './constants';
export { externalGatesFromQualityGates, InvalidQualityGatesError, resultsFromEvalMetrics, type GateResult, type QualityGateEntry } from './quality-gates';
