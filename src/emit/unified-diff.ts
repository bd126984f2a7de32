/**
 * A small line-based unified diff (Myers' O(ND) algorithm), for `compile --check` output. The
 * files are Jenkinsfiles of a few hundred lines, so no dependency is needed.
 */

type Edit = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Shortest edit script between two line arrays (Myers, with a trace for backtracking). */
function diffLines(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v.slice());
  // Backtrack from the end through the recorded V arrays.
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ kind: ' ', line: a[--x]! });
      y--;
    }
    if (d === 0) break;
    if (x === prevX) edits.push({ kind: '+', line: b[--y]! });
    else edits.push({ kind: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    edits.push({ kind: ' ', line: a[--x]! });
    y--;
  }
  return edits.reverse();
}

/**
 * A unified diff of `before` → `after` with `context` lines around each change, or '' when the
 * texts are equal.
 */
export function unifiedDiff(before: string, after: string, beforeName: string, afterName: string, context = 3): string {
  if (before === after) return '';
  const edits = diffLines(splitLines(before), splitLines(after));
  const out: string[] = [`--- ${beforeName}`, `+++ ${afterName}`];
  // Positions (1-based) in each file for every edit.
  let aLine = 1;
  let bLine = 1;
  const positioned = edits.map((edit) => {
    const at = { ...edit, a: aLine, b: bLine };
    if (edit.kind !== '+') aLine++;
    if (edit.kind !== '-') bLine++;
    return at;
  });
  let i = 0;
  while (i < positioned.length) {
    if (positioned[i]!.kind === ' ') {
      i++;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    for (;;) {
      while (end < positioned.length && positioned[end]!.kind !== ' ') end++;
      let gap = end;
      while (gap < positioned.length && positioned[gap]!.kind === ' ' && gap - end < 2 * context) gap++;
      if (gap < positioned.length && positioned[gap]!.kind !== ' ') end = gap;
      else break;
    }
    const stop = Math.min(positioned.length, end + context);
    const hunk = positioned.slice(start, stop);
    const aCount = hunk.filter((e) => e.kind !== '+').length;
    const bCount = hunk.filter((e) => e.kind !== '-').length;
    const aStart = aCount === 0 ? hunk[0]!.a - 1 : hunk.find((e) => e.kind !== '+')!.a;
    const bStart = bCount === 0 ? hunk[0]!.b - 1 : hunk.find((e) => e.kind !== '-')!.b;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const e of hunk) out.push(`${e.kind}${e.line}`);
    i = stop;
    start = stop;
  }
  return `${out.join('\n')}\n`;
}
