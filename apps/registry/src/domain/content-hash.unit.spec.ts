import { VERSION_ID_PATTERN, canonicalJson, hashAgentVersion, NotCanonicalizableError, parseAgentVersion } from './index';
import { baseInput, version } from './agent-version.fixtures';

describe('canonicalJson', () => {
  it('sorts keys recursively, drops whitespace and normalises numbers', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: -0 }], a: 1.0, c: 1e3, d: undefined, e: 'é"\n' })).toBe('{"a":1,"b":[3,{"a":0,"z":1}],"c":1000,"e":"é\\"\\n"}');
  });

  it('refuses values without a JSON form', () => {
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow(NotCanonicalizableError);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow('not a plain object');
  });
});

describe('content hash', () => {
  it('has the documented id format and one hash per layer', () => {
    const hashes = hashAgentVersion(version());
    expect(hashes.id).toMatch(VERSION_ID_PATTERN);
    expect(hashes.digest.startsWith(hashes.id)).toBe(true);
    expect(Object.keys(hashes.layers)).toEqual(['code', 'model', 'prompt', 'tools', 'policies']);
    for (const digest of Object.values(hashes.layers)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is independent of key order, tool order, allowedTools order, required order and defaults', () => {
    const a = version();
    const input = baseInput();
    const reordered = {
      policies: { allowedTools: ['send_email', 'search', 'search'], maxCostPerRequestUsd: 1.0, maxSteps: 10 },
      tools: [...input.tools!].reverse().map((tool) => {
        const parameters = tool.parameters as { required: string[]; properties: object; type: string };
        return { enabled: tool.enabled, parameters: { required: [...parameters.required].reverse(), properties: parameters.properties, type: parameters.type }, description: tool.description, name: tool.name };
      }),
      prompt: { examples: [], instructions: input.prompt.instructions, system: input.prompt.system },
      model: { params: { max_tokens: 2000, temperature: 0.7 }, name: 'gpt-4', provider: 'openai' },
      code: input.code,
      label: '9.9.9',
    };
    expect(hashAgentVersion(parseAgentVersion(reordered))).toEqual(hashAgentVersion(a));
  });

  it('changes exactly the hash of the layer that changed', () => {
    const a = hashAgentVersion(version());
    const b = hashAgentVersion(version((v) => void (v.prompt.system = 'Different.')));
    expect(b.id).not.toBe(a.id);
    expect(b.layers.prompt).not.toBe(a.layers.prompt);
    expect({ ...b.layers, prompt: '' }).toEqual({ ...a.layers, prompt: '' });
  });

  it('keeps the order of few-shot examples significant', () => {
    const examples = [{ input: '1', output: 'a' }, { input: '2', output: 'b' }];
    const a = hashAgentVersion(version((v) => void (v.prompt.examples = examples)));
    const b = hashAgentVersion(version((v) => void (v.prompt.examples = [...examples].reverse())));
    expect(a.id).not.toBe(b.id);
  });
});
