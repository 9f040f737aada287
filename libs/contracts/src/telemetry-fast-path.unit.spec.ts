import fc from 'fast-check';
import { EVENT_CATALOG } from './catalog';
import { decodeMessage, validateEvent, validateEventShape } from './codec';
import { ContractViolationError } from './errors';
import { EXAMPLES } from './examples';
import { PolicyViolation, RequestError, ShadowDispatch, ShadowRun, ToolCall } from './events/agent';
import {
  DATA_KEYS,
  ENVELOPE_KEYS,
  isCanonicalTelemetryEvent,
  POLICY_VIOLATION_KEYS,
  REQUEST_ERROR_KEYS,
  SHADOW_DISPATCH_KEYS,
  SHADOW_RUN_KEYS,
  TOOL_CALL_KEYS,
  USER_FEEDBACK_KEYS,
} from './telemetry-fast-path';

/**
 * The fast path must never change what decodeMessage returns or throws: whenever it accepts a value, zod
 * accepts it too and returns an equal object (same keys, same order, same values). Checked on random valid
 * events and on random mutations of them (values replaced by awkward ones, keys dropped, added, renamed or
 * reordered), against the zod schemas themselves.
 */

type Json = Record<string, unknown>;
const TYPES = Object.keys(DATA_KEYS) as Array<keyof typeof DATA_KEYS>;

// ---- valid events, keys in schema order ----
const identifier = fc.oneof(
  { weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(256), 'é'.repeat(256), '__proto__', 'constructor') },
);
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'y'.repeat(4096)));
const nonNegative = fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, Number.MAX_VALUE));
const count = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const timestamp = fc.oneof(
  fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2024-02-29T23:59:59Z', '2025-01-31T12:00:00.123456+05:30', '2025-01-31T12:00:00-23:59', '2000-02-29T00:00:00.0Z'),
);
const uuid = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'));
const slug = fc.constantFrom('production', 'eu-staging', 'a', 'x.y_z-1');

const record = (model: Record<string, fc.Arbitrary<unknown>>, optional: string[] = []) =>
  fc.record(model, { requiredKeys: Object.keys(model).filter((key) => !optional.includes(key)), noNullPrototype: true }) as fc.Arbitrary<Json>;

const sessionRef = { agent: identifier, versionId: identifier, sessionId: identifier, tenant: identifier };
const userFeedback = fc.oneof(
  record({ score: fc.double({ min: -1, max: 1, noNaN: true }), rating: fc.integer({ min: 1, max: 5 }), comment: text }, ['rating', 'comment']),
  record({ score: fc.double({ min: -1, max: 1, noNaN: true }), rating: fc.integer({ min: 1, max: 5 }), comment: text }, ['score', 'comment']),
);
const scores = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), finite, { maxKeys: 4, noNullPrototype: true });
const DATA: Record<(typeof TYPES)[number], fc.Arbitrary<Json>> = {
  'agent.session.started': record({ ...sessionRef, feature: identifier, user: identifier }, ['feature', 'user']),
  'agent.session.ended': record(
    { ...sessionRef, feature: identifier, user: identifier, reason: fc.oneof(identifier, fc.constant('completed')), durationMs: nonNegative },
    ['feature', 'user'],
  ),
  'agent.request.completed': record(
    {
      ...sessionRef,
      requestId: identifier,
      feature: identifier,
      role: fc.constantFrom('primary', 'shadow'),
      latencyMs: nonNegative,
      tokensIn: count,
      tokensOut: count,
      costUsd: nonNegative,
      toolCalls: fc.array(record({ name: identifier, argsHash: identifier, ok: fc.boolean(), latencyMs: nonNegative }), { maxLength: 3 }),
      error: fc.option(record({ kind: identifier, message: text }), { nil: null }),
      policyViolations: fc.array(record({ policy: identifier, detail: text }), { maxLength: 2 }),
      outputDigest: identifier,
      output: text,
      userFeedback,
      scores,
      shadow: record({ primaryVersionId: identifier, noise: fc.boolean(), stubbedToolCalls: count }),
      shadowsDispatched: fc.array(record({ versionId: identifier, noise: fc.boolean() }), { maxLength: 3 }),
    },
    ['output', 'userFeedback', 'scores', 'shadow', 'shadowsDispatched'],
  ),
  'agent.feedback.recorded': record({ ...sessionRef, requestId: identifier, feature: identifier, user: identifier, feedback: userFeedback }, ['feature', 'user']),
};
const validEvent: fc.Arbitrary<Json> = fc.constantFrom(...TYPES).chain((type) =>
  record({
    type: fc.constant(type),
    schemaVersion: fc.constant(1),
    eventId: uuid,
    occurredAt: timestamp,
    correlationId: identifier,
    causationId: fc.option(identifier, { nil: null }),
    environment: slug,
    data: DATA[type],
  }),
);

