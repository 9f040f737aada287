/**
 * Deterministic, non-cryptographic hashing for routing: the same inputs give the same numbers in every
 * process, on every Node version and in any SDK that implements the few lines below (docs/routing.md).
 *
 *   h           = FNV-1a-32( UTF-8(agent) ‖ 0x00 ‖ UTF-8(sessionId) )
 *   draw(seed)  = fmix32(h XOR seed)                                one independent 32-bit draw per seed
 *   placement   : seed = FNV-1a-32(UTF-8(versionId))                (weighted rendezvous, see weight-layout)
 *   shadow      : seed = FNV-1a-32(UTF-8("shadow:" + versionId)),  sampled when draw / 2^32 < sampleRate
 *
 * fmix32 is MurmurHash3's finaliser: FNV-1a alone mixes the last characters of an id poorly into the high bits,
 * and sequential ids (s-1, s-2, …) must still spread evenly.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 4_294_967_296;

/** FNV-1a state after `text` (UTF-8 bytes, lone surrogates as U+FFFD, like Buffer.from / TextEncoder). */
export function fnv1aUtf8(text: string, state = FNV_OFFSET): number {
  let hash = state;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      continue;
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (code >> 18)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
        continue;
      }
      code = 0xfffd; // lone surrogate
    }
    hash = Math.imul(hash ^ (0xe0 | (code >> 12)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  return hash >>> 0;
}

/** FNV-1a state after the agent and the 0x00 separator: computed once per routing table. */
export function agentSeed(agent: string): number {
  return Math.imul(fnv1aUtf8(agent) ^ 0, FNV_PRIME) >>> 0;
}

/** The session's 32-bit hash, continuing from agentSeed(agent). */
export function sessionHash(seed: number, sessionId: string): number {
  return fnv1aUtf8(sessionId, seed);
}

/** MurmurHash3 32-bit finaliser (a bijection on 32-bit integers). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The draw for `seed` as a point in [0, 1). */
export function unitPoint(hash: number, seed = 0): number {
  return fmix32((hash ^ seed) >>> 0) / TWO_POW_32;
}

/** Seed of a version's placement draw: FNV-1a of its id. */
export function versionSeed(versionId: string): number {
  return fnv1aUtf8(versionId);
}

/** Seed of a shadow target's sampling draw (independent of its placement draw). */
export function shadowSeed(versionId: string): number {
  return fnv1aUtf8(`shadow:${versionId}`);
}
