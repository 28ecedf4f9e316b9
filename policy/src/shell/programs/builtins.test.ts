import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('builtins (cd, pushd, source, eval, trap, alias, read, shopt, exec, command)', () => {
  test.each<[string, string[]]>([
    ['cd ~/.ssh && cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['cd /tmp; cd -; cat x', ['read /home/u/p/x', 'read /tmp/x']],
    ['cd -; cat x', ['read unknown x']],
    ['cd ~ && cd - && ls', ['read /home/u/p/.', 'read /home/u/.']],
    ['OLDPWD=~/.ssh; cd -; cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['OLDPWD=~/.ssh cd -; cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['cd /tmp; cat ~-/x $OLDPWD/y', ['read /home/u/p/x', 'read /home/u/p/y']],
    ['cat ~-/x', ['read unknown ~-/x']],
    ['HOME=~/.ssh cd; cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    [
      'CDPATH=~ cd .ssh; cat id_rsa',
      ['read /home/u/p/id_rsa', 'read /home/u/p/.ssh/id_rsa', 'read /home/u/.ssh/id_rsa'],
    ],
    ['cd /proc/self/cwd/.. && cat .ssh/id_rsa', ['read /home/u/p/.ssh/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['pushd /etc; cat passwd', ['read /home/u/p/passwd', 'read /etc/passwd']],
    ['popd; cat x', ['read /home/u/p/x']],
    ['pushd ~/.ssh; popd; cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['pushd /tmp >/dev/null; pushd; cat x', ['read /home/u/p/x', 'read /tmp/x']],
    ['hash -p /bin/sh ls; ls -c "cat ~/.ssh/id_rsa"', ['read /bin/sh', 'read /home/u/.ssh/id_rsa']],
    ['shopt -s nocaseglob; cat ~/.SS[H]/ID_RSA', ['read glob /home/u/.[Ss][Ss][Hh]/ID_RSA']],
    ['GLOBIGNORE=x; cat ~/*/id_rsa', ['read glob /home/u/*/id_rsa (dotfiles)']],
    ["mapfile -C 'cat ~/.ssh/id_rsa #' -c 1 < x", ['read /home/u/p/x', 'read /home/u/.ssh/id_rsa']],
    ['source ./env.sh', ['read /home/u/p/./env.sh']],
    [". /dev/stdin <<< 'cat /etc/shadow'", ['read /etc/shadow']],
    ["eval 'cat /etc/shadow'", ['read /etc/shadow']],
    ['eval "$CMD"', []],
    ["trap 'rm -rf build' EXIT", ['write+r /home/u/p/build']],
    ["alias ll='cat ~/.aws/credentials'", ['read /home/u/.aws/credentials']],
    ['read -r line; cat "$line"', ['read unknown "$line"']],
    ['printf -v f \'%s\' x; cat "$f"', ['read unknown "$f"']],
    ['shopt -s dotglob; cat ~/*', ['read glob /home/u/* (dotfiles)']],
    ['exec cat /etc/hosts', ['read /etc/hosts']],
    ['command -v git', []],
    ['command cat /etc/hosts', ['read /etc/hosts']],
    ['enable -f ./x.so foo', []],
    ['echo hi; pwd; true; sleep 1', []],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['cd ~/.ssh && cat id_rsa', ['cd', 'cat']],
    ['cd /tmp; cd -; cat x', ['cd', 'cd', 'cat']],
    ['pushd /etc; cat passwd', ['pushd', 'cat']],
    ['popd; cat x', ['popd', 'cat']],
    [". /dev/stdin <<< 'cat /etc/shadow'", ['.', 'cat']],
    ["eval 'cat /etc/shadow'", ['eval', 'cat']],
    ["trap 'rm -rf build' EXIT", ['trap', 'rm']],
    ["alias ll='cat ~/.aws/credentials'", ['alias', 'cat']],
    ['read -r line; cat "$line"', ['read', 'cat']],
    ['printf -v f \'%s\' x; cat "$f"', ['printf', 'cat']],
    ['shopt -s dotglob; cat ~/*', ['shopt', 'cat']],
    ['exec cat /etc/hosts', ['exec', 'cat']],
    ['command cat /etc/hosts', ['command', 'cat']],
    ['echo hi; pwd; true; sleep 1', ['echo', 'pwd', 'true', 'sleep']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each(['eval "$CMD"', 'enable -f ./x.so foo'])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'cd ~/.ssh && cat id_rsa',
    'cd /tmp; cd -; cat x',
    'pushd /etc; cat passwd',
    'popd; cat x',
    'source ./env.sh',
    ". /dev/stdin <<< 'cat /etc/shadow'",
    "eval 'cat /etc/shadow'",
    "trap 'rm -rf build' EXIT",
    "alias ll='cat ~/.aws/credentials'",
    'read -r line; cat "$line"',
    'printf -v f \'%s\' x; cat "$f"',
    'shopt -s dotglob; cat ~/*',
    'exec cat /etc/hosts',
    'command -v git',
    'command cat /etc/hosts',
    'echo hi; pwd; true; sleep 1',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
