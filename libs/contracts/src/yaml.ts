import { Document, isScalar, parse, Scalar, visit } from 'yaml';

/** What `toYaml` writes: JSON values; `undefined` members of objects are left out. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/**
 * Block-style YAML (2-space indent, keys in insertion order, no line folding) written by the `yaml`
 * package. Multi-line strings become `|` literal blocks; a one-line string is quoted when a YAML 1.2
 * or a YAML 1.1 reader (PyYAML's `safe_load`, many tools) would read its plain form as something
 * else (`yes`, `0o17`, `3.0`, `a: b`), so every reader gets the same value back; so is one that
 * starts like a number (`"1.0.0"`).
 */
export function toYaml(value: JsonValue): string {
  const document = new Document(value, { version: '1.2', schema: 'core' });
  visit(document, {
    Scalar(_, node) {
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) throw new Error(`YAML: cannot emit ${node.value}`);
      if (typeof node.value === 'string' && !node.value.includes('\n') && !readsBackAsItself(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && !readsBackAsItself(pair.key.value)) pair.key.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return document.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true, doubleQuotedAsJSON: true, blockQuote: 'literal' });
}

/**
 * True when a YAML 1.1 reader takes the plain text for the same string (YAML 1.2 quoting is the
 * package's). Number-like strings (`1.0.0`, `-x`) are quoted anyway: a reader sees at once they are text.
 */
function readsBackAsItself(text: string): boolean {
  if (/^[-+.]?[0-9]/.test(text)) return false;
  try {
    return parse(text, { version: '1.1' }) === text;
  } catch {
    return false;
  }
}
