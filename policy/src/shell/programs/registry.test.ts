import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Handler } from '../analyze.ts';
import { FAMILIES, PROGRAMS } from './index.ts';
import { createFamily, createProgramTable } from './registry.ts';

const noop: Handler = () => {};

describe('the program table', () => {
  test('composes families and falls back for unknown and versioned names', () => {
    const first = createFamily('first');
    const fallback: Handler = () => {};
    first.define(['python'], noop);
    const table = createProgramTable([first.family], fallback);
    expect(table.handlerFor('python')).toBe(noop);
    expect(table.handlerFor('python3.12')).toBe(noop);
    expect(table.handlerFor('unknown-tool')).toBe(fallback);
    expect(table.familyOf('python')).toBe('first');
  });

  test('refuses a program two families define', () => {
    const a = createFamily('a');
    const b = createFamily('b');
    a.define('cat', noop);
    b.define(['ls', 'cat'], noop);
    expect(() => createProgramTable([a.family, b.family], noop)).toThrow('"a" defines it');
  });

  test('every family of the shipped table defines programs, and no name twice', () => {
    const names = FAMILIES.flatMap((family) => [...family.handlers.keys()]);
    expect(new Set(names).size).toBe(names.length);
    for (const family of FAMILIES) expect(family.handlers.size).toBeGreaterThan(0);
    expect(PROGRAMS.familyOf('git')).toBe('vcs');
    expect(PROGRAMS.familyOf('tar')).toBe('archive');
  });

  test('no program module imports the analyzer at run time (the cycle stays broken)', () => {
    const dir = import.meta.dir;
    const offenders = readdirSync(dir)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'table-support.ts')
      .filter((file) =>
        /^import\s+(?!type\b)[^;]*from\s+'\.\.\/analyze\.ts'/m.test(readFileSync(join(dir, file), 'utf8')),
      );
    expect(offenders).toEqual([]);
  });
});
