import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('database shells (sqlite3)', () => {
  test.each<[string, string[]]>([
    ["sqlite3 app.db 'select 1'", ['any /home/u/p/app.db']],
    ["sqlite3 app.db '.shell id'", ['any /home/u/p/app.db']],
    ['sqlite3 -init init.sql app.db', ['read /home/u/p/init.sql', 'any /home/u/p/app.db']],
    ["echo 'select 1' | sqlite3 app.db", ['any /home/u/p/app.db']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([["echo 'select 1' | sqlite3 app.db", ['echo', 'sqlite3']]])(
    '%s runs %p',
    (command, expected) => {
      expect(programNames(analyze(command))).toEqual(expected);
    },
  );

  test.each(["sqlite3 app.db '.shell id'"])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    "sqlite3 app.db 'select 1'",
    'sqlite3 -init init.sql app.db',
    "echo 'select 1' | sqlite3 app.db",
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
