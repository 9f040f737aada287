import { isCollection, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';

/** A value read from YAML: JSON-compatible. */
export type YamlValue = string | number | boolean | null | YamlValue[] | YamlObject;
export interface YamlObject {
  [key: string]: YamlValue;
}

/** A malformed document, or one whose value has no JSON form; names the line and column (1-based). */
export class YamlSyntaxError extends Error {
  readonly code = 'YAML_SYNTAX' as const;

  constructor(
    readonly line: number,
    readonly reason: string,
    readonly column?: number,
  ) {
    super(`YAML line ${line}${column === undefined ? '' : `, column ${column}`}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/** Anchors may be reused, but an alias may not expand into more than this many nodes (billion laughs). */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads one YAML 1.2 document (core schema) with the `yaml` package: block and flow collections,
 * every scalar style, anchors and aliases, `<<` merge keys, comments. Nothing is executed and no
 * type beyond JSON is built: unknown tags, `!!binary`-style known tags, non-finite numbers and
 * collections as keys are refused. Every error is a `YamlSyntaxError` with line and column.
 */
export function parseYaml(text: string): YamlValue {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    merge: true,
    uniqueKeys: true,
    resolveKnownTags: false,
    prettyErrors: false,
    lineCounter,
  });
  const at = (offset: number, reason: string): YamlSyntaxError => {
    const { line, col } = lineCounter.linePos(offset);
    return new YamlSyntaxError(line, reason, col);
  };
  const [problem] = [...document.errors, ...document.warnings];
  if (problem) throw at(problem.pos[0], problem.code === 'DUPLICATE_KEY' ? `duplicate key ${JSON.stringify(keyAt(document, problem.pos[0]))}` : problem.message);
  const firstAlias = refuseNonJson(document, at);
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as YamlValue;
  } catch (error) {
    // Only alias expansion throws here (more than MAX_ALIAS_COUNT nodes).
    throw at(firstAlias ?? 0, error instanceof Error ? error.message : String(error));
  }
}

function keyAt(document: Document, offset: number): string {
  let key = '';
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        key = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key;
}

/** Throws on what has no JSON form; returns the offset of the first alias, if any. */
function refuseNonJson(document: Document, at: (offset: number, reason: string) => YamlSyntaxError): number | undefined {
  let firstAlias: number | undefined;
  visit(document, {
    Alias(_, alias) {
      const offset = alias.range?.[0] ?? 0;
      firstAlias ??= offset;
      if (alias.resolve(document) === undefined) throw at(offset, `unknown alias *${alias.source} (the anchor must be set before the alias)`);
    },
    Pair(_, pair) {
      if (isCollection(pair.key)) throw at(pair.key.range?.[0] ?? 0, 'a mapping key must be a scalar');
    },
    Scalar(_, node) {
      const value: unknown = node.value;
      if (typeof value === 'number' && !Number.isFinite(value)) throw at(node.range?.[0] ?? 0, `non-finite number ${node.source ?? String(value)} is not supported`);
      if (value !== null && typeof value === 'object') throw at(node.range?.[0] ?? 0, 'only JSON-compatible values are supported');
    },
  });
  return firstAlias;
}

