import { InvalidAgentVersionError, parseAgentVersion, safeParseAgentVersion } from './index';
import { SHA_A, baseInput } from './agent-version.fixtures';

function issuesOf(input: unknown) {
  const result = safeParseAgentVersion(input);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}

describe('agent version schema', () => {
  it('applies defaults and normalises the code ref, label and endpoint', () => {
    const spec = parseAgentVersion({
      ...baseInput(),
      label: 'v1.3.2',
      code: { ref: SHA_A.toUpperCase() },
      endpoint: 'https://Agents.example.com',
      tools: [{ name: 'search' }],
      policies: { maxSteps: 3, maxCostPerRequestUsd: 0.5, allowedTools: [] },
    });
    expect(spec.label).toBe('1.3.2');
    expect(spec.code.ref).toBe(SHA_A);
    expect(spec.endpoint).toBe('https://agents.example.com/');
    expect(spec.tools[0]).toEqual({ name: 'search', description: '', parameters: { type: 'object', properties: {} }, enabled: true });
  });

  it('names each offending field with a reason', () => {
    const input = baseInput() as Record<string, any>;
    delete input.model.name;
    input.policies.maxSteps = 0;
    input.tools[0].parameters.type = 'string';
    input.code.ref = 'abc123';
    input.surprise = true;
    expect(issuesOf(input)).toEqual(
      expect.arrayContaining([
        { path: 'model.name', message: 'is required' },
        { path: 'policies.maxSteps', message: 'must be ≥ 1' },
        { path: 'tools[0].parameters.type', message: 'must be "object" (tool arguments are an object)' },
        { path: 'code.ref', message: 'must be a full git commit SHA (40 or 64 hex characters)' },
        { path: 'surprise', message: 'unknown field' },
      ]),
    );
  });

  it('refuses duplicate tool names and allowed tools that are not declared', () => {
    const input = baseInput();
    input.tools = [...(input.tools ?? []), { name: 'search' }];
    input.policies.allowedTools = ['search', 'delete_user'];
    expect(issuesOf(input)).toEqual([
      { path: 'tools[2].name', message: 'duplicate tool name `search` (also tools[0])' },
      { path: 'policies.allowedTools[1]', message: 'unknown tool `delete_user` (not declared in tools)' },
    ]);
  });

  it('refuses a non-semver label and a non-http endpoint', () => {
    const issues = issuesOf({ ...baseInput(), label: '1.3', endpoint: 'ftp://x.example' });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'label', message: 'must be a semantic version (e.g. 1.4.0)' },
        { path: 'endpoint', message: 'must be an http(s) URL' },
      ]),
    );
  });

  it('throws a typed error carrying the issues', () => {
    const error = (() => {
      try {
        parseAgentVersion({ ...baseInput(), prompt: {} });
      } catch (e) {
        return e;
      }
    })() as InvalidAgentVersionError;
    expect(error).toBeInstanceOf(InvalidAgentVersionError);
    expect(error.code).toBe('INVALID_AGENT_VERSION');
    expect(error.issues).toEqual([{ path: 'prompt.system', message: 'is required' }]);
    expect(error.message).toContain('prompt.system: is required');
  });

  it('keeps open policy keys (JSON values only)', () => {
    const input = baseInput();
    input.policies = { ...input.policies, piiRedaction: true, budget: { daily: 10 } };
    expect(parseAgentVersion(input).policies).toMatchObject({ piiRedaction: true, budget: { daily: 10 } });
  });
});
