import { InvalidAgentVersionError, hashAgentVersion, parseAgentVersionYaml, renderAgentVersionYaml } from './index';
import { SHA_A, version } from './agent-version.fixtures';

/** The example config of seed 002 (`agents/support-agent/v1.3.2.yaml`), indented. */
const SEED_EXAMPLE = `version: "v1.3.2"
model:
  provider: "openai"
  name: "gpt-4"
  temperature: 0.7
  max_tokens: 2000
prompt:
  system: "You are a helpful customer support agent..."
  instructions: "Always be polite and concise."
tools:
  - name: "search_database"
    enabled: true
  - name: "send_email"
    enabled: true
  - name: "delete_user"
    enabled: false
policies:
  max_steps: 10
  max_cost_per_request: 1.00
  allowed_tools: ["search_database", "send_email"]
`;

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidAgentVersionError) return error.issues;
    throw error;
  }
  throw new Error('expected InvalidAgentVersionError');
}

describe('agent version YAML', () => {
  it('accepts the seed example (code ref supplied by the reader)', () => {
    const spec = parseAgentVersionYaml(SEED_EXAMPLE, { codeRef: SHA_A });
    expect(spec.label).toBe('1.3.2');
    expect(spec.model).toEqual({ provider: 'openai', name: 'gpt-4', params: { temperature: 0.7, max_tokens: 2000 } });
    expect(spec.policies).toEqual({ maxSteps: 10, maxCostPerRequestUsd: 1, allowedTools: ['search_database', 'send_email'] });
    expect(spec.tools.map((t) => [t.name, t.enabled])).toEqual([['search_database', true], ['send_email', true], ['delete_user', false]]);
  });

  it('round-trips the seed example stably', () => {
    const spec = parseAgentVersionYaml(SEED_EXAMPLE, { codeRef: SHA_A });
    const text = renderAgentVersionYaml(spec);
    expect(text).toBe(`version: "1.3.2"
code:
  ref: ${SHA_A}
model:
  provider: openai
  name: gpt-4
  max_tokens: 2000
  temperature: 0.7
prompt:
  system: You are a helpful customer support agent...
  instructions: Always be polite and concise.
tools:
  - name: delete_user
    description: ""
    enabled: false
    parameters:
      type: object
      properties: {}
  - name: search_database
    description: ""
    enabled: true
    parameters:
      type: object
      properties: {}
  - name: send_email
    description: ""
    enabled: true
    parameters:
      type: object
      properties: {}
policies:
  max_steps: 10
  max_cost_per_request_usd: 1
  allowed_tools:
    - search_database
    - send_email
`);
    const again = parseAgentVersionYaml(text);
    expect(hashAgentVersion(again)).toEqual(hashAgentVersion(spec));
    expect(renderAgentVersionYaml(again)).toBe(text);
  });

  it('round-trips multi-line prompts, schemas, endpoint and open policies', () => {
    const spec = version((v) => {
      v.label = '2.1.0';
      v.endpoint = 'https://agent.example.com/v2';
      v.prompt.examples = [{ input: 'Where is my order?', output: 'Let me check: #1234.\n' }];
      v.model.params = { name: 'clash', stop: ['\n\n'] };
      v.policies.budget = { daily_usd: 50 };
    });
    const text = renderAgentVersionYaml(spec);
    expect(text).toContain('  system: |\n    You are a helpful customer support agent.\n    Be kind.\n');
    expect(text).toContain('  params:\n'); // a param named `name` cannot be inline
    const again = parseAgentVersionYaml(text);
    expect(again).toEqual(spec);
    expect(renderAgentVersionYaml(again)).toBe(text);
  });

  it('names invalid fields as written in the file', () => {
    const broken = SEED_EXAMPLE.replace('max_steps: 10', 'max_steps: ten').replace('"send_email"]', '"send_mail"]');
    expect(issuesOf(() => parseAgentVersionYaml(broken, { codeRef: SHA_A }))).toEqual(
      expect.arrayContaining([
        { path: 'policies.max_steps', message: 'must be of type number (got string)' },
      ]),
    );
    expect(issuesOf(() => parseAgentVersionYaml(SEED_EXAMPLE))).toEqual([{ path: 'code', message: 'is required' }]);
    expect(issuesOf(() => parseAgentVersionYaml(SEED_EXAMPLE.replace('max_steps', 'maxSteps: 3\n  max_steps'), { codeRef: SHA_A }))).toEqual([
      { path: 'policies.max_steps', message: 'duplicates policies.maxSteps' },
    ]);
    expect(issuesOf(() => parseAgentVersionYaml(SEED_EXAMPLE.replace('"v1.3.2"', '"1.3"'), { codeRef: SHA_A }))).toEqual([
      { path: 'version', message: 'must be a semantic version (e.g. 1.4.0)' },
    ]);
  });
});
