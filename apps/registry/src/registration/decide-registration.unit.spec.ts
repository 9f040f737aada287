import { createEvent } from '@iris/contracts';
import { parseAgentVersion, type AgentVersionInput } from '../domain';
import { baseInput } from '../domain/agent-version.fixtures';
import { decideRegistration, foldAgent, RegistryError, versionFromEvent, type AgentState, type RegisteredVersion, type RegisterVersion } from './index';

const AGENT = 'support-bot';

function spec(edit: (input: AgentVersionInput) => void = () => undefined) {
  const input = structuredClone(baseInput());
  edit(input);
  return parseAgentVersion(input);
}

function command(edit?: (input: AgentVersionInput) => void, extra: Partial<RegisterVersion> = {}): RegisterVersion {
  return { agent: AGENT, spec: spec(edit), registeredBy: 'otto', ...extra };
}

/** given(registrations).when(command) → the decision, or the refusal. */
function given(...commands: RegisterVersion[]) {
  const versions: RegisteredVersion[] = [];
  for (const past of commands) {
    const decision = decideRegistration(foldAgent(AGENT, versions), past);
    if (decision.kind !== 'register') throw new Error('given: each past registration must be new');
    versions.push(versionFromEvent(createEvent('registry.version.registered', decision.data), versions.length + 1));
  }
  const state: AgentState = foldAgent(AGENT, versions);
  return {
    state,
    versions,
    when: (next: RegisterVersion) => decideRegistration(state, next),
    refuses(next: RegisterVersion): RegistryError {
      try {
        decideRegistration(state, next);
      } catch (error) {
        if (error instanceof RegistryError) return error;
        throw error;
      }
      throw new Error('expected a refusal');
    },
  };
}

const registered = (decision: ReturnType<typeof decideRegistration>) => {
  if (decision.kind !== 'register') throw new Error(`expected a new version, got ${decision.kind}`);
  return decision.data;
};

describe('decideRegistration', () => {
  it('registers the first version as 1.0.0 with its content hashes and the whole tuple', () => {
    const data = registered(given().when(command(undefined, { notes: 'first', labels: { team: 'support' } })));
    expect(data).toMatchObject({ agent: AGENT, label: '1.0.0', bump: 'none', bumpReasons: [], previousVersionId: null, model: 'openai/gpt-4', registeredBy: 'otto', notes: 'first', labels: { team: 'support' } });
    expect(data.versionId).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(data.digest.startsWith(data.versionId)).toBe(true);
    expect(Object.keys(data.layers)).toEqual(['code', 'model', 'prompt', 'tools', 'policies']);
    expect(data.spec).not.toHaveProperty('label');
    expect(parseAgentVersion(data.spec)).toEqual(spec());
  });

  it('takes a requested first label as is', () => {
    expect(registered(given().when(command((i) => (i.label = 'v0.3.0')))).label).toBe('0.3.0');
  });

  it('returns the existing version for identical content (no label, or the same label)', () => {
    const history = given(command((i) => (i.label = '1.2.0')));
    const [first] = history.versions;
    expect(history.when(command())).toEqual({ kind: 'existing', version: first });
    expect(history.when(command((i) => (i.label = '1.2.0')))).toEqual({ kind: 'existing', version: first });
    // Order-insensitive parts of the tuple do not make a new version.
    expect(history.when(command((i) => i.tools!.reverse()))).toEqual({ kind: 'existing', version: first });
  });

  it('refuses identical content under another label (versions are immutable)', () => {
    const error = given(command()).refuses(command((i) => (i.label = '1.0.1')));
    expect(error.code).toBe('ALREADY_REGISTERED_AS');
    expect(error.message).toContain('already registered as 1.0.0');
  });

  it('refuses a label used by another version', () => {
    const history = given(command(), command((i) => (i.prompt.system = 'Be brief.')));
    const error = history.refuses(command((i) => ((i.prompt.system = 'Be very brief.'), (i.label = '1.0.0'))));
    expect(error.code).toBe('LABEL_TAKEN');
    expect(error.details.conflictingVersion).toEqual({ versionId: history.versions[0].versionId, label: '1.0.0' });
  });

  it('assigns the next label from the diff with the latest version', () => {
    const history = given(command());
    expect(registered(history.when(command((i) => (i.prompt.system = 'Be brief.'))))).toMatchObject({ label: '1.0.1', bump: 'patch', previousVersionId: history.versions[0].versionId });
    expect(registered(history.when(command((i) => (i.model.name = 'gpt-4o'))))).toMatchObject({ label: '1.1.0', bump: 'minor', bumpReasons: ['model name changed: gpt-4 → gpt-4o'] });
    const major = registered(history.when(command((i) => ((i.tools = i.tools!.slice(0, 1)), (i.policies.allowedTools = ['search'])))));
    expect(major).toMatchObject({ label: '2.0.0', bump: 'major' });
    expect(major.bumpReasons[0]).toBe('tool `send_email` removed');
  });

  it('refuses a requested label smaller than the diff requires, naming the reasons', () => {
    const error = given(command()).refuses(command((i) => ((i.tools = i.tools!.slice(0, 1)), (i.policies.allowedTools = ['search']), (i.label = '1.1.0'))));
    expect(error.code).toBe('BUMP_TOO_SMALL');
    expect(error.message).toContain('tool `send_email` removed');
    expect(error.details.reasons).toContain('major: tool `send_email` removed');
  });

  it('refuses a requested label not greater than the latest one', () => {
    const history = given(command((i) => (i.label = '2.0.0')));
    const error = history.refuses(command((i) => ((i.prompt.system = 'Be brief.'), (i.label = '1.5.0'))));
    expect(error.code).toBe('LABEL_NOT_GREATER');
  });

  it('accepts a bigger bump than required', () => {
    expect(registered(given(command()).when(command((i) => ((i.prompt.system = 'Be brief.'), (i.label = '3.0.0')))))).toMatchObject({ label: '3.0.0', bump: 'patch' });
  });

  it('diffs against the latest registration, even when the content returns to an older version', () => {
    const history = given(command(), command((i) => (i.prompt.system = 'Be brief.')));
    // Back to the first content: same id as 1.0.0, so it is that version.
    expect(history.when(command())).toEqual({ kind: 'existing', version: history.versions[0] });
    expect(registered(history.when(command((i) => (i.prompt.system = 'Be briefer.'))))).toMatchObject({ label: '1.0.2', previousVersionId: history.versions[1].versionId });
  });
});
