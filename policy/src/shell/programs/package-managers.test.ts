import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('package managers (npm, npx, pnpm, yarn)', () => {
  test.each<[string, string[]]>([
    ['npm install', []],
    ['npm run build', []],
    ['npm test -- --watch=false', []],
    ['npm --userconfig ./npmrc install', ['read /home/u/p/./npmrc']],
    ['npm config set script-shell /bin/evil', ['any /bin/evil']],
    ["npm exec -c 'cat ~/.ssh/id_rsa'", ['read /home/u/.ssh/id_rsa']],
    ["npx -c 'cat x'", ['read /home/u/p/x']],
    ['npx tsc --noEmit', []],
    ['pnpm install --filter web', []],
    ['yarn add lodash', []],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ["npm exec -c 'cat ~/.ssh/id_rsa'", ['npm', 'cat']],
    ["npx -c 'cat x'", ['npx', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each(['npm config set script-shell /bin/evil'])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'npm install',
    'npm run build',
    'npm test -- --watch=false',
    'npm --userconfig ./npmrc install',
    "npm exec -c 'cat ~/.ssh/id_rsa'",
    "npx -c 'cat x'",
    'npx tsc --noEmit',
    'pnpm install --filter web',
    'yarn add lodash',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
