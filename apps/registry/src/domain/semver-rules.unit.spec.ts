import { assignLabel, checkRequestedLabel, requiredBumpBetween, type AgentVersionInput, type BumpDecision } from './index';
import { SHA_B, version } from './agent-version.fixtures';

type Edit = (v: AgentVersionInput) => void;
const params = (v: AgentVersionInput, tool = 0) => v.tools![tool].parameters as Record<string, any>;

function decide(edit: Edit): BumpDecision {
  return requiredBumpBetween(version(), version(edit));
}

describe('semver rules from the diff', () => {
  it.each<[string, Edit, string, string]>([
    ['tool removed', (v) => void ((v.tools = v.tools!.slice(0, 1)), (v.policies.allowedTools = ['search'])), 'major', 'tool `send_email` removed'],
    ['tool disabled', (v) => void (v.tools![0].enabled = false), 'major', 'tool `search` disabled'],
    ['property removed', (v) => void delete params(v).properties.mode, 'major', 'tool `search` parameters.properties.mode: removed (breaking)'],
    ['new required property', (v) => void ((params(v).properties.limit = { type: 'integer' }), params(v).required.push('limit')), 'major', 'tool `search` parameters.properties.limit: added (required) (breaking)'],
    ['optional → required', (v) => void params(v).required.push('mode'), 'major', 'tool `search` parameters.properties.mode: optional → required (breaking)'],
    ['type change', (v) => void (params(v).properties.query.type = 'number'), 'major', 'tool `search` parameters.properties.query.type: string → number (breaking)'],
    ['narrowed enum', (v) => void (params(v).properties.mode.enum = ['fast']), 'major', 'tool `search` parameters.properties.mode.enum: narrowed, removed deep (breaking)'],
    ['model name', (v) => void (v.model.name = 'gpt-4o'), 'minor', 'model name changed: gpt-4 → gpt-4o'],
    ['model provider', (v) => void (v.model.provider = 'azure'), 'minor', 'model provider changed: openai → azure'],
    ['tool added', (v) => void v.tools!.push({ name: 'lookup_order' }), 'minor', 'tool `lookup_order` added'],
    ['prompt text', (v) => void (v.prompt.system += 'Never guess.\n'), 'patch', 'prompt.system changed (+1 −0 lines)'],
    ['model param', (v) => void (v.model.params!.temperature = 0.2), 'patch', 'model param `temperature` changed: 0.7 → 0.2'],
    ['policy tweak', (v) => void (v.policies.maxSteps = 12), 'patch', 'policy `maxSteps` changed: 10 → 12'],
    ['tool description', (v) => void (v.tools![0].description = 'Search docs'), 'patch', 'tool `search` description: Search the knowledge base → Search docs'],
    ['new optional property', (v) => void (params(v).properties.limit = { type: 'integer' }), 'patch', 'tool `search` parameters.properties.limit: added (optional)'],
    ['widened enum', (v) => void params(v).properties.mode.enum.push('auto'), 'patch', 'tool `search` parameters.properties.mode.enum: ["fast","deep"] → ["fast","deep","auto"]'],
    ['code ref', (v) => void (v.code.ref = SHA_B), 'patch', 'code ref changed: aaaaaaaaaaaa → bbbbbbbbbbbb'],
  ])('%s → %s', (_name, edit, bump, reason) => {
    const decision = decide(edit);
    expect(decision.bump).toBe(bump);
    expect(decision.reasons[0].message).toBe(reason);
  });

  it('identical content (any key or tool order) needs no bump', () => {
    expect(decide((v) => void v.tools!.reverse())).toEqual({ bump: 'none', reasons: [] });
  });

  it('takes the largest bump and lists the largest reasons first', () => {
    const decision = decide((v) => {
      v.model.name = 'gpt-4o';
      v.prompt.system = 'Short.';
      v.tools = v.tools!.slice(1);
      v.policies.allowedTools = ['send_email'];
    });
    expect(decision.bump).toBe('major');
    expect(decision.reasons.map((r) => r.bump)).toEqual(['major', 'minor', 'patch', 'patch']);
  });
});

describe('checkRequestedLabel', () => {
  const removed = decide((v) => void ((v.tools = v.tools!.slice(1)), (v.policies.allowedTools = ['send_email'])));

  it('refuses a label below the required bump, naming the cause', () => {
    expect(checkRequestedLabel('1.4.0', '1.3.0', removed)).toEqual({
      ok: false,
      code: 'BUMP_TOO_SMALL',
      reason: 'tool `search` removed: major bump required, 1.3.0 → 1.4.0 is a minor bump',
    });
    expect(checkRequestedLabel('1.3.0', '1.3.0-rc.1', 'patch')).toMatchObject({ ok: false, reason: 'patch bump required, 1.3.0-rc.1 → 1.3.0 is only a pre-release change' });
  });

  it('accepts the required bump or more', () => {
    expect(checkRequestedLabel('v2.0.0', '1.3.0', removed)).toEqual({ ok: true, label: '2.0.0' });
    expect(checkRequestedLabel('2.0.0', '1.3.0', 'patch')).toEqual({ ok: true, label: '2.0.0' });
    expect(checkRequestedLabel('1.3.1', '1.3.0', 'none')).toEqual({ ok: true, label: '1.3.1' });
  });

  it('refuses invalid labels and labels not above the previous one', () => {
    expect(checkRequestedLabel('1.4', '1.3.0', 'patch')).toMatchObject({ ok: false, code: 'INVALID_LABEL' });
    expect(checkRequestedLabel('1.2.0', '1.3.0', 'patch')).toMatchObject({ ok: false, code: 'NOT_GREATER' });
    expect(checkRequestedLabel('1.3.0', '1.3.0', 'none')).toMatchObject({ ok: false, code: 'NOT_GREATER' });
  });

  it('lets a first version take any valid label, and defaults to 1.0.0', () => {
    expect(checkRequestedLabel('0.1.0', undefined, 'major')).toEqual({ ok: true, label: '0.1.0' });
    expect(assignLabel(undefined, undefined, { bump: 'major', reasons: [] })).toEqual({ ok: true, label: '1.0.0' });
    expect(assignLabel(undefined, '1.3.0', removed)).toEqual({ ok: true, label: '2.0.0' });
  });
});
