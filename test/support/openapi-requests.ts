/**
 * Requests generated from an OpenAPI 3.1 document, for the contract test: for each operation a valid request (built
 * from its schemas) and invalid ones derived from every rule of those schemas (missing required, wrong type, out of
 * range, over length, pattern, enum, unknown property) plus odd strings (NUL, lone surrogates, control and bidi
 * characters, very long identifiers) in every string field and path parameter.
 */

type Schema = Record<string, any>;

export interface GeneratedRequest {
  /** What the request tests, for the report. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** JSON-serialisable value, or raw text (sent as is). */
  body?: { json: unknown } | { raw: string; contentType: string };
}

export interface OperationRef {
  method: string;
  path: string;
  operation: Schema;
}

/** Values the generator cannot invent (ids the servers know), by parameter or property name. */
export type Hints = Record<string, unknown>;

export const ODD_STRINGS: Record<string, string> = {
  nul: 'a\u0000b',
  'lone high surrogate': 'a\uD800b',
  'lone low surrogate': 'a\uDC00',
  control: 'a\u0001\u001fb',
  bidi: 'a\u202Eb\u2066c',
  'very long': 'x'.repeat(10_000),
  empty: '',
  'zero-width': '\u200B',
};

const CANDIDATE_STRINGS = ['support-bot', 'a', '1', '0', 'production', '1.0.0', '3f6c2a9d0b1e4f5a6b7c8d9e0f1a2b3c4d5e6f70', 'sha256:' + '0'.repeat(32), '*', '"1"', 'A'];

/** encodeURIComponent, except that a lone surrogate is sent as its (invalid) 3-byte UTF-8 form instead of throwing. */
function encodeSegment(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(value[i]);
  }
  return out;
}

export function operationsOf(document: Schema): OperationRef[] {
  return Object.entries(document.paths as Record<string, Record<string, Schema>>).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method, path, operation })),
  );
}

export class RequestGenerator {
  constructor(
    private readonly document: Schema,
    private readonly hints: Hints = {},
  ) {}

  resolve(schema: Schema): Schema {
    let current = schema;
    while (current && typeof current.$ref === 'string') {
      const path = (current.$ref as string).replace(/^#\//, '').split('/');
      current = path.reduce((node: Schema, key) => node[key], this.document);
    }
    return current ?? {};
  }

  /** A value valid against `schema`: `full` fills optional properties too. */
  sample(input: Schema, full: boolean, name?: string, depth = 0): unknown {
    const schema = this.resolve(input);
    if (name !== undefined && name in this.hints) return this.hints[name];
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    if ('default' in schema && !full) return schema.default;
    const options = schema.anyOf ?? schema.oneOf;
    if (Array.isArray(options)) return this.sample(options.find((o: Schema) => this.resolve(o).type !== 'null') ?? options[0], full, name, depth + 1);
    const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
    switch (type) {
      case 'object': {
        const result: Record<string, unknown> = {};
        const required = new Set<string>(schema.required ?? []);
        for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
          if (required.has(key) || (full && depth < 4)) result[key] = this.sample(property, full, key, depth + 1);
        }
        return result;
      }
      case 'array': {
        const count = Math.max(schema.minItems ?? 0, full && depth < 4 ? 1 : 0);
        return Array.from({ length: count }, () => this.sample(schema.items ?? {}, full, undefined, depth + 1));
      }
      case 'string':
        return this.sampleString(schema);
      case 'integer':
        return this.sampleNumber(schema, true);
      case 'number':
        return this.sampleNumber(schema, false);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return 'any';
    }
  }

  private sampleString(schema: Schema): string {
    if (schema.format === 'date-time') return '2026-12-07T12:00:00.000Z';
    if (schema.format === 'uri' || schema.format === 'url') return 'https://agent.example/v1';
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Infinity;
    const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
    const fits = (s: string) => s.length >= min && s.length <= max && (!pattern || pattern.test(s));
    const candidate = CANDIDATE_STRINGS.find(fits) ?? 'a'.repeat(Math.max(min, 1));
    return candidate;
  }

