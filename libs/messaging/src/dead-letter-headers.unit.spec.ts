import { createHash } from 'node:crypto';
import { DLQ_HEADERS, DLQ_MAX_MESSAGE_BYTES } from '@iris/contracts';
import { DEAD_LETTER_BUDGET_BYTES, DEAD_LETTER_TOPIC_MAX_MESSAGE_BYTES, DeadLetterHeaders, messageBytes, splitBySize, toDeadLetter } from './dead-letter';
import { RawMessage } from './message-bus';

it('dead-letter headers are the ones the AsyncAPI document describes', () => {
  expect(DeadLetterHeaders).toEqual(DLQ_HEADERS);
  expect(DEAD_LETTER_TOPIC_MAX_MESSAGE_BYTES).toBe(DLQ_MAX_MESSAGE_BYTES);
});

const raw = (value: Buffer, offset = '7'): RawMessage => ({ topic: 't', partition: 2, offset, key: Buffer.from('session-1'), value, headers: { 'x-app': 'a' }, timestamp: '0' });

it('a dead letter keeps a value that fits as it is', () => {
  const letter = toDeadLetter(raw(Buffer.from('{"a":1}')), 'invalid', 'bad');
  expect(letter.value).toEqual(Buffer.from('{"a":1}'));
  expect(letter.headers).not.toHaveProperty(DeadLetterHeaders.originalSize);
});

it('an oversized value is truncated to fit, with the original size and digest; key and headers are kept', () => {
  const value = Buffer.alloc(3 * 1024 * 1024, 'x');
  const letter = toDeadLetter(raw(value), 'invalid', 'is 3145728 bytes, over the limit');
  expect(messageBytes(letter)).toBeLessThanOrEqual(DEAD_LETTER_BUDGET_BYTES);
  expect((letter.value as Buffer).equals(value.subarray(0, (letter.value as Buffer).length))).toBe(true);
  expect(letter.key).toEqual(Buffer.from('session-1'));
  expect(letter.headers).toMatchObject({
    'x-app': 'a',
    [DeadLetterHeaders.sourceOffset]: '7',
    [DeadLetterHeaders.originalSize]: String(value.length),
    [DeadLetterHeaders.originalDigest]: `sha256:${createHash('sha256').update(value).digest('hex')}`,
  });
});

it('dead letters are written in groups within the budget, in order', () => {
  const letters = Array.from({ length: 5 }, (_, i) => toDeadLetter(raw(Buffer.alloc(400_000, 'y'), String(i)), 'invalid', 'too big'));
  const groups = splitBySize(letters);
  expect(groups.map((group) => group.length)).toEqual([2, 2, 1]);
  expect(groups.flat()).toEqual(letters);
  for (const group of groups) expect(group.reduce((sum, letter) => sum + messageBytes(letter), 0)).toBeLessThanOrEqual(DEAD_LETTER_BUDGET_BYTES);
});
