import { createEvent, EXAMPLES, type EventOf } from '@iris/contracts';
import { decide, evolve, initialState, type RolloutAggregateState, type RolloutCommand } from './domain';
import { history } from './domain/testing/decider-specification';
import { at, healthySnapshot, start } from './domain/testing/builders';
import { shadowReportCommand } from './shadow-report-gate';

const stateAfter = (...commands: RolloutCommand[]): RolloutAggregateState => history(...commands).reduce(evolve, initialState());

const report = (minutes: number, patch: Partial<EventOf<'shadow.report'>['data']> = {}) =>
  createEvent('shadow.report', {
    ...EXAMPLES['shadow.report'].data,
    agent: 'support-bot',
    baselineVersionId: 'v1',
    candidateVersionId: 'v2',
    windowStart: at(minutes - 1),
    windowEnd: at(minutes),
    ...patch,
  });

describe('the rollout controller gates its shadow stage on shadow reports', () => {
  it('given a rollout in shadow, when a failing shadow report arrives, then the candidate is rolled back with the report as the failed gate', () => {
    const state = stateAfter(start(0));
    const command = shadowReportCommand(report(2, { verdict: 'fail', decisionDifferenceRate: 0.9, noiseFloorRate: 0.3 }), state.rollout)!;
    expect(command).toMatchObject({ type: 'RecordExternalGate', data: { name: 'shadow-report', passed: false } });
    expect(command.data.value).toBeCloseTo(0.6);
    const events = decide(command, state);
    expect(events.map((e) => e.type)).toContain('RolledBack');
    expect(events.find((e) => e.type === 'RolledBack')!.data).toMatchObject({ trigger: 'automatic', reason: 'gates failed: external:shadow-report' });
  });

  it('given a rollout in shadow, when a passing report arrives, then it is recorded and nothing is rolled back', () => {
    const state = stateAfter(start(0));
    const events = decide(shadowReportCommand(report(2, { verdict: 'pass' }), state.rollout)!, state);
    expect(events.map((e) => e.type)).toContain('ExternalGateRecorded');
    expect(events.map((e) => e.type)).not.toContain('RolledBack');
  });

  it('ignores reports that do not concern the shadow stage: another candidate or baseline, a window before the stage, too few pairs, a later stage', () => {
    const inShadow = stateAfter(start(0)).rollout;
    expect(shadowReportCommand(report(2, { candidateVersionId: 'v9', verdict: 'fail' }), inShadow)).toBeUndefined();
    expect(shadowReportCommand(report(2, { baselineVersionId: 'v0', verdict: 'fail' }), inShadow)).toBeUndefined();
    expect(shadowReportCommand(report(0, { verdict: 'fail' }), inShadow)).toBeUndefined();
    expect(shadowReportCommand(report(2, { verdict: 'insufficient' }), inShadow)).toBeUndefined();
    const inCanary = stateAfter(start(0), healthySnapshot(10, 0)).rollout;
    expect(inCanary!.stageIndex).toBeGreaterThan(0);
    expect(shadowReportCommand(report(12, { verdict: 'fail' }), inCanary)).toBeUndefined();
    expect(shadowReportCommand(report(2, { verdict: 'fail' }), undefined)).toBeUndefined();
  });

  it('the same report gives the same command id (a redelivered report changes nothing)', () => {
    const r = report(2, { verdict: 'fail' });
    const rollout = stateAfter(start(0)).rollout;
    expect(shadowReportCommand(r, rollout)!.metadata.commandId).toBe(shadowReportCommand(r, rollout)!.metadata.commandId);
  });
});
