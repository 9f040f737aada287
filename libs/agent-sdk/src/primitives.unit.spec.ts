import { backoffDelayMs } from './backoff';
import { EventIdGenerator } from './event-id';
import { rateLimitedLogger } from './logger';
import { RecordRing } from './record-ring';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventIdGenerator', () => {
  it('produces unique RFC 4122 v4-shaped ids, distinct across generators', () => {
    const a = new EventIdGenerator();
    const b = new EventIdGenerator();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = a.next();
      expect(id).toMatch(UUID_V4);
      ids.add(id);
      ids.add(b.next());
    }
    expect(ids.size).toBe(20_000);
  });
});

describe('RecordRing', () => {
  it('evicts the oldest when full and addresses entries by sequence', () => {
    const ring = new RecordRing<number>(3);
    expect([1, 2, 3].map((n) => ring.push(n))).toEqual([false, false, false]);
    expect(ring.push(4)).toBe(true);
    expect([ring.headSeq, ring.tailSeq, ring.size]).toEqual([1, 4, 3]);
    expect([1, 2, 3].map((seq) => ring.at(seq))).toEqual([2, 3, 4]);
    ring.releaseBefore(3);
    expect([ring.headSeq, ring.size, ring.at(3)]).toEqual([3, 1, 4]);
    ring.releaseBefore(2); // already released: no effect
    expect(ring.headSeq).toBe(3);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from min, caps at max, with equal jitter', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelayMs(n, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 10].map((n) => backoffDelayMs(n, 100, 1000, () => 0))).toEqual([50, 100, 500]);
  });
});

describe('rateLimitedLogger', () => {
  it('lets one line per message per interval through, reporting the suppressed count', () => {
    let now = 0;
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = rateLimitedLogger({ log: (_level, message, fields) => lines.push([message, fields]) }, 1000, () => now);
    logger.log('warn', 'a', { n: 1 });
    logger.log('warn', 'a', { n: 2 });
    logger.log('warn', 'b');
    now = 1500;
    logger.log('warn', 'a', { n: 3 });
    expect(lines).toEqual([
      ['a', { n: 1 }],
      ['b', undefined],
      ['a', { n: 3, suppressed: 1 }],
    ]);
  });
});
