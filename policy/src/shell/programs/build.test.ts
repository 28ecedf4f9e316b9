import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

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

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['make SHELL=/bin/sh all', []],
    ['make SHELL=python3 all', []],
    ["make CC='cat /etc/shadow #' all", ['any /etc/shadow [deny lists only]']],
    ["make -j4 CFLAGS='-O2 -g'", []],
    ['cargo --config \'target.x.runner="cat x"\' run', []],
    ['cargo --config profile.release.debug=true build', []],
    ['cargo --config ci.toml build', ['read /home/u/p/ci.toml']],
    ["go test -exec 'cat x' ./...", ['read /home/u/p/x', 'any /home/u/p/./...']],
    ['go build -toolexec=/tmp/t ./...', ['read /tmp/t [deny lists only]', 'any /home/u/p/./...']],
    ['go env -w GOFLAGS=-toolexec=/tmp/t', ['any /tmp/t', 'any /home/u/p/GOFLAGS=-toolexec=/tmp/t']],
    ["gdb -batch -ex 'shell cat x'", ['read /home/u/p/x', 'any /home/u/p/shell cat x']],
    ['gdb -batch -ex bt ./app core', ['any /home/u/p/bt', 'any /home/u/p/./app', 'any /home/u/p/core']],
    ["gdb -batch -ex 'python print(1)'", ['any /home/u/p/python print(1)']],
    ['gdb --args ./app x', ['read /home/u/p/./app [deny lists only]', 'any /home/u/p/x']],
    ["lldb -o 'platform shell cat x'", ['read /home/u/p/x', 'any /home/u/p/platform shell cat x']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ["go test -exec 'cat x' ./...", ['go', 'cat']],
    ['go build -toolexec=/tmp/t ./...', ['go', 't']],
    ["gdb -batch -ex 'shell cat x'", ['gdb', 'cat']],
    ['gdb --args ./app x', ['gdb', 'app']],
    ["lldb -o 'platform shell cat x'", ['lldb', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['make SHELL=/bin/sh all', false],
    ['make SHELL=python3 all', true],
    ["make CC='cat /etc/shadow #' all", false],
    ["make -j4 CFLAGS='-O2 -g'", false],
    ['cargo --config \'target.x.runner="cat x"\' run', true],
    ['cargo --config profile.release.debug=true build', false],
    ['cargo --config ci.toml build', true],
    ["go test -exec 'cat x' ./...", false],
    ['go build -toolexec=/tmp/t ./...', false],
    ['go env -w GOFLAGS=-toolexec=/tmp/t', true],
    ["gdb -batch -ex 'shell cat x'", false],
    ['gdb -batch -ex bt ./app core', false],
    ["gdb -batch -ex 'python print(1)'", true],
    ['gdb --args ./app x', false],
    ["lldb -o 'platform shell cat x'", false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
