import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

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

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['npm exec -- cat x', ['read /home/u/p/x']],
    ['npx cat x', ['read /home/u/p/x']],
    ['pnpm dlx cat x', ['read /home/u/p/x']],
    ['yarn exec cat x', ['read /home/u/p/x']],
    ['bunx cat x', ['read /home/u/p/x']],
    ['uv run cat x', ['read /home/u/p/x']],
    ['uvx ruff check x/y', ['any /home/u/p/x/y']],
    ['poetry run cat x', ['read /home/u/p/x']],
    ['bundle exec cat x', ['read /home/u/p/x']],
    ['conda run -n env cat x', ['read /home/u/p/x']],
    ['direnv exec /tmp cat x', ['read /home/u/p/x']],
    ['aws-vault exec prod -- cat x', ['read /home/u/p/x']],
    ["nix-shell --run 'cat x'", ['read /home/u/p/x']],
    ['nix develop -c cat x', ['read /home/u/p/x']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['npm exec -- cat x', ['npm', 'cat']],
    ['npx cat x', ['npx', 'cat']],
    ['pnpm dlx cat x', ['pnpm', 'cat']],
    ['yarn exec cat x', ['yarn', 'cat']],
    ['bunx cat x', ['bunx', 'cat']],
    ['uv run cat x', ['uv', 'cat']],
    ['uvx ruff check x/y', ['uvx', 'ruff']],
    ['poetry run cat x', ['poetry', 'cat']],
    ['bundle exec cat x', ['bundle', 'cat']],
    ['conda run -n env cat x', ['conda', 'cat']],
    ['direnv exec /tmp cat x', ['direnv', 'cat']],
    ['aws-vault exec prod -- cat x', ['aws-vault', 'cat']],
    ["nix-shell --run 'cat x'", ['nix-shell', 'cat']],
    ['nix develop -c cat x', ['nix', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['npm exec -- cat x', false],
    ['npx cat x', false],
    ['pnpm dlx cat x', false],
    ['yarn exec cat x', false],
    ['bunx cat x', false],
    ['uv run cat x', false],
    ['uvx ruff check x/y', false],
    ['poetry run cat x', false],
    ['bundle exec cat x', false],
    ['conda run -n env cat x', false],
    ['direnv exec /tmp cat x', false],
    ['aws-vault exec prod -- cat x', false],
    ["nix-shell --run 'cat x'", false],
    ['nix develop -c cat x', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
