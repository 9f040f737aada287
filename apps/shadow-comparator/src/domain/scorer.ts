/**
 * Scores how alike two outputs are, 0 (unrelated) … 1 (equivalent). The comparator uses one when both sides
 * shipped their output text. An embedding- or judge-based scorer implements this interface (kept synchronous:
 * a scorer that calls a model should be fed from a cache the service fills, so replay gives the same scores).
 */
export interface Scorer {
  readonly name: string;
  score(baseline: string, candidate: string): number;
}

/** Lowercase, punctuation dropped, whitespace collapsed: formatting alone never makes two outputs differ. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function tokens(text: string): string[] {
  const normalised = normaliseText(text);
  return normalised === '' ? [] : normalised.split(' ');
}

/** Default: Sørensen–Dice coefficient over the multisets of normalised words (word order ignored). */
export class NormalisedTokenScorer implements Scorer {
  readonly name = 'normalised-token-dice';

  score(baseline: string, candidate: string): number {
    const a = tokens(baseline);
    const b = tokens(candidate);
    if (a.length === 0 && b.length === 0) return 1;
    const counts = new Map<string, number>();
    for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
    let shared = 0;
    for (const t of b) {
      const left = counts.get(t) ?? 0;
      if (left > 0) {
        shared++;
        counts.set(t, left - 1);
      }
    }
    return (2 * shared) / (a.length + b.length);
  }
}

/**
 * Example of an embedding-style scorer: cosine similarity of two vectors from `embed`. The default embedding is
 * a local one (hashed character trigrams, 256 dimensions), so it runs without a model; pass a real embedding
 * function (backed by a cache) to use a model.
 */
export class EmbeddingCosineScorer implements Scorer {
  readonly name: string;

  constructor(
    private readonly embed: (text: string) => readonly number[] = hashedTrigramEmbedding,
    name = 'embedding-cosine',
  ) {
    this.name = name;
  }

  score(baseline: string, candidate: string): number {
    const a = this.embed(baseline);
    const b = this.embed(candidate);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! * a[i]!;
      nb += b[i]! * b[i]!;
    }
    if (na === 0 && nb === 0) return 1;
    if (na === 0 || nb === 0) return 0;
    return Math.max(0, Math.min(1, dot / Math.sqrt(na * nb)));
  }
}

/** Character trigrams of the normalised text, hashed (FNV-1a) into 256 buckets. */
export function hashedTrigramEmbedding(text: string): number[] {
  const vector = new Array<number>(256).fill(0);
  const padded = ` ${normaliseText(text)} `;
  for (let i = 0; i + 3 <= padded.length; i++) {
    let hash = 0x811c9dc5;
    for (let j = i; j < i + 3; j++) hash = Math.imul(hash ^ padded.charCodeAt(j), 0x01000193);
    vector[(hash >>> 0) % 256]++;
  }
  return vector;
}
