import type {
  EvaluateSnapshot,
  RecordExternalGate,
  ReportLiveSessions,
  RolloutCommand,
  StartRollout,
} from '../commands';
import type { Figures, StageSpec } from '../types';

const T0 = Date.parse('2025-01-31T12:00:00.000Z');
export const MINUTE = 60_000;

/** ISO timestamp `minutes` after the test epoch. */
export const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();

let sequence = 0;
const meta = (minutes: number, commandId?: string) => ({ commandId: commandId ?? `cmd-${++sequence}`, actor: 'test@iris', at: at(minutes) });

/** Three short stages: shadow, 10 %, 100 %; 10 minutes and 100 samples each. */
export const SHORT_STAGES: StageSpec[] = [
  { name: 'shadow', trafficPercent: 0, minDurationMs: 10 * MINUTE, minSamples: 100, shadowSampleRate: 0.5 },
  { name: 'ten', trafficPercent: 10, minDurationMs: 10 * MINUTE, minSamples: 100 },
  { name: 'full', trafficPercent: 100, minDurationMs: 10 * MINUTE, minSamples: 100 },
];

export const start = (
  minutes: number,
  data: Partial<StartRollout['data']> = {},
  commandId?: string,
): StartRollout => ({
  type: 'StartRollout',
  // The shadow-exit checklist has its own specs; elsewhere operators may leave shadow at any time.
  data: { candidateVersionId: 'v2', baselineVersionId: 'v1', strategy: 'rainbow', stages: SHORT_STAGES, sessionPolicyOnRollback: 'let-finish', shadowExitChecklist: [], ...data },
  metadata: meta(minutes, commandId),
});

type Simple<T extends RolloutCommand['type']> = Extract<RolloutCommand, { type: T }>;
const simple =
  <T extends 'Advance' | 'Pause' | 'Resume' | 'Promote' | 'Abort' | 'RollBack' | 'Tick'>(type: T, defaults: Simple<T>['data']) =>
  (minutes: number, data: Partial<Simple<T>['data']> = {}, commandId?: string): Simple<T> =>
    ({ type, data: { ...defaults, ...data }, metadata: meta(minutes, commandId) }) as Simple<T>;

export const advance = simple('Advance', {});
export const pause = simple('Pause', { reason: 'investigating' });
export const resume = simple('Resume', {});
export const promote = simple('Promote', {});
export const abort = simple('Abort', { reason: 'wrong build' });
export const rollBack = simple('RollBack', { reason: 'customer complaints' });
export const tick = simple('Tick', {});

export const HEALTHY: Figures = { requests: 1_000, errorRate: 0.01, p99LatencyMs: 500, costPerRequest: 0.01, policyViolations: 0 };

export const snapshot = (
  minutes: number,
  windowFromMinutes: number,
  versions: Record<string, Figures>,
  snapshotEventId?: string,
  commandId?: string,
): EvaluateSnapshot => ({
  type: 'EvaluateSnapshot',
  data: { snapshotEventId: snapshotEventId ?? `snap-${++sequence}`, windowStart: at(windowFromMinutes), windowEnd: at(minutes), versions },
  metadata: meta(minutes, commandId),
});

/** Candidate v2 and baseline v1 both healthy over [from, minutes]. */
export const healthySnapshot = (minutes: number, from: number, candidate: Record<string, number> = {}) =>
  snapshot(minutes, from, { v1: HEALTHY, v2: { ...HEALTHY, ...candidate } });

export const externalGate = (minutes: number, data: RecordExternalGate['data'], commandId?: string): RecordExternalGate => ({
  type: 'RecordExternalGate',
  data,
  metadata: meta(minutes, commandId),
});

export const liveSessions = (minutes: number, versionId: string, count: number, commandId?: string): ReportLiveSessions => ({
  type: 'ReportLiveSessions',
  data: { versionId, liveSessions: count },
  metadata: meta(minutes, commandId),
});

/** A kill of the kill switch as the shell hands it over: `versionId` everywhere, or (null) the whole agent but `spare`. */
export const applyKill = (minutes: number, killId: string, versionId: string | null, patch: Partial<Extract<RolloutCommand, { type: 'ApplyKill' }>['data']> = {}): RolloutCommand => ({
  type: 'ApplyKill',
  data: { killId, reason: 'hallucinations', versionId, onKill: 'migrate', ...patch },
  metadata: meta(minutes, `kill:${killId}`),
});
