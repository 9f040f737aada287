import { diffVersions } from './index';
import { SHA_B, version } from './agent-version.fixtures';

describe('diffVersions', () => {
  const a = version();
  const b = version((v) => {
    v.code.ref = SHA_B;
    v.endpoint = 'https://agent.example.com/v2';
    v.model.params = { temperature: 0.2, top_p: 0.9 };
    v.prompt.system = 'You are a helpful customer support agent.\nBe brief.\n';
    v.prompt.examples = [{ input: 'hi', output: 'hello' }];
    const search = v.tools![0].parameters as Record<string, any>;
    search.properties.query.type = 'number';
    search.properties.limit = { type: 'integer' };
    v.tools![1].description = 'Send an e-mail';
    v.tools!.push({ name: 'lookup_order', enabled: false });
    v.policies.maxSteps = 12;
    v.policies.piiRedaction = true;
  });
  const diff = diffVersions(a, b);

  it('is plain JSON naming both ids and the changed layers', () => {
    expect(JSON.parse(JSON.stringify(diff))).toEqual(diff);
    expect(diff.identical).toBe(false);
    expect(diff.changedLayers).toEqual(['code', 'model', 'prompt', 'tools', 'policies']);
  });

  it('reports code ref and endpoint', () => {
    expect(diff.code).toEqual({ changed: true, ref: { before: 'a'.repeat(40), after: SHA_B }, endpoint: { before: null, after: 'https://agent.example.com/v2' } });
  });

  it('reports model params key by key', () => {
    expect(diff.model).toEqual({
      changed: true,
      params: [
        { key: 'max_tokens', kind: 'removed', before: 2000 },
        { key: 'temperature', kind: 'changed', before: 0.7, after: 0.2 },
        { key: 'top_p', kind: 'added', after: 0.9 },
      ],
    });
  });

  it('reports the prompt as a unified line diff, examples as added/removed', () => {
    expect(diff.prompt.system.unified).toBe(['--- a/prompt.system', '+++ b/prompt.system', '@@ -1,2 +1,2 @@', ' You are a helpful customer support agent.', '-Be kind.', '+Be brief.', ''].join('\n'));
    expect(diff.prompt.instructions.changed).toBe(false);
    expect(diff.prompt.examples).toEqual({ added: [{ index: 0, input: 'hi', output: 'hello' }], removed: [] });
  });

  it('reports tools added / removed / changed with schema paths and breaking flags', () => {
    expect(diff.tools.added).toEqual([{ name: 'lookup_order', enabled: false }]);
    expect(diff.tools.removed).toEqual([]);
    expect(diff.tools.changed).toEqual([
      {
        name: 'search',
        breaking: true,
        changes: [
          { path: 'parameters.properties.limit', kind: 'added', after: { type: 'integer' }, breaking: false, summary: 'parameters.properties.limit: added (optional)' },
          { path: 'parameters.properties.query.type', kind: 'changed', before: 'string', after: 'number', breaking: true, summary: 'parameters.properties.query.type: string → number' },
        ],
      },
      {
        name: 'send_email',
        breaking: false,
        changes: [{ path: 'description', kind: 'changed', before: 'Send an email', after: 'Send an e-mail', breaking: false, summary: 'description: Send an email → Send an e-mail' }],
      },
    ]);
  });

  it('reports policies key by key', () => {
    expect(diff.policies.keys).toEqual([
      { key: 'maxSteps', kind: 'changed', before: 10, after: 12 },
      { key: 'piiRedaction', kind: 'added', after: true },
    ]);
  });

  it('finds nothing between versions that differ only in order', () => {
    const same = diffVersions(a, version((v) => void v.tools!.reverse()));
    expect(same).toMatchObject({ identical: true, changedLayers: [], tools: { added: [], removed: [], changed: [] }, policies: { changed: false } });
  });

  it('classifies schema widening and narrowing', () => {
    const typed = (type: unknown, extra: object = {}) =>
      version((v) => void ((v.tools![0].parameters as Record<string, any>).properties.query = { type, ...extra }));
    const change = (x: ReturnType<typeof typed>, y: ReturnType<typeof typed>) => diffVersions(x, y).tools.changed[0].changes[0];
    expect(change(typed('string'), typed(['string', 'null'])).breaking).toBe(false);
    expect(change(typed(['string', 'null']), typed('string')).breaking).toBe(true);
    expect(change(typed('integer'), typed('number')).breaking).toBe(false);
    expect(change(typed('string'), typed('string', { maxLength: 10 })).breaking).toBe(true);
    expect(change(typed('string', { maxLength: 10 }), typed('string', { maxLength: 20 })).breaking).toBe(false);
    expect(change(typed('string', { pattern: '^a' }), typed('string')).breaking).toBe(false);
  });
});