  private sampleNumber(schema: Schema, integer: boolean): number {
    let low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : Math.min(0.5, ((schema.maximum ?? schema.exclusiveMaximum ?? schema.exclusiveMinimum + 1) - schema.exclusiveMinimum) / 2)) : undefined);
    const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 0.001) : undefined);
    if (low === undefined) low = high !== undefined ? Math.min(high, 1) : 1;
    return integer ? Math.ceil(low) : low;
  }

  /**
   * Invalid variants of a value valid against `schema`, each with a label naming the rule it breaks. `path` is the
   * dotted field path (for labels only).
   */
  mutations(input: Schema, valid: unknown, path: string, depth = 0): Array<{ label: string; value: unknown }> {
    const schema = this.resolve(input);
    const out: Array<{ label: string; value: unknown }> = [];
    const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
    const nullable = Array.isArray(schema.type) && schema.type.includes('null');
    const wrongType = (label: string, value: unknown) => out.push({ label: `${path}: wrong type (${label})`, value });
    if (type !== 'string' && type !== undefined) wrongType('string', 'not-a-' + type);
    if (type !== 'number' && type !== 'integer' && type !== undefined) wrongType('number', 12345);
    if (type !== 'boolean' && type !== undefined) wrongType('boolean', true);
    if (type !== 'object' && type !== undefined) wrongType('object', { nested: 'object' });
    if (type !== 'array' && type !== undefined) wrongType('array', ['array']);
    if (!nullable && type !== undefined) wrongType('null', null);
    if (Array.isArray(schema.enum)) out.push({ label: `${path}: not in enum`, value: 'not-one-of-them' });
    switch (type) {
      case 'string': {
        if (schema.maxLength !== undefined && schema.maxLength < 300_000) out.push({ label: `${path}: over maxLength ${schema.maxLength}`, value: 'a'.repeat(schema.maxLength + 1) });
        if (schema.minLength) out.push({ label: `${path}: under minLength ${schema.minLength}`, value: 'a'.repeat(schema.minLength - 1) });
        if (schema.pattern) out.push({ label: `${path}: breaks pattern`, value: '!! not matching !!' });
        for (const [label, odd] of Object.entries(ODD_STRINGS)) out.push({ label: `${path}: ${label} string`, value: odd });
        break;
      }
      case 'integer':
      case 'number': {
        if (schema.minimum !== undefined) out.push({ label: `${path}: below minimum`, value: schema.minimum - 1 });
        if (schema.exclusiveMinimum !== undefined) out.push({ label: `${path}: at exclusiveMinimum`, value: schema.exclusiveMinimum });
        if (schema.maximum !== undefined) out.push({ label: `${path}: above maximum`, value: schema.maximum + 1 });
        if (schema.exclusiveMaximum !== undefined) out.push({ label: `${path}: at exclusiveMaximum`, value: schema.exclusiveMaximum });
        if (type === 'integer') out.push({ label: `${path}: fractional integer`, value: (typeof valid === 'number' ? valid : 1) + 0.5 });
        out.push({ label: `${path}: huge number`, value: 1e308 });
        break;
      }
      case 'array': {
        if (schema.maxItems !== undefined && schema.maxItems <= 1_000) {
          const item = this.sample(schema.items ?? {}, false);
          out.push({ label: `${path}: over maxItems ${schema.maxItems}`, value: Array.from({ length: schema.maxItems + 1 }, () => item) });
        }
        if (schema.minItems) out.push({ label: `${path}: under minItems`, value: [] });
        if (Array.isArray(valid) && valid.length > 0 && depth < 4)
          for (const m of this.mutations(schema.items ?? {}, valid[0], `${path}[0]`, depth + 1)) out.push({ label: m.label, value: [m.value, ...valid.slice(1)] });
        break;
      }
      case 'object': {
        if (typeof valid !== 'object' || valid === null || Array.isArray(valid)) break;
        const record = valid as Record<string, unknown>;
        const required = new Set<string>(schema.required ?? []);
        for (const key of required) if (key in record) {
          const { [key]: _dropped, ...rest } = record;
          out.push({ label: `${path}.${key}: missing required`, value: rest });
        }
        if (schema.additionalProperties === false) out.push({ label: `${path}: unknown property`, value: { ...record, surprise: 1 } });
        for (const [label, odd] of Object.entries({ 'NUL in a property name': 'k\u0000', 'lone surrogate in a property name': 'k\uDC00' }))
          out.push({ label: `${path}: ${label}`, value: { ...record, [odd]: 1 } });
        if (depth < 4)
          for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
            const current = key in record ? record[key] : this.sample(property, false, key);
            for (const m of this.mutations(property, current, `${path}.${key}`, depth + 1)) out.push({ label: m.label, value: { ...record, [key]: m.value } });
          }
        break;
      }
    }
    return out;
  }

  /** The valid request(s) of an operation and every invalid one derived from its schemas. */
  requests(ref: OperationRef): { valid: GeneratedRequest[]; invalid: GeneratedRequest[] } {
    const { operation } = ref;
    const parameters = (operation.parameters ?? []) as Array<{ name: string; in: string; required?: boolean; schema: Schema }>;
    const values = Object.fromEntries(parameters.map((p) => [p.name, this.sample(p.schema, false, p.name)]));
    const build = (label: string, overrides: Record<string, unknown>, body?: GeneratedRequest['body'], omit?: string): GeneratedRequest => {
      const merged = { ...values, ...overrides };
      let path = ref.path;
      const query = new URLSearchParams();
      const headers: Record<string, string> = {};
      for (const p of parameters) {
        if (p.name === omit || merged[p.name] === undefined) continue;
        const value = String(merged[p.name]);
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeSegment(value));
        else if (p.in === 'query') query.append(p.name, value);
        else if (p.in === 'header') headers[p.name] = value;
      }
      const qs = query.toString();
      return { label: `${ref.method.toUpperCase()} ${ref.path}: ${label}`, method: ref.method.toUpperCase(), path: qs ? `${path}?${qs}` : path, headers, body };
    };

    const bodySchema = operation.requestBody?.content?.['application/json']?.schema as Schema | undefined;
    const minimal = bodySchema ? this.sample(bodySchema, false) : undefined;
    const full = bodySchema ? this.sample(bodySchema, true) : undefined;
    const valid = [build('valid', {}, bodySchema ? { json: minimal } : undefined)];
    if (bodySchema) valid.push(build('valid, every optional field', {}, { json: full }));
    for (const p of parameters) if (!p.required && p.in !== 'path') valid.push(build(`valid without ${p.name}`, {}, bodySchema ? { json: minimal } : undefined, p.name));

    const invalid: GeneratedRequest[] = [];
    const withBody = bodySchema ? { json: minimal } : undefined;
    for (const p of parameters) {
      const schema = this.resolve(p.schema);
      if (p.in === 'header') {
        invalid.push(build(`header ${p.name} malformed`, { [p.name]: 'not a valid value' }, withBody));
        continue;
      }
      for (const m of this.mutations(schema, values[p.name], p.name)) {
        if (m.value === null || typeof m.value === 'object') continue; // a parameter is text
        if (p.in === 'path' && m.value === '') continue; // an empty segment is another URL (another operation or none), not this one
        invalid.push(build(`${p.in} ${m.label}`, { [p.name]: m.value }, withBody));
      }
      if (p.in === 'path') invalid.push(build(`path ${p.name}: upper case`, { [p.name]: 'UPPER' }, withBody));
    }
    if (bodySchema) {
      for (const m of this.mutations(bodySchema, minimal, '<body>')) invalid.push(build(`body ${m.label}`, {}, { json: m.value }));
      invalid.push(build('body: malformed JSON', {}, { raw: '{"unterminated": ', contentType: 'application/json' }));
      invalid.push(build('body: form-encoded', {}, { raw: 'reason=form&commandId=1', contentType: 'application/x-www-form-urlencoded' }));
      invalid.push(build('body: text/plain', {}, { raw: JSON.stringify(minimal), contentType: 'text/plain' }));
      invalid.push(build('body: deeply nested', {}, { raw: `{"x":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, contentType: 'application/json' }));
      invalid.push(build('body: empty', {}, { raw: '', contentType: 'application/json' }));
    }
    return { valid, invalid };
  }
}
