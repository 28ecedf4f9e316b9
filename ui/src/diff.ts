/** A line diff for policy versions and tool schemas: small inputs, so a plain LCS table is enough. */
export type DiffLine =
  | { kind: 'same'; text: string; a: number; b: number }
  | { kind: 'del'; text: string; a: number }
  | { kind: 'add'; text: string; b: number };

/** Above this many cells the table would be too large for a browser tab; fall back to replace-all. */
const MAX_CELLS = 4_000_000;

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  // Trim the common head and tail first: most versions change a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: 'same', text: a[i] as string, a: i + 1, b: i + 1 });
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const n = midA.length;
  const m = midB.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    for (const [i, text] of midA.entries()) out.push({ kind: 'del', text, a: head + i + 1 });
    for (const [j, text] of midB.entries()) out.push({ kind: 'add', text, b: head + j + 1 });
  } else {
    // lcs[i][j]: length of the LCS of midA[i..] and midB[j..], row-major in one array.
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * width + j] =
          midA[i] === midB[j]
            ? (lcs[(i + 1) * width + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * width + j] as number, lcs[i * width + j + 1] as number);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        out.push({ kind: 'same', text: midA[i] as string, a: head + i + 1, b: head + j + 1 });
        i++;
        j++;
      } else if (
        j < m &&
        (i === n || (lcs[i * width + j + 1] as number) >= (lcs[(i + 1) * width + j] as number))
      ) {
        out.push({ kind: 'add', text: midB[j] as string, b: head + j + 1 });
        j++;
      } else {
        out.push({ kind: 'del', text: midA[i] as string, a: head + i + 1 });
        i++;
      }
    }
  }
  for (let k = tail; k > 0; k--)
    out.push({ kind: 'same', text: a[a.length - k] as string, a: a.length - k + 1, b: b.length - k + 1 });
  return out;
}

export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') added++;
    else if (line.kind === 'del') removed++;
  }
  return { added, removed };
}