// ---- mutations ----
const awkward = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown), // plain objects, as JSON.parse builds
  fc.constantFrom(
    '', 'x'.repeat(129), 'x'.repeat(257), 'y'.repeat(4097), -1, -0, 0.5, 1.5, -1.5, 6, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Infinity, -Infinity, NaN,
    null, true, false, [], {}, 'primary', 'shadow', 'Production', 'prod!',
    '2025-02-29T00:00:00Z', '2025-01-31T12:00:00', '2025-01-31 12:00:00Z', '2025-01-31T24:00:00Z', '2025-01-31T12:00:00+24:00',
    '0b7e6f9c-3d2a-0c1b-9e8f-000000000003', '0b7e6f9c-3d2a-4c1b-7e8f-000000000003', '0b7e6f9c3d2a4c1b9e8f000000000003',
    { score: 0.5 }, { rating: 3 }, { comment: 'c' }, { name: 'n', argsHash: 'h', ok: true, latencyMs: 1 }, { kind: 'k', message: 'm' }, { policy: 'p', detail: 'd' },
  ),
);

type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'nudge'; at: number; pick: number }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'reverse'; at: number }
  | { kind: 'rename'; at: number; pick: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: awkward }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('nudge' as const), at: fc.nat(), pick: fc.nat() }) },
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...ENVELOPE_KEYS, 'output', 'user', '0')), value: awkward }),
  fc.record({ kind: fc.constant('reverse' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), pick: fc.nat() }),
);

/** A value just across a boundary from `value` (lengths, ranges, integrality, type). */
function nudged(value: unknown, pick: number): unknown {
  const options: unknown[] =
    typeof value === 'string'
      ? ['', `${value}x`, ` ${value}`, value.toUpperCase(), ...[128, 129, 256, 257, 4096, 4097].map((n) => 'x'.repeat(n)), 1]
      : typeof value === 'number'
        ? [value + 1, value - 1, -value, value + 0.5, value - 0.5, 2 ** 53, -1, 0, 1, 5, 6, -1.000001, 1.000001, Infinity, String(value)]
        : typeof value === 'boolean'
          ? [String(value), Number(value), null]
          : value === null
            ? [{}, 'null', 0]
            : Array.isArray(value)
              ? [[], [...value, ...value], {}, null]
              : [[], null, 'object'];
  return options[pick % options.length];
}

/** Every object / array node with its parent slot (depth-first). */
function nodes(root: unknown): Array<{ value: unknown; parent?: Json | unknown[]; key?: string | number }> {
  const out: Array<{ value: unknown; parent?: Json | unknown[]; key?: string | number }> = [{ value: root }];
  for (let i = 0; i < out.length; i++) {
    const { value } = out[i];
    if (Array.isArray(value)) value.forEach((item, index) => out.push({ value: item, parent: value, key: index }));
    else if (typeof value === 'object' && value !== null) for (const key of Object.keys(value)) out.push({ value: (value as Json)[key], parent: value as Json, key });
  }
  return out;
}

function applyMutations(event: Json, mutations: Mutation[]): Json {
  const copy = structuredClone(event);
  for (const m of mutations) {
    const all = nodes(copy);
    const node = all[m.at % all.length];
    const objects = all.filter((n) => typeof n.value === 'object' && n.value !== null && !Array.isArray(n.value));
    const object = objects[m.at % objects.length].value as Json;
    switch (m.kind) {
      case 'replace':
        if (node.parent) (node.parent as Json)[node.key as string] = structuredClone(m.value); // constants are shared between runs
        break;
      case 'nudge': {
        const leaves = all.filter((n) => n.parent && (typeof n.value !== 'object' || n.value === null));
        const leaf = leaves[m.at % leaves.length];
        if (leaf) (leaf.parent as Json)[leaf.key as string] = nudged(leaf.value, m.pick);
        break;
      }
      case 'delete':
        if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
        else if (node.parent) delete node.parent[node.key as string];
        break;
      case 'add':
        Object.defineProperty(object, m.key, { value: structuredClone(m.value), enumerable: true, writable: true, configurable: true });
        break;
      case 'reverse':
        for (const [key, value] of Object.entries(object).reverse()) {
          delete object[key];
          Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        }
        break;
      case 'rename': {
        const keys = Object.keys(object);
        const key = keys[m.pick % Math.max(1, keys.length)];
        if (key === undefined) break;
        const names = ['__proto__', '', `${key}x`, key.slice(1), 'x'.repeat(128), 'x'.repeat(129), 'constructor'];
        const value = object[key];
        delete object[key];
        Object.defineProperty(object, names[m.pick % names.length], { value, enumerable: true, writable: true, configurable: true });
        break;
      }
    }
  }
  return copy;
}

const inputs = fc.oneof(
  { weight: 1, arbitrary: validEvent },
  { weight: 3, arbitrary: fc.tuple(validEvent, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([event, ms]) => applyMutations(event, ms)) },
);

