import { NotCanonicalizableError } from './errors';
import type { JsonValue } from './json';

/**
 * Canonical JSON (compatible with RFC 8785 / JCS for the values we hash):
 * - object keys sorted by UTF-16 code units, recursively; keys whose value is `undefined` are dropped;
 * - no insignificant whitespace;
 * - numbers in ECMAScript shortest round-trip form (`1.00` → `1`, `1e3` → `1000`, `-0` → `0`);
 *   NaN and ±Infinity are refused;
 * - strings escaped as `JSON.stringify` does; no Unicode normalisation;
 * - arrays keep their order (order-insensitive arrays are sorted beforehand, see `content.ts`).
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalizableError(path, `${value} is not a JSON number`);
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => {
          if (item === undefined) throw new NotCanonicalizableError(`${path}[${index}]`, 'undefined in an array');
          return write(item, `${path}[${index}]`);
        }).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new NotCanonicalizableError(path, 'not a plain object');
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], `${path}.${key}`)}`).join(',')}}`;
    }
    default:
      throw new NotCanonicalizableError(path, `${typeof value} is not a JSON value`);
  }
}

/** Deep equality of two JSON values under canonical form (key order and number spelling ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
