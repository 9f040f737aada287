/**
 * One simulated rollout through the real rollout decider: every window, each live version's traffic is drawn
 * (WindowSampler), turned into metrics.snapshot payloads by the aggregator's code, paired as the controller pairs
 * them (shadow figures beside the baseline's primary ones), and judged by `decide`; `evolve` folds the events.
 * No clock: time is the window's end plus the aggregator's lateness, as the controller would see it.
 */
import type { EventOf } from '../../libs/contracts/src';
import { Prng } from '../../libs/agent-sim/src/prng';
import { SnapshotPairing } from '../../apps/rollout-controller/src/snapshot-pairing';
import type * as Domain from '../../apps/rollout-controller/src/domain';
import { bucketIndexes, snapshotPayloads, type SummaryOfVersion } from './snapshot-builder';
import { WindowSampler, binomial, type VersionBehaviour } from './window-sampler';

export type DomainModule = Pick<typeof Domain, 'decide' | 'evolveAll' | 'initialState' | 'DEFAULT_PROGRESSIVE_STAGES'>;

export interface RolloutScenario {
  name: string;
  requestsPerWindow: number;
  windowMs: number;
  /** Delay between a window's end and its evaluation (the aggregator's allowed lateness). */
  latenessMs: number;
  baseline: VersionBehaviour;
  candidate: VersionBehaviour;
  /** Gate overrides passed to StartRollout (e.g. which policies are compared rather than critical). */
  gates?: Record<string, unknown>;
  /** Give up (count as held) after this many windows. */
  maxWindows: number;
}

export interface RolloutOutcome {
  result: 'rolled-back' | 'completed' | 'held';
  /** Windows from the rollout's start (shadow included) to the decision; the last window for `held`. */
  windows: number;
  /** Event time from the start to the decision, in ms. */
  elapsedMs: number;
  /** Requests the candidate served users (primary, not shadow) before the decision. */
  exposure: number;
  /** Stage index when it ended. */
  stageIndex: number;
  /** Gates that failed, for rollbacks. */
  failedGates: string[];
}

const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const ENVIRONMENT = 'production';
const AGENT = 'sim-agent';
const BASELINE = 'v1';
const CANDIDATE = 'v2';

type Snapshot = EventOf<'metrics.snapshot'>;

export function simulateRollout(domain: DomainModule, scenario: RolloutScenario, seed: number): RolloutOutcome {
  const rng = new Prng(seed);
  const baseline = new WindowSampler(scenario.baseline);
  const candidate = new WindowSampler(scenario.candidate);
  const baselineBuckets = bucketIndexes(baseline.latencyValuesMs);
  const candidateBuckets = bucketIndexes(candidate.latencyValuesMs);
  const pairing = new SnapshotPairing();
  let sequence = 0;
  const meta = (atMs: number) => ({ commandId: `c-${seed}-${++sequence}`, actor: 'bench', at: new Date(atMs).toISOString() });

  let state = domain.initialState();
  const startCommand = {
    type: 'StartRollout' as const,
    data: {
      candidateVersionId: CANDIDATE,
      baselineVersionId: BASELINE,
      strategy: 'rainbow' as const,
      sessionPolicyOnRollback: 'let-finish' as const,
      ...(scenario.gates && { gates: scenario.gates }),
    },
    metadata: meta(T0),
  };
  state = domain.evolveAll(state, domain.decide(startCommand as Parameters<typeof domain.decide>[0], state));
  let exposure = 0;

  for (let w = 0; w < scenario.maxWindows; w++) {
    const rollout = state.rollout!;
    const stage = rollout.stages[rollout.stageIndex]!;
    const startMs = T0 + w * scenario.windowMs;
    const endMs = startMs + scenario.windowMs;
    const total = scenario.requestsPerWindow;
    const versions: SummaryOfVersion[] = [];
    const inShadow = stage.trafficPercent === 0;
    if (inShadow) {
      versions.push({ versionId: BASELINE, role: 'primary', summary: baseline.sample(rng, total), latencyValuesMs: baseline.latencyValuesMs, bucketIndexes: baselineBuckets });
      const mirrored = binomial(rng, total, stage.shadowSampleRate ?? 0.1);
      versions.push({ versionId: CANDIDATE, role: 'shadow', summary: candidate.sample(rng, mirrored), latencyValuesMs: candidate.latencyValuesMs, bucketIndexes: candidateBuckets });
    } else {
      const served = binomial(rng, total, stage.trafficPercent / 100);
      exposure += served;
      versions.push({ versionId: CANDIDATE, role: 'primary', summary: candidate.sample(rng, served), latencyValuesMs: candidate.latencyValuesMs, bucketIndexes: candidateBuckets });
      if (served < total)
        versions.push({ versionId: BASELINE, role: 'primary', summary: baseline.sample(rng, total - served), latencyValuesMs: baseline.latencyValuesMs, bucketIndexes: baselineBuckets });
    }

    for (const payload of snapshotPayloads(ENVIRONMENT, AGENT, startMs, endMs, versions)) {
      const snapshot = { eventId: `s-${seed}-${w}-${payload.role}`, data: { view: 'window', ...payload.data } } as unknown as Snapshot;
      const evaluation = pairing.offer(snapshot, inShadow, CANDIDATE);
      if (!evaluation) continue;
      const command = { type: 'EvaluateSnapshot' as const, data: evaluation, metadata: meta(endMs + scenario.latenessMs) };
      const events = domain.decide(command as Parameters<typeof domain.decide>[0], state);
      state = domain.evolveAll(state, events);
      const ended = events.find((e) => e.type === 'RolledBack' || e.type === 'RolloutCompleted' || e.type === 'RolloutPaused');
      if (ended) {
        const failedGates = ended.type === 'RolledBack' || ended.type === 'RolloutPaused' ? ended.data.verdicts.filter((v) => v.status === 'failed').map((v) => v.gate) : [];
        return {
          result: ended.type === 'RolloutCompleted' ? 'completed' : 'rolled-back',
          windows: w + 1,
          elapsedMs: endMs + scenario.latenessMs - T0,
          exposure,
          stageIndex: state.rollout!.stageIndex,
          failedGates,
        };
      }
    }
  }
  return { result: 'held', windows: scenario.maxWindows, elapsedMs: scenario.maxWindows * scenario.windowMs, exposure, stageIndex: state.rollout!.stageIndex, failedGates: [] };
}
