import { toYaml } from './yaml';

describe('toYaml', () => {
  it('emits nested mappings and sequences', () => {
    expect(toYaml({ a: { b: [1, 'x', { c: true, d: null }], e: [], f: {} }, g: [[1, 2]] })).toBe(
      ['a:', '  b:', '    - 1', '    - x', '    - c: true', '      d: null', '  e: []', '  f: {}', 'g:', '  - - 1', '    - 2', ''].join('\n'),
    );
  });

  it('quotes strings that would read back as something else', () => {
    expect(toYaml({ v: '3.0.0', t: 'true', r: '#/x', s: 'a: b', x: 'No', e: '', q: '"' })).toBe(
      ['v: "3.0.0"', 't: "true"', 'r: "#/x"', 's: "a: b"', 'x: "No"', 'e: ""', 'q: "\\""', ''].join('\n'),
    );
  });

  it('skips undefined values and refuses non-finite numbers', () => {
    expect(toYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
    expect(() => toYaml({ a: NaN })).toThrow('cannot emit NaN');
  });
});
