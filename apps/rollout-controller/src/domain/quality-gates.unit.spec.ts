import { parseYaml } from '@iris/contracts';
import { InvalidRolloutCommandError } from './errors';
import { evolveAll } from './evolve';
import { initialState } from './state';
import { given, history } from './testing/decider-specification';
import { advance, externalGate, start } from './testing/builders';
import { externalGatesFromQualityGates, InvalidQualityGatesError, resultsFromEvalMetrics } from './quality-gates';
import { SEED_QUALITY_GATES } from './testing/quality-gates';

describe('quality_gates.yaml', () => {
  const gates = externalGatesFromQualityGates(parseYaml(SEED_QUALITY_GATES));

  it('every gate of the seed file becomes an external gate with its bound and source', () => {
    expect(gates).toEqual([
      { name: 'quality_score', min: 0.85, source: { metric: 'offline_quality_score' } },
      { name: 'safety_score', min: 0.95, source: { metric: 'safety_checker_score' } },
      { name: 'regression_tests', min: 1, source: { testSuite: 'critical_scenarios' } },
      { name: 'latency', max: 2000, source: { metric: 'p95_latency_ms' } },
      { name: 'cost', max: 0.5, source: { metric: 'avg_cost_per_request' } },
    ]);
  });

  it("the seed's metrics dict gives one result per gate; absent metrics are named", () => {
    const metrics = {
      offline_quality_score: 0.87,
      safety_checker_score: 0.96,
      critical_scenarios: [{ name: 'test_1', passed: true }, { name: 'test_2', passed: true }, { name: 'test_3', passed: false }],
      p95_latency_ms: 1500,
    };
    expect(resultsFromEvalMetrics(gates, metrics)).toEqual({
      results: [
        { name: 'quality_score', value: 0.87 },
        { name: 'safety_score', value: 0.96 },
        { name: 'regression_tests', value: 2 / 3 },
        { name: 'latency', value: 1500 },
      ],
      missing: ['cost'],
    });
  });

  it('a rollout holds its stage until every quality gate passed; a failed one rolls back', () => {
    const events = history(start(0, { gates: { external: gates } }), advance(1));
    const passing = [
      externalGate(2, { name: 'quality_score', value: 0.9 }),
      externalGate(2, { name: 'safety_score', value: 0.99 }),
      externalGate(2, { name: 'regression_tests', value: 1 }),
      externalGate(2, { name: 'latency', value: 1500 }),
    ];
    const afterPassing = [...events];
    for (const command of passing) afterPassing.push(...given(afterPassing).when(command).thenMatches([{ type: 'ExternalGateRecorded' }]));
    expect(evolveAll(initialState(), afterPassing).rollout?.status).toBe('running');
    given(afterPassing).when(externalGate(3, { name: 'cost', value: 0.7 })).thenMatches([{ type: 'ExternalGateRecorded', data: { verdict: { status: 'failed' } } }, { type: 'RolledBack' }, { type: 'RoutingTableChanged' }]);
  });

  it('refuses what is not a gates file', () => {
    expect(() => externalGatesFromQualityGates({ gates: [{ name: 'x', type: 'vibes' }] })).toThrow(InvalidRolloutCommandError);
    expect(() => externalGatesFromQualityGates({})).toThrow(InvalidRolloutCommandError);
  });

  it('checks every field at start, naming each offending one, so nothing is judged on nonsense later', () => {
    const issuesOf = (file: unknown) => {
      try {
        externalGatesFromQualityGates(file);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidQualityGatesError);
        return (error as InvalidQualityGatesError).issues;
      }
    };
    expect(
      issuesOf({
        gates: [
          { name: 'regression', type: 'test_suite', test_suite: 'critical', min_pass_rate: 'high' },
          { name: 'latency', type: 'threshold', metric: 'p95', threshold: '2000', operator: '=<' },
          { name: 'latency', type: 'test_suite', test_suite: 'x', min_pas_rate: 0.9 },
          { name: 'big', type: 'test_suite', test_suite: 'x', min_pass_rate: 95 },
        ],
        extra: true,
      }),
    ).toEqual([
      { field: 'extra', reason: expect.stringContaining('not a quality-gates key') },
      { field: 'gates[0].min_pass_rate', reason: expect.stringContaining('from 0 to 1') },
      { field: 'gates[1].threshold', reason: 'must be a number' },
      { field: 'gates[1].operator', reason: 'must be one of >=, <=, >, <, ==' },
      { field: 'gates[2].name', reason: 'latency names another gate too' },
      { field: 'gates[2].min_pas_rate', reason: expect.stringContaining('is not a field of a test_suite gate') },
      { field: 'gates[3].min_pass_rate', reason: expect.stringContaining('from 0 to 1') },
    ]);
    expect(issuesOf({ gates: [] })).toEqual([{ field: 'gates', reason: 'must be a non-empty list of gates' }]);
    expect(issuesOf(parseYaml(SEED_QUALITY_GATES))).toEqual([]);
  });
});
