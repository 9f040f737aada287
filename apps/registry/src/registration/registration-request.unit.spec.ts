import { createEvent } from '@iris/contracts';
import { baseInput, SHA_A } from '../domain/agent-version.fixtures';
import { registrationInput } from '../http/request-body';
import { decideRegistration, foldAgent, parseRegistration, RegistryError, renderVersionYaml, versionFromEvent, type RegistrationInput } from './index';

function issuesOf(agent: string, input: RegistrationInput) {
  try {
    parseRegistration(agent, input, 'otto');
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'INVALID_AGENT_VERSION') return error.details.issues;
    throw error;
  }
  throw new Error('expected INVALID_AGENT_VERSION');
}

const SEED = `version: "v1.3.2"
model:
  provider: "openai"
  name: "gpt-4"
  temperature: 0.7
prompt:
  system: "You are a helpful customer support agent..."
tools:
  - name: "search_database"
policies:
  max_steps: 10
  max_cost_per_request: 1.00
  allowed_tools: ["search_database"]
notes: "seed file"
labels:
  team: support
`;

describe('parseRegistration', () => {
  it('reads a JSON body: the tuple plus notes and labels', () => {
    const command = parseRegistration('support-bot', { format: 'json', body: { ...baseInput(), label: 'v2.0.0', notes: 'hello', labels: { team: 'support' } } }, 'otto');
    expect(command).toMatchObject({ agent: 'support-bot', registeredBy: 'otto', notes: 'hello', labels: { team: 'support' } });
    expect(command.spec.label).toBe('2.0.0');
  });

  it('lists every offending field with its path', () => {
    const body = { ...baseInput(), code: { ref: 'main' }, policies: { maxSteps: 0, maxCostPerRequestUsd: 1, allowedTools: ['nope'] }, notes: 7, labels: { team: 1 }, extra: true };
    const paths = issuesOf('Bad Agent', { format: 'json', body })!.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['agent', 'notes', 'labels.team', 'code.ref', 'policies.maxSteps', 'policies.allowedTools[0]', 'extra']));
  });

  it('refuses a body that is not an object', () => {
    expect(issuesOf('bot', { format: 'json', body: undefined })).toEqual([{ path: '<root>', message: 'must be a JSON object' }]);
    expect(issuesOf('bot', { format: 'yaml', text: '- a\n- b\n' })).toEqual([{ path: '<root>', message: 'must be a YAML mapping' }]);
  });

  it('reads a seed YAML file with the code ref supplied, notes and labels', () => {
    const command = parseRegistration('support-agent', { format: 'yaml', text: SEED, codeRef: SHA_A }, 'otto');
    expect(command.spec).toMatchObject({ label: '1.3.2', code: { ref: SHA_A }, model: { params: { temperature: 0.7 } }, policies: { maxSteps: 10 } });
    expect(command).toMatchObject({ notes: 'seed file', labels: { team: 'support' } });
  });

  it('names YAML fields as written in the file, and reports syntax errors with their line', () => {
    expect(issuesOf('bot', { format: 'yaml', text: SEED.replace('max_steps: 10', 'max_steps: -1') })).toEqual(
      expect.arrayContaining([{ path: 'code', message: 'is required' }, expect.objectContaining({ path: 'policies.max_steps' })]),
    );
    expect(issuesOf('bot', { format: 'yaml', text: 'model: [unclosed\n' })![0]).toMatchObject({ path: '<root>', message: expect.stringMatching(/^YAML line 2, column 1: /) });
  });

  it('renders a registered version as a file that parses back to the same version', () => {
    const command = parseRegistration('support-agent', { format: 'yaml', text: SEED, codeRef: SHA_A }, 'otto');
    const decision = decideRegistration(foldAgent('support-agent', []), command);
    if (decision.kind !== 'register') throw new Error('expected new');
    const version = versionFromEvent(createEvent('registry.version.registered', decision.data), 1);
    const text = renderVersionYaml(version);
    expect(text).toContain('version: "1.3.2"');
    expect(text).toContain('notes: seed file');
    const again = parseRegistration('support-agent', { format: 'yaml', text }, 'otto');
    expect(decideRegistration(foldAgent('support-agent', [version]), again)).toEqual({ kind: 'existing', version });
    expect(again).toMatchObject({ notes: 'seed file', labels: { team: 'support' } });
  });
});

describe('registrationInput', () => {
  it('takes JSON by default and YAML by media type; anything else is 415', () => {
    expect(registrationInput(undefined, { a: 1 }, undefined)).toEqual({ format: 'json', body: { a: 1 } });
    expect(registrationInput('application/json; charset=utf-8', {}, undefined).format).toBe('json');
    expect(registrationInput('application/yaml', 'a: 1', SHA_A)).toEqual({ format: 'yaml', text: 'a: 1', codeRef: SHA_A });
    expect(registrationInput('text/yaml', 'a: 1', undefined).format).toBe('yaml');
    expect(() => registrationInput('text/plain', 'a', undefined)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
  });
});
