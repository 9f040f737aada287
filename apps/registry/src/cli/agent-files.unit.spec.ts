import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEvent } from '@iris/contracts';
import { decideRegistration, foldAgent, parseRegistration, versionFromEvent, type RegisteredVersion } from '../registration';
import { collectAgentFiles } from './agent-files';

const EXAMPLES = resolve(__dirname, '../../../../examples/agents');

describe('collectAgentFiles', () => {
  it('finds the example files, agent from the directory, in label order', () => {
    const files = collectAgentFiles([EXAMPLES]);
    expect(files.map((f) => [f.agent, f.label])).toEqual([
      ['support-bot', '1.0.0'],
      ['support-bot', '1.1.0'],
      ['support-bot', '2.0.0'],
    ]);
  });

  it('orders semver labels numerically, file-name labels too, unlabelled files last', () => {
    const root = mkdtempSync(join(tmpdir(), 'iris-agent-files-'));
    try {
      mkdirSync(join(root, 'bot'));
      writeFileSync(join(root, 'bot', 'b.yaml'), 'version: "10.0.0"\n');
      writeFileSync(join(root, 'bot', 'a.yaml'), 'version: "9.1.0"\n');
      writeFileSync(join(root, 'bot', '9.0.0.yml'), 'model: {}\n');
      writeFileSync(join(root, 'bot', 'draft.yaml'), 'model: {}\n');
      writeFileSync(join(root, 'bot', 'README.md'), '#');
      expect(collectAgentFiles([root]).map((f) => f.path.slice(root.length + 1))).toEqual(['bot/9.0.0.yml', 'bot/a.yaml', 'bot/b.yaml', 'bot/draft.yaml']);
      expect(collectAgentFiles([join(root, 'bot', 'b.yaml')])[0]).toMatchObject({ agent: 'bot', label: '10.0.0' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the examples register as 1.0.0, 1.1.0 (minor) and 2.0.0 (major)', () => {
    const versions: RegisteredVersion[] = [];
    for (const file of collectAgentFiles([EXAMPLES])) {
      const decision = decideRegistration(foldAgent(file.agent, versions), parseRegistration(file.agent, { format: 'yaml', text: file.text }, 'otto'));
      if (decision.kind !== 'register') throw new Error(`${file.path} is not new`);
      versions.push(versionFromEvent(createEvent('registry.version.registered', decision.data), versions.length + 1));
    }
    expect(versions.map((v) => [v.label, v.bump])).toEqual([
      ['1.0.0', 'none'],
      ['1.1.0', 'minor'],
      ['2.0.0', 'major'],
    ]);
    expect(versions[2].bumpReasons).toContain('model name changed: gpt-4o-mini → gpt-4o');
  });
});
