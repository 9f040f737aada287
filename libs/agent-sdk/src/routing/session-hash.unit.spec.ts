import fc from 'fast-check';
import { agentSeed, fmix32, fnv1aUtf8, sessionHash, unitPoint } from './session-hash';

/** Reference: FNV-1a 32 over the bytes Node's own UTF-8 encoder produces. */
function fnvOfBytes(bytes: Uint8Array, state = 0x811c9dc5): number {
  let hash = state;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

describe('session hash', () => {
  it('is FNV-1a over the UTF-8 bytes (any string, incl. astral and lone surrogates)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(fnv1aUtf8(text)).toBe(fnvOfBytes(Buffer.from(text, 'utf8')));
      }),
      { numRuns: 2_000 },
    );
  });

  it('hashes agent ‖ 0x00 ‖ sessionId', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (agent, sessionId) => {
        const bytes = Buffer.concat([Buffer.from(agent, 'utf8'), Buffer.from([0]), Buffer.from(sessionId, 'utf8')]);
        expect(sessionHash(agentSeed(agent), sessionId)).toBe(fnvOfBytes(bytes));
      }),
    );
  });

  it('gives the same points as before (golden values: other processes, Node versions and SDKs must agree)', () => {
    const seed = agentSeed('support-bot');
    expect(sessionHash(seed, 'session-1')).toBe(GOLDEN.hash);
    expect(unitPoint(sessionHash(seed, 'session-1'))).toBe(GOLDEN.point);
    expect(unitPoint(sessionHash(seed, 'séance-✓-𝄞'))).toBe(GOLDEN.unicodePoint);
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('spreads sequential ids evenly over [0, 1)', () => {
    const seed = agentSeed('support-bot');
    const buckets = new Array<number>(20).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(unitPoint(sessionHash(seed, `s-${i}`)) * 20)]++;
    for (const count of buckets) expect(Math.abs(count - 5_000)).toBeLessThan(300); // ~4.4 σ
  });
});

// Cross-checked with an independent implementation (Python) of the algorithm in docs/routing.md.
const GOLDEN = { hash: 2561907946, point: 0.8980914070270956, unicodePoint: 0.583272396819666 };
