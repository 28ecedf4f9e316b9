import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('wrappers (sudo, env, nice, timeout, su, watch, xargs, strace, chroot...)', () => {
  test.each<[string, string[]]>([
    ['sudo cat /etc/shadow', ['read /etc/shadow']],
    ["sudo -s 'cat /etc/shadow'", ['read /home/u/p/cat /etc/shadow']],
    ['sudo -i', []],
    ['env FOO=1 cat x', ['read /home/u/p/x']],
    ["env -S 'cat /etc/hosts'", ['read /etc/hosts']],
    ['env GIT_SSH_COMMAND=x git fetch', []],
    ['nice -n 5 make', []],
    ['timeout 5 cat x', ['read /home/u/p/x']],
    ['nohup ./server &', ['read /home/u/p/./server']],
    ["su -c 'cat /etc/shadow' root", ['read /etc/shadow']],
    ["watch -n 1 'cat /proc/loadavg'", ['read /proc/loadavg']],
    ['xargs rm < list.txt', ['read /home/u/p/list.txt', 'write+r unknown xargs input']],
    ['echo a b | xargs cat', ['read /home/u/p/a', 'read /home/u/p/b']],
    [
      'ls | xargs -I{} cp {} /tmp/{}',
      ['read /home/u/p/.', 'read glob /home/u/p/./*', 'write unknown /tmp/{}'],
    ],
    ['strace -o trace.txt cat x', ['write /home/u/p/trace.txt', 'read /home/u/p/x']],
    ['chroot /srv/root cat /etc/passwd', ['any+r /srv/root', 'read /etc/passwd']],
    ['parallel echo ::: a b', []],
    ["tmux new -d 'cat x'", []],
    ['at now < job.sh', ['read /home/u/p/job.sh', 'read /home/u/p/job.sh']],
    ['busybox cat x', ['read /home/u/p/x']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['sudo cat /etc/shadow', ['sudo', 'cat']],
    ["sudo -s 'cat /etc/shadow'", ['sudo', 'shadow']],
    ['env FOO=1 cat x', ['env', 'cat']],
    ["env -S 'cat /etc/hosts'", ['env', 'cat']],
    ['env GIT_SSH_COMMAND=x git fetch', ['env', 'git']],
    ['nice -n 5 make', ['nice', 'make']],
    ['timeout 5 cat x', ['timeout', 'cat']],
    ['nohup ./server &', ['nohup', 'server']],
    ["su -c 'cat /etc/shadow' root", ['su', 'cat']],
    ["watch -n 1 'cat /proc/loadavg'", ['watch', 'cat']],
    ['xargs rm < list.txt', ['xargs', 'rm']],
    ['echo a b | xargs cat', ['echo', 'xargs', 'cat']],
    ['ls | xargs -I{} cp {} /tmp/{}', ['ls', 'xargs', 'cp']],
    ['strace -o trace.txt cat x', ['strace', 'cat']],
    ['chroot /srv/root cat /etc/passwd', ['chroot', 'cat']],
    ['busybox cat x', ['busybox', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each(['sudo -i', 'env GIT_SSH_COMMAND=x git fetch', 'parallel echo ::: a b', "tmux new -d 'cat x'"])(
    '%s is opaque',
    (command) => {
      expect(isOpaque(analyze(command))).toBe(true);
    },
  );

  test.each([
    'sudo cat /etc/shadow',
    "sudo -s 'cat /etc/shadow'",
    'env FOO=1 cat x',
    "env -S 'cat /etc/hosts'",
    'nice -n 5 make',
    'timeout 5 cat x',
    'nohup ./server &',
    "su -c 'cat /etc/shadow' root",
    "watch -n 1 'cat /proc/loadavg'",
    'xargs rm < list.txt',
    'echo a b | xargs cat',
    'ls | xargs -I{} cp {} /tmp/{}',
    'strace -o trace.txt cat x',
    'chroot /srv/root cat /etc/passwd',
    'at now < job.sh',
    'busybox cat x',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ["flock /tmp/l -c 'cat ~/.ssh/id_rsa'", ['write /tmp/l', 'read /home/u/.ssh/id_rsa']],
    ["ssh-agent sh -c 'cat x'", ['read /home/u/p/x']],
    ['prlimit --cpu=10 cat x', ['read /home/u/p/x']],
    ['cross-env NODE_ENV=test cat x', ['read /home/u/p/x']],
    ['cross-env NODE_OPTIONS=--require=x node y', ['read /home/u/p/y']],
    ["hyperfine 'cat x' 'cat y'", ['read /home/u/p/x', 'read /home/u/p/y']],
    ["nodemon --exec 'cat x' y.js", ['read /home/u/p/x', 'read /home/u/p/y.js']],
    ['sshpass -f pw.txt ssh host', ['read /home/u/p/pw.txt']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ["flock /tmp/l -c 'cat ~/.ssh/id_rsa'", ['flock', 'cat']],
    ["ssh-agent sh -c 'cat x'", ['ssh-agent', 'sh', 'cat']],
    ['prlimit --cpu=10 cat x', ['prlimit', 'cat']],
    ['cross-env NODE_ENV=test cat x', ['cross-env', 'cat']],
    ['cross-env NODE_OPTIONS=--require=x node y', ['cross-env', 'node']],
    ["hyperfine 'cat x' 'cat y'", ['hyperfine', 'cat', 'cat']],
    ["nodemon --exec 'cat x' y.js", ['nodemon', 'cat']],
    ['sshpass -f pw.txt ssh host', ['sshpass', 'ssh']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ["flock /tmp/l -c 'cat ~/.ssh/id_rsa'", false],
    ["ssh-agent sh -c 'cat x'", false],
    ['prlimit --cpu=10 cat x', false],
    ['cross-env NODE_ENV=test cat x', false],
    ['cross-env NODE_OPTIONS=--require=x node y', true],
    ["hyperfine 'cat x' 'cat y'", false],
    ["nodemon --exec 'cat x' y.js", false],
    ['sshpass -f pw.txt ssh host', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