// ---- the reference: zod alone ----
type Outcome = { ok: true; value: unknown; json: string } | { ok: false; message: string; reason: string; issues: unknown; eventType?: string };

function outcomeOf(run: () => unknown): Outcome {
  try {
    const value = run();
    return { ok: true, value, json: JSON.stringify(value) };
  } catch (error) {
    if (!(error instanceof ContractViolationError)) throw error;
    return { ok: false, message: error.message, reason: error.reason, issues: error.issues, eventType: error.eventType };
  }
}

const byZod = (text: string) => outcomeOf(() => validateEvent(JSON.parse(text)));

describe('telemetry decode fast path', () => {
  it('names the same keys, in the same order, as the zod schemas', () => {
    for (const type of TYPES) {
      const schema = EVENT_CATALOG[type][1];
      expect(Object.keys(schema.shape)).toEqual([...ENVELOPE_KEYS]);
      expect(Object.keys(schema.shape.data.shape)).toEqual([...DATA_KEYS[type]]);
    }
    expect(Object.keys(ToolCall.shape)).toEqual([...TOOL_CALL_KEYS]);
    expect(Object.keys(ShadowRun.shape)).toEqual([...SHADOW_RUN_KEYS]);
    expect(Object.keys(ShadowDispatch.shape)).toEqual([...SHADOW_DISPATCH_KEYS]);
    expect(Object.keys(RequestError.shape)).toEqual([...REQUEST_ERROR_KEYS]);
    expect(Object.keys(PolicyViolation.shape)).toEqual([...POLICY_VIOLATION_KEYS]);
    const feedback = EVENT_CATALOG['agent.feedback.recorded'][1].shape.data.shape.feedback;
    expect(Object.keys((feedback as unknown as { shape: object }).shape)).toEqual([...USER_FEEDBACK_KEYS]);
  });

  it('takes every valid telemetry event in schema order (so real traffic never pays for zod)', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        expect(isCanonicalTelemetryEvent(JSON.parse(JSON.stringify(event)))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    for (const type of TYPES) expect(isCanonicalTelemetryEvent(JSON.parse(JSON.stringify(validateEvent(EXAMPLES[type]))))).toBe(true);
  });

  it('accepts only what zod accepts, and then zod returns the very same object', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        // In memory too, where values JSON cannot carry (Infinity, NaN, -0) survive. The schema alone: strings that
        // cannot be stored are refused by decodeMessage before the fast path runs (the next property covers that).
        if (!isCanonicalTelemetryEvent(input)) return void refused++;
        accepted++;
        const zod = validateEventShape(input);
        expect(zod).toStrictEqual(input);
        expect(JSON.stringify(zod)).toBe(JSON.stringify(input));
      }),
      { numRuns: 5_000 },
    );
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(2_000);
  });

  it('leaves decodeMessage returning and throwing exactly what zod alone returns and throws', () => {
    let errors = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        const text = JSON.stringify(input);
        const reference = byZod(text);
        const actual = outcomeOf(() => decodeMessage(text));
        if (!reference.ok) errors++;
        expect(actual).toStrictEqual(reference);
      }),
      { numRuns: 10_000 },
    );
    expect(errors).toBeGreaterThan(4_000);
  });

  it('refuses a reordered or defaulted event and lets zod build it (same result as before)', () => {
    const example = JSON.parse(JSON.stringify(validateEvent(EXAMPLES['agent.request.completed'])));
    const { environment: _omitted, ...withoutEnvironment } = example;
    const reordered = { data: example.data, ...example };
    for (const input of [withoutEnvironment, reordered]) {
      expect(isCanonicalTelemetryEvent(input)).toBe(false);
      expect(outcomeOf(() => decodeMessage(JSON.stringify(input)))).toStrictEqual(byZod(JSON.stringify(input)));
    }
  });

  it('takes shadow runs and the primaries that dispatched them on the fast path, with the same result as zod', () => {
    const example = JSON.parse(JSON.stringify(validateEvent(EXAMPLES['agent.request.completed'])));
    const shadow = { ...example, data: { ...example.data, role: 'shadow', shadow: { primaryVersionId: 'v41', noise: false, stubbedToolCalls: 0 } } };
    const primary = { ...example, data: { ...example.data, shadowsDispatched: [{ versionId: 'v43', noise: false }] } };
    for (const input of [shadow, primary]) {
      expect(isCanonicalTelemetryEvent(input)).toBe(true);
      expect(outcomeOf(() => decodeMessage(JSON.stringify(input)))).toStrictEqual(byZod(JSON.stringify(input)));
    }
    const tooMany = { ...example, data: { ...example.data, shadowsDispatched: Array.from({ length: 33 }, (_, i) => ({ versionId: `v${i}`, noise: false })) } };
    expect(isCanonicalTelemetryEvent(tooMany)).toBe(false);
    expect(outcomeOf(() => decodeMessage(JSON.stringify(tooMany)))).toMatchObject({ ok: false });
  });
});
