import { diffSequences, diffText } from './index';

describe('diffSequences (Myers)', () => {
  it('finds a shortest edit script', () => {
    const a = 'ABCABBA'.split('');
    const b = 'CBABAC'.split('');
    const ops = diffSequences(a, b);
    expect(ops.filter((op) => op.kind !== 'equal')).toHaveLength(5);
    // replaying the script rebuilds b
    expect(ops.flatMap((op) => (op.kind === 'delete' ? [] : [b[op.bIndex]])).join('')).toBe('CBABAC');
    expect(ops.flatMap((op) => (op.kind === 'insert' ? [] : [a[op.aIndex]])).join('')).toBe('ABCABBA');
  });
});

describe('diffText', () => {
  it('renders a unified diff with context', () => {
    const before = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'].join('\n') + '\n';
    const after = before.replace('two', 'TWO').replace('nine\n', '');
    const diff = diffText(before, after, 'prompt.system');
    expect(diff).toMatchObject({ changed: true, added: 1, removed: 2 });
    expect(diff.unified).toBe(
      ['--- a/prompt.system', '+++ b/prompt.system', '@@ -1,10 +1,9 @@', ' one', '-two', '+TWO', ' three', ' four', ' five', ' six', ' seven', ' eight', '-nine', ' ten', ''].join('\n'),
    );
  });

  it('splits far-apart changes into hunks', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = [...lines];
    after[1] = 'changed 2';
    after[18] = 'changed 19';
    const diff = diffText(lines.join('\n'), after.join('\n'));
    expect(diff.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [1, 5, 1, 5],
      [16, 5, 16, 5],
    ]);
  });

  it('reports a missing final newline and empty sides', () => {
    expect(diffText('a\n', 'a').unified).toBe(['--- a/text', '+++ b/text', '@@ -1 +1 @@', '-a', '+a', '\\ No newline at end of file', ''].join('\n'));
    expect(diffText('', 'x\n').hunks).toEqual([{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1, lines: ['+x'] }]);
    expect(diffText('same', 'same')).toEqual({ changed: false, added: 0, removed: 0, hunks: [], unified: '' });
  });
});
