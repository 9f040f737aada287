/** One step of an edit script turning `a` into `b`. */
export type EditOp = { kind: 'equal'; aIndex: number; bIndex: number } | { kind: 'delete'; aIndex: number } | { kind: 'insert'; bIndex: number };

/** Beyond this many edits the middle part is reported as replaced wholesale (bounds time and memory). */
export const MAX_EDIT_DISTANCE = 2000;

/**
 * Shortest edit script (Myers 1986, O((N+M)·D)), after trimming the common prefix and suffix.
 * Deletions are emitted before insertions within a change.
 */
export function diffSequences(a: readonly string[], b: readonly string[]): EditOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const ops: EditOp[] = [];
  for (let i = 0; i < start; i += 1) ops.push({ kind: 'equal', aIndex: i, bIndex: i });
  ops.push(...middle(a, b, start, endA, start, endB));
  for (let i = 0; endA + i < a.length; i += 1) ops.push({ kind: 'equal', aIndex: endA + i, bIndex: endB + i });
  return ops;
}

function middle(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number): EditOp[] {
  const n = a1 - a0;
  const m = b1 - b0;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m, d, a0, b0);
    }
  }
  return replaceAll(a0, a1, b0, b1);
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number, dEnd: number, a0: number, b0: number): EditOp[] {
  const ops: EditOp[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d -= 1) {
    const v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      ops.push({ kind: 'equal', aIndex: a0 + x, bIndex: b0 + y });
    }
    if (down) ops.push({ kind: 'insert', bIndex: b0 + prevY });
    else ops.push({ kind: 'delete', aIndex: a0 + prevX });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x -= 1;
    y -= 1;
    ops.push({ kind: 'equal', aIndex: a0 + x, bIndex: b0 + y });
  }
  return ops.reverse();
}

function replaceAll(a0: number, a1: number, b0: number, b1: number): EditOp[] {
  const ops: EditOp[] = [];
  for (let i = a0; i < a1; i += 1) ops.push({ kind: 'delete', aIndex: i });
  for (let j = b0; j < b1; j += 1) ops.push({ kind: 'insert', bIndex: j });
  return ops;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Lines prefixed with ' ', '-', '+' (and `\ No newline at end of file` markers). */
  lines: string[];
}

export interface TextDiff {
  changed: boolean;
  added: number;
  removed: number;
  hunks: DiffHunk[];
  /** Unified diff text (`--- a/<name>`, `+++ b/<name>`, `@@ … @@` hunks); empty when unchanged. */
  unified: string;
}

const NO_EOL = '\\ No newline at end of file';

interface Line {
  text: string;
  /** Last line of a text that does not end with a newline. */
  noEol: boolean;
}

function splitLines(text: string): Line[] {
  if (text === '') return [];
  const endsWithNewline = text.endsWith('\n');
  const parts = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  return parts.map((line, index) => ({ text: line, noEol: !endsWithNewline && index === parts.length - 1 }));
}

/** Line-based unified diff of two texts with `context` lines around each change. */
export function diffText(before: string, after: string, name = 'text', context = 3): TextDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  const key = (line: Line) => (line.noEol ? `${line.text}\u0000` : line.text);
  const ops = diffSequences(a.map(key), b.map(key));
  const added = ops.filter((op) => op.kind === 'insert').length;
  const removed = ops.filter((op) => op.kind === 'delete').length;
  if (added === 0 && removed === 0) return { changed: false, added, removed, hunks: [], unified: '' };
  const hunks = toHunks(ops, a, b, context);
  const unified = [`--- a/${name}`, `+++ b/${name}`, ...hunks.flatMap((h) => [`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines])].join('\n') + '\n';
  return { changed: true, added, removed, hunks, unified };
}

function toHunks(ops: EditOp[], a: Line[], b: Line[], context: number): DiffHunk[] {
  const changeIndexes = ops.flatMap((op, index) => (op.kind === 'equal' ? [] : [index]));
  const groups: [number, number][] = [];
  for (const index of changeIndexes) {
    const last = groups[groups.length - 1];
    if (last && index - last[1] - 1 <= 2 * context) last[1] = index;
    else groups.push([index, index]);
  }
  return groups.map(([first, last]) => {
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length - 1, last + context);
    const slice = ops.slice(from, to + 1);
    const lines: string[] = [];
    let oldLines = 0;
    let newLines = 0;
    for (const op of slice) {
      const line = op.kind === 'insert' ? b[op.bIndex] : a[op.aIndex];
      const prefix = op.kind === 'equal' ? ' ' : op.kind === 'delete' ? '-' : '+';
      if (op.kind !== 'insert') oldLines += 1;
      if (op.kind !== 'delete') newLines += 1;
      lines.push(`${prefix}${line.text}`);
      if (line.noEol) lines.push(NO_EOL);
    }
    const oldStart = firstIndex(slice, 'a') ?? countBefore(ops, from, 'a');
    const newStart = firstIndex(slice, 'b') ?? countBefore(ops, from, 'b');
    return { oldStart: oldLines ? oldStart + 1 : oldStart, oldLines, newStart: newLines ? newStart + 1 : newStart, newLines, lines };
  });
}

function firstIndex(slice: EditOp[], side: 'a' | 'b'): number | undefined {
  for (const op of slice) {
    if (side === 'a' && op.kind !== 'insert') return op.aIndex;
    if (side === 'b' && op.kind !== 'delete') return op.bIndex;
  }
  return undefined;
}

/** Lines of one side consumed before `index` (start of an empty range, per unified-diff convention). */
function countBefore(ops: EditOp[], index: number, side: 'a' | 'b'): number {
  return ops.slice(0, index).filter((op) => (side === 'a' ? op.kind !== 'insert' : op.kind !== 'delete')).length;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}
