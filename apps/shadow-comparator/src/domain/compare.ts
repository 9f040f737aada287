import type { ShadowDifferenceKind } from '@iris/contracts';
import type { RunRecord, ToolStep } from './run';
import type { Scorer } from './scorer';

export type ToolSequenceChange = 'identical' | 'reordered' | 'added' | 'removed' | 'changed';
export type ErrorMismatch = 'none' | 'candidate-only' | 'baseline-only';

/** How one shadow run differed from the primary it mirrors. */
export interface PairComparison {
  toolSequence: ToolSequenceChange;
  /** Tools (names) the shadow called that the primary did not, and the reverse. */
  addedTools: string[];
  removedTools: string[];
  outputEqual: boolean;
  /** Scorer similarity when both sides shipped their output text. */
  similarity?: number;
  costDeltaUsd: number;
  latencyDeltaMs: number;
  /** Policies the shadow violated and the primary did not. */
  newViolations: string[];
  errorMismatch: ErrorMismatch;
  differences: ShadowDifferenceKind[];
  /** Ranks the worst-diverging requests: one point per difference kind, plus (1 − similarity). */
  divergence: number;
}

export interface CompareOptions {
  scorer?: Scorer;
  /** Outputs whose digests differ but score at least this are the same decision. Default 0.9. */
  equivalentSimilarity?: number;
}

const stepKey = (s: ToolStep) => `${s.name}\u0000${s.argsHash}`;

function multiset(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/** Whether every element of `small` is in `big` at least as often. */
function contains(big: Map<string, number>, small: Map<string, number>): boolean {
  for (const [k, n] of small) if ((big.get(k) ?? 0) < n) return false;
  return true;
}

/** identical (same calls, same order), reordered (same calls), added / removed (a strict superset / subset), else changed. */
export function classifyToolSequence(baseline: readonly ToolStep[], candidate: readonly ToolStep[]): ToolSequenceChange {
  const a = baseline.map(stepKey);
  const b = candidate.map(stepKey);
  if (a.length === b.length && a.every((k, i) => k === b[i])) return 'identical';
  const ma = multiset(a);
  const mb = multiset(b);
  if (a.length === b.length && contains(ma, mb)) return 'reordered';
  if (b.length > a.length && contains(mb, ma)) return 'added';
  if (b.length < a.length && contains(ma, mb)) return 'removed';
  return 'changed';
}

/** Compares a shadow run with the primary it mirrors. Pure. */
export function comparePair(primary: RunRecord, shadow: RunRecord, options: CompareOptions = {}): PairComparison {
  const toolSequence = classifyToolSequence(primary.tools, shadow.tools);
  const primaryTools = new Set(primary.tools.map((t) => t.name));
  const shadowTools = new Set(shadow.tools.map((t) => t.name));
  const outputEqual = primary.outputDigest === shadow.outputDigest;
  const similarity =
    !outputEqual && options.scorer && primary.output !== undefined && shadow.output !== undefined ? options.scorer.score(primary.output, shadow.output) : undefined;
  const equivalent = outputEqual || (similarity !== undefined && similarity >= (options.equivalentSimilarity ?? 0.9));
  const primaryViolations = new Set(primary.violations);
  const newViolations = [...new Set(shadow.violations.filter((p) => !primaryViolations.has(p)))].sort();
  const errorMismatch: ErrorMismatch =
    (primary.error === null) === (shadow.error === null) ? 'none' : shadow.error !== null ? 'candidate-only' : 'baseline-only';

  const differences: ShadowDifferenceKind[] = [];
  if (toolSequence !== 'identical' || !equivalent) differences.push('decision');
  if (toolSequence !== 'identical') differences.push('tool-sequence');
  if (!outputEqual) differences.push('output');
  if (newViolations.length > 0) differences.push('new-violation');
  if (errorMismatch !== 'none') differences.push('error-mismatch');
  return {
    toolSequence,
    addedTools: [...shadowTools].filter((t) => !primaryTools.has(t)).sort(),
    removedTools: [...primaryTools].filter((t) => !shadowTools.has(t)).sort(),
    outputEqual,
    ...(similarity !== undefined && { similarity }),
    costDeltaUsd: shadow.costUsd - primary.costUsd,
    latencyDeltaMs: shadow.latencyMs - primary.latencyMs,
    newViolations,
    errorMismatch,
    differences,
    divergence: differences.length + (similarity !== undefined ? 1 - similarity : outputEqual ? 0 : 1),
  };
}
