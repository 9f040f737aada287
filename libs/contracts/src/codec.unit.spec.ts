import { MAX_MESSAGE_BYTES, decodeMessage, encodeMessage, validateEvent } from './codec';
import { ContractViolationError } from './errors';
import { EXAMPLES } from './examples';

function violation(fn: () => unknown): ContractViolationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolationError);
    return error as ContractViolationError;
  }
  throw new Error('expected a ContractViolationError');
}

const example = EXAMPLES['agent.request.completed'];
const asJson = (value: unknown) => JSON.stringify(value);

describe('decodeMessage', () => {
  it('decodes a Buffer into a typed event', () => {
    const event = decodeMessage(Buffer.from(asJson(example)));
    expect(event.type).toBe('agent.request.completed');
    if (event.type === 'agent.request.completed') expect(event.data.tokensIn).toBe(812);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty buffer', Buffer.alloc(0)],
    ['an empty string', ''],
  ])('rejects %s as an empty message', (_label, input) => {
    const error = violation(() => decodeMessage(input));
    expect(error.reason).toBe('EMPTY');
    expect(error.message).toBe('Contract violation: <message>: message is empty');
  });

  it('rejects non-JSON bytes', () => {
    const error = violation(() => decodeMessage(Buffer.from([0xff, 0x00, 0x7b, 0x01])));
    expect(error.reason).toBe('NOT_JSON');
    expect(error.message).toContain('is not valid JSON');
  });

  it.each([['an array', '[1,2]'], ['a number', '42'], ['null', 'null']])('rejects %s as not an object', (_label, text) => {
    expect(violation(() => decodeMessage(text)).reason).toBe('NOT_AN_OBJECT');
  });

  it('rejects a payload over 1 MiB before parsing', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const huge = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20);
      const error = violation(() => decodeMessage(huge));
      expect(error.reason).toBe('TOO_LARGE');
      expect(error.message).toContain(`is ${MAX_MESSAGE_BYTES + 1} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('measures strings in UTF-8 bytes, not characters', () => {
    const output = 'é'.repeat(MAX_MESSAGE_BYTES / 2); // 2 bytes each: alone fills the limit
    const text = asJson({ ...example, data: { ...example.data, output } });
    expect(text.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(violation(() => decodeMessage(text)).reason).toBe('TOO_LARGE');
  });

  it('accepts a large message just under the limit', () => {
    const base = Buffer.byteLength(asJson({ ...example, data: { ...example.data, output: '' } }));
    const output = 'x'.repeat(MAX_MESSAGE_BYTES - base);
    const bytes = Buffer.from(asJson({ ...example, data: { ...example.data, output } }));
    expect(bytes.length).toBe(MAX_MESSAGE_BYTES);
    expect(decodeMessage(bytes).type).toBe('agent.request.completed');
  });

  it('rejects an unknown type, saying which', () => {
    const error = violation(() => decodeMessage(asJson({ ...example, type: 'agent.request.exploded' })));
    expect(error.reason).toBe('UNKNOWN_TYPE');
    expect(error.issues[0].path).toBe('type');
    expect(error.message).toContain('unknown event type "agent.request.exploded"');
  });

  it('rejects a missing type', () => {
    const { type: _omitted, ...rest } = example;
    expect(violation(() => decodeMessage(asJson(rest))).issues).toEqual([{ path: 'type', message: 'is required' }]);
  });

  it('does not resolve types through the prototype chain', () => {
    expect(violation(() => decodeMessage(asJson({ ...example, type: 'constructor' }))).reason).toBe('UNKNOWN_TYPE');
  });

  it.each([2, 0, '1', 1.5])('rejects schemaVersion %p, listing supported versions', (schemaVersion) => {
    const error = violation(() => decodeMessage(asJson({ ...example, schemaVersion })));
    expect(error.reason).toBe('UNSUPPORTED_VERSION');
    expect(error.eventType).toBe('agent.request.completed');
    expect(error.message).toContain(`schemaVersion: unsupported version ${JSON.stringify(schemaVersion)} for agent.request.completed (supported: 1)`);
  });

  it('rejects a missing schemaVersion', () => {
    const { schemaVersion: _omitted, ...rest } = example;
    expect(violation(() => decodeMessage(asJson(rest))).message).toContain('schemaVersion: is required for agent.request.completed');
  });

  it('rejects a bad UUID', () => {
    const error = violation(() => decodeMessage(asJson({ ...example, eventId: '1234' })));
    expect(error.issues).toEqual([{ path: 'eventId', message: 'must be a UUID' }]);
  });

  it('rejects a missing envelope field', () => {
    const { correlationId: _omitted, ...rest } = example;
    expect(violation(() => decodeMessage(asJson(rest))).issues).toEqual([{ path: 'correlationId', message: 'is required' }]);
  });
});

describe('encodeMessage', () => {
  it('round-trips', () => {
    expect(decodeMessage(encodeMessage(example))).toEqual(example);
  });

  it('refuses an event whose encoding exceeds the limit', () => {
    const event = { ...example, data: { ...example.data, output: 'x'.repeat(MAX_MESSAGE_BYTES) } };
    expect(validateEvent(event).type).toBe('agent.request.completed');
    expect(violation(() => encodeMessage(event)).reason).toBe('TOO_LARGE');
  });
});
