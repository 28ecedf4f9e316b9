import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('build and developer tools (make, cargo, go, gcc, tsc, kubectl)', () => {
  test.each<[string, string[]]>([
    ['make', []],
    ['make -C sub all', ['read+r /home/u/p/sub']],
    ['make -f build.mk', ['read /home/u/p/build.mk']],
    ["make --eval 'x: ; id'", []],
    ['cargo build --release', []],
    ['go test ./...', ['any /home/u/p/./...']],
    ['gcc -o out main.c', []],
    ['tsc -p tsconfig.json', []],
    ['terraform apply', []],
    ['kubectl apply -f k8s/deploy.yaml', ['any /home/u/p/k8s/deploy.yaml']],
    ['gh pr create --title x', []],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each(["make --eval 'x: ; id'"])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'make',
    'make -C sub all',
    'make -f build.mk',
    'cargo build --release',
    'go test ./...',
    'gcc -o out main.c',
    'tsc -p tsconfig.json',
    'terraform apply',
    'kubectl apply -f k8s/deploy.yaml',
    'gh pr create --title x',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
