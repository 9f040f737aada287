import { randomUUID } from 'node:crypto';
import { decodeMessage, validateEvent } from './codec';
import { ContractViolationError } from './errors';
import { findUnstorableField, jsonTextMayHoldUnstorable, MAX_JSON_DEPTH, unstorableTextReason } from './storable-json';

describe('strings PostgreSQL cannot store', () => {
  it('finds NUL and unpaired surrogates, and accepts paired ones (emoji) and other control characters', () => {
    expect(unstorableTextReason('a\u0000b')).toMatch(/NUL character \(U\+0000\) at index 1/);
    expect(unstorableTextReason('x\uD800')).toMatch(/unpaired UTF-16 surrogate \(U\+D800\) at index 1/);
    expect(unstorableTextReason('\uDC00y')).toMatch(/unpaired UTF-16 surrogate \(U\+DC00\) at index 0/);
    expect(unstorableTextReason('ok 😀 \u0007 \u202E')).toBeUndefined();
  });

  it('names the field, in values and property names, at any depth', () => {
    expect(findUnstorableField({ a: [{ b: 'fine' }, { c: 'bad\u0000' }] }, '')).toEqual({ field: 'a[1].c', reason: expect.stringContaining('NUL') });
    expect(findUnstorableField({ spec: { ['k\uD801']: 1 } }, 'body')).toEqual({ field: 'body.spec', reason: expect.stringContaining('property name') });
    expect(findUnstorableField({ a: 1, b: [true, null, 'x'] }, '')).toBeUndefined();
  });

  it('refuses nesting deeper than the bound without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableField(deep, '')?.reason).toBe(`is nested more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('the text pre-check: escapes in JSON from bytes, raw characters in a JS string', () => {
    expect(jsonTextMayHoldUnstorable('{"a":"b"}', true)).toBe(false);
    expect(jsonTextMayHoldUnstorable('{"a":"\\u0000"}', true)).toBe(true);
    expect(jsonTextMayHoldUnstorable('{"a":"\uD800"}', false)).toBe(true);
  });

  it('decodeMessage and validateEvent refuse them with the field, from bytes and from strings', () => {
    const event = {
      type: 'agent.session.started',
      schemaVersion: 1,
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: 's1',
      causationId: null,
      environment: 'production',
      data: { agent: 'a', versionId: 'v1', sessionId: 's1', tenant: 'acme\u0000' },
    };
    for (const input of [Buffer.from(JSON.stringify(event)), JSON.stringify(event)]) {
      expect(() => decodeMessage(input)).toThrow(ContractViolationError);
      expect(() => decodeMessage(input)).toThrow(/data\.tenant: contains a NUL character/);
    }
    expect(() => validateEvent({ ...event, data: { ...event.data, tenant: 'acme\uD800' } })).toThrow(/data\.tenant: contains an unpaired UTF-16 surrogate/);
  });
});
