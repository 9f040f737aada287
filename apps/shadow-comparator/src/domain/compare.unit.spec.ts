import { classifyToolSequence, comparePair } from './compare';
import type { RunRecord } from './run';
import { EmbeddingCosineScorer, NormalisedTokenScorer, normaliseText } from './scorer';

const call = (name: string, argsHash = 'a') => ({ name, argsHash });

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  role: 'primary',
  environment: 'production',
  agent: 'support-bot',
  versionId: 'v1',
  sessionId: 's1',
  requestId: 'r1',
  atMs: 0,
  latencyMs: 100,
  costUsd: 0.01,
  tools: [call('lookup_order'), call('issue_refund')],
  outputDigest: 'd1',
  violations: [],
  error: null,
  ...over,
});

describe('tool sequence', () => {
  it.each([
    [['a', 'b'], ['a', 'b'], 'identical'],
    [['a', 'b'], ['b', 'a'], 'reordered'],
    [['a'], ['a', 'b'], 'added'],
    [['a', 'b'], ['b'], 'removed'],
    [['a', 'b'], ['a', 'c'], 'changed'],
    [[], [], 'identical'],
  ] as const)('%j → %j is %s', (baseline, candidate, expected) => {
    expect(classifyToolSequence(baseline.map((n) => call(n)), candidate.map((n) => call(n)))).toBe(expected);
  });

  it('the same tool with other arguments is a change', () => {
    expect(classifyToolSequence([call('a', 'x')], [call('a', 'y')])).toBe('changed');
  });
});

describe('comparePair', () => {
  it('an identical run differs in nothing', () => {
    const c = comparePair(run(), run({ role: 'shadow', versionId: 'v2' }));
    expect(c).toMatchObject({ toolSequence: 'identical', outputEqual: true, differences: [], divergence: 0, newViolations: [], errorMismatch: 'none' });
  });

  it('a dropped tool is a removed tool and a decision difference', () => {
    const c = comparePair(run(), run({ tools: [call('lookup_order')] }));
    expect(c).toMatchObject({ toolSequence: 'removed', removedTools: ['issue_refund'], addedTools: [], differences: ['decision', 'tool-sequence'] });
  });

  it('cost and latency deltas are shadow minus primary; new violations are the shadow’s own', () => {
    const c = comparePair(run({ violations: ['pii.echo'] }), run({ costUsd: 0.013, latencyMs: 150, violations: ['pii.echo', 'tone'] }));
    expect(c.costDeltaUsd).toBeCloseTo(0.003);
    expect(c.latencyDeltaMs).toBe(50);
    expect(c.newViolations).toEqual(['tone']);
    expect(c.differences).toContain('new-violation');
  });

  it('error mismatches name the side that errored', () => {
    expect(comparePair(run(), run({ error: 'timeout' })).errorMismatch).toBe('candidate-only');
    expect(comparePair(run({ error: 'timeout' }), run()).errorMismatch).toBe('baseline-only');
    expect(comparePair(run({ error: 'timeout' }), run({ error: 'model_error' })).errorMismatch).toBe('none');
  });

  it('with both texts shipped, a reworded but equivalent output is an output difference, not a decision difference', () => {
    const scorer = new NormalisedTokenScorer();
    const c = comparePair(run({ outputDigest: 'd1', output: 'Your refund for order 1042 is on its way.' }), run({ outputDigest: 'd2', output: 'your refund, for order 1042, is on its way!' }), { scorer });
    expect(c.similarity).toBe(1);
    expect(c.differences).toEqual(['output']);
    const other = comparePair(run({ outputDigest: 'd1', output: 'Refund issued.' }), run({ outputDigest: 'd2', output: 'I cannot help with that request.' }), { scorer });
    expect(other.similarity).toBeLessThan(0.5);
    expect(other.differences).toEqual(['decision', 'output']);
  });

  it('without texts, another digest is a decision difference', () => {
    expect(comparePair(run(), run({ outputDigest: 'd2' })).differences).toEqual(['decision', 'output']);
  });
});

describe('scorers', () => {
  it('normalisation ignores case, punctuation and spacing', () => {
    expect(normaliseText('  Hello,   WORLD!! ')).toBe('hello world');
  });

  it('the token scorer is Dice over word multisets', () => {
    expect(new NormalisedTokenScorer().score('a b c d', 'a b x y')).toBe(0.5);
    expect(new NormalisedTokenScorer().score('', '')).toBe(1);
  });

  it('the embedding scorer ranks a paraphrase above an unrelated answer', () => {
    const scorer = new EmbeddingCosineScorer();
    const base = 'Your refund for order 1042 has been requested.';
    expect(scorer.score(base, base)).toBeCloseTo(1);
    expect(scorer.score(base, 'The refund for your order 1042 was requested.')).toBeGreaterThan(scorer.score(base, 'Please contact the billing team tomorrow.'));
  });

  it('an embedding scorer takes any embedding function', () => {
    const scorer = new EmbeddingCosineScorer((text) => [text.length, 1], 'length');
    expect(scorer.name).toBe('length');
    expect(scorer.score('ab', 'ab')).toBeCloseTo(1);
  });
});
