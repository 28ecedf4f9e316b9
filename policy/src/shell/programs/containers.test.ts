import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('container engines (docker, podman)', () => {
  test.each<[string, string[]]>([
    ['docker run -v ~/.ssh:/keys alpine', ['any+r /home/u/.ssh']],
    ['docker run --mount type=bind,source=/etc,target=/x alpine', ['any+r /etc']],
    ['docker build -t app .', ['read+r /home/u/p/.']],
    ['docker build -f Dockerfile.dev ctx', ['read /home/u/p/Dockerfile.dev', 'read+r /home/u/p/ctx']],
    ['docker cp app:/x ./x', ['write+r /home/u/p/./x']],
    ['docker cp ./secret app:/x', ['read+r /home/u/p/./secret']],
    ['docker run --env-file .env app', ['read /home/u/p/.env']],
    ['podman ps', []],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each([
    'docker run -v ~/.ssh:/keys alpine',
    'docker run --mount type=bind,source=/etc,target=/x alpine',
    'docker build -t app .',
    'docker build -f Dockerfile.dev ctx',
    'docker cp app:/x ./x',
    'docker cp ./secret app:/x',
    'docker run --env-file .env app',
    'podman ps',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
