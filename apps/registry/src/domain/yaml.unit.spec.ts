import { YamlSyntaxError, parseYaml, toYaml, type JsonValue } from './index';

describe('YAML (the yaml package)', () => {
  it('reads maps, lists, flow lists, scalars, comments and block scalars', () => {
    const text = [
      '# header',
      '---',
      'a: 1',
      'b: -2.5e3  # comment',
      'c: "quoted # not a comment\\n"',
      "d: 'it''s'",
      'e: ~',
      'f: true',
      'g: [x, "y, z", 3, {k: v}]',
      'h:',
      '- one',
      '- k1: v1',
      '  k2: [ ]',
      'i:',
      '  nested:',
      '    - - deep',
      'j: |',
      '  line 1',
      '',
      '    indented',
      'k: >-',
      '  folded',
      '  text',
      'l: https://example.com:8080/x',
      'm: {}',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      a: 1,
      b: -2500,
      c: 'quoted # not a comment\n',
      d: "it's",
      e: null,
      f: true,
      g: ['x', 'y, z', 3, { k: 'v' }],
      h: ['one', { k1: 'v1', k2: [] }],
      i: { nested: [['deep']] },
      j: 'line 1\n\n  indented\n',
      k: 'folded text',
      l: 'https://example.com:8080/x',
      m: {},
    });
  });

  it.each<[string, string | RegExp]>([
    ['a: 1\na: 2', 'YAML line 2, column 1: duplicate key "a"'],
    ['a:\n\t- 1', /^YAML line 2, column 1: tabs are not allowed/i],
    ['a: .inf', 'YAML line 1, column 4: non-finite number .inf is not supported'],
    ['a:\n  b: 1\n   c: 2', /^YAML line 2, column 6: /],
    ['a: !custom 1', 'YAML line 1, column 4: Unresolved tag: !custom'],
  ])('refuses %j', (text, reason) => {
    expect(() => parseYaml(text)).toThrow(YamlSyntaxError);
    expect(() => parseYaml(text)).toThrow(reason);
  });

  it('reads what the former hand-written subset refused: anchors, aliases, multi-line flow collections', () => {
    expect(parseYaml('a: &x 1\nb: *x')).toEqual({ a: 1, b: 1 });
    expect(parseYaml('a: [1,\n  2]')).toEqual({ a: [1, 2] });
  });

  it('writes what it reads', () => {
    const value: JsonValue = {
      plain: 'gpt-4',
      looksLikeNumber: '1.0',
      reserved: 'yes',
      multi: 'line 1\n  line 2\n',
      noEol: 'a\nb',
      keep: 'a\n\n',
      spaces: ' lead\nx',
      empty: '',
      list: [{ a: 1, b: [true, null] }, [], {}, 'x: y'],
      'odd key': -0.5,
    };
    const text = toYaml(value);
    expect(text).toContain('multi: |\n  line 1\n    line 2\n');
    expect(parseYaml(text)).toEqual(value);
    expect(toYaml(parseYaml(text))).toBe(text);
  });
});
