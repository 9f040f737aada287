import { toYaml as writeYaml } from '@iris/contracts';
import { NotCanonicalizableError } from './errors';
import { isJsonObject, type JsonValue } from './json';

/**
 * Block-style YAML for JSON values, readable by `parseYaml` (and by YAML 1.1 readers): the
 * `@iris/contracts` writer (the `yaml` package) — keys in insertion order, multi-line strings as `|`
 * literal blocks, ambiguous strings quoted, empty maps/lists as `{}` / `[]`. `-0` is written as `0`;
 * a non-finite number cannot be written.
 */
export function toYaml(value: JsonValue): string {
  return writeYaml(normalise(value));
}

function normalise(value: JsonValue): JsonValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotCanonicalizableError('yaml', `${value} cannot be written`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (Array.isArray(value)) return value.map(normalise);
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalise(item)]));
  return value;
}
