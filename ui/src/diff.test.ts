import { expect, test } from 'bun:test';
import { diffLines, diffStats } from './diff.ts';

test('diffLines() marks one changed line as a deletion and an addition, with both line numbers', () => {
  const lines = diffLines('a\nb\nc', 'a\nB\nc');
  expect(lines).toEqual([
    { kind: 'same', text: 'a', a: 1, b: 1 },
    { kind: 'add', text: 'B', b: 2 },
    { kind: 'del', text: 'b', a: 2 },
    { kind: 'same', text: 'c', a: 3, b: 3 },
  ]);
  expect(diffStats(lines)).toEqual({ added: 1, removed: 1 });
});

test('diffLines() finds inserted and removed runs in the middle', () => {
  const lines = diffLines('1\n2\n3\n4\n5', '1\n2\nx\ny\n4\n5');
  expect(lines.filter((l) => l.kind !== 'same').map((l) => `${l.kind}:${l.text}`)).toEqual([
    'add:x',
    'add:y',
    'del:3',
  ]);
});

test('diffLines() of equal texts has no changes, and of an empty text only additions', () => {
  expect(diffStats(diffLines('same\ntext', 'same\ntext'))).toEqual({ added: 0, removed: 0 });
  expect(diffStats(diffLines('', 'a\nb'))).toEqual({ added: 2, removed: 0 });
});
