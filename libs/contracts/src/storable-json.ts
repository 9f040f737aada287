/**
 * What PostgreSQL cannot store, found before anything is validated or written: text and jsonb refuse NUL (U+0000),
 * and a UTF-16 surrogate that is not half of a pair cannot be encoded as UTF-8. Bodies nested deeper than any Iris
 * document are refused too, so no validator recurses into them. Every boundary (HTTP pipes, Kafka decoders) uses this
 * one check, so such input gets a 400 or a dead letter naming the field, never a 500 from the database.
 */

/** Deepest nesting any Iris request or event needs (an agent-version tuple with JSON-schema tool parameters included). */
export const MAX_JSON_DEPTH = 64;

const UNSTORABLE_CHARACTER = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  const found = UNSTORABLE_CHARACTER.exec(text);
  if (!found) return undefined;
  const code = found[0].charCodeAt(0);
  return code === 0
    ? `contains a NUL character (U+0000) at index ${found.index}, which cannot be stored`
    : `contains an unpaired UTF-16 surrogate (U+${code.toString(16).toUpperCase()}) at index ${found.index}, which is not valid Unicode text`;
}

/** One refused field: `field` is dotted from the root given (`body.reason`, `data.toolCalls[0].name`). */
export interface UnstorableField {
  field: string;
  reason: string;
}

/**
 * The first string (object key or value) in `value` that cannot be stored, or nesting deeper than `maxDepth`;
 * undefined when everything can be stored. Iterative, so an adversarial depth cannot overflow the stack here.
 */
export function findUnstorableField(value: unknown, root: string, maxDepth = MAX_JSON_DEPTH): UnstorableField | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    if (typeof current === 'string') {
      const reason = unstorableTextReason(current);
      if (reason) return { field: path, reason };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return { field: path, reason: `is nested more than ${maxDepth} levels deep` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const keyReason = unstorableTextReason(key);
      if (keyReason) return { field: path, reason: `has a property name that ${keyReason}` };
      pending.push({ value: (current as Record<string, unknown>)[key], path: path === '' ? key : `${path}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Cheap pre-check on JSON text: NUL and lone surrogates can only reach a parsed value through `\u` escapes (a raw NUL
 * is invalid JSON and bytes decode to U+FFFD, never to a lone surrogate), except when the text is already a JS string.
 */
export function jsonTextMayHoldUnstorable(text: string, decodedFromBytes: boolean): boolean {
  return text.includes('\\u') || (!decodedFromBytes && UNSTORABLE_CHARACTER.test(text));
}
