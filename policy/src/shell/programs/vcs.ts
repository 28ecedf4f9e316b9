import type { Analyzer, Invocation } from '../analyze.ts';
import type { PathOp } from '../facts.ts';
import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
import { field, isStatic, joinAsShell, namesFrom, paths, runCode, runInner, runValue } from './helpers.ts';
import { createFamily } from './registry.ts';
import { patchTargets } from './text.ts';
import { hostOf } from './urls.ts';

/** Version control: `git` (global options, configuration that runs commands, remotes, subcommands). */
const { define, family } = createFamily('vcs');
export const vcs = family;

define('git', (a, call) => gitHandler(a, call));

const GIT_DANGEROUS_CONFIG =
  /^(?:alias\..*|core\.(?:sshcommand|pager|editor|hookspath|fsmonitor|gitproxy|askpass|attributesfile)|.*\.(?:textconv|command|helper|program|clean|smudge|process|cmd)|diff\.external|sequence\.editor|ssh\.variant|uploadpack\..*|receivepack\..*|protocol\..*|include\.path|includeif\..*|credential\..*|filter\..*|url\..*)$/i;

/**
 * Git options that always take a value. Options whose value is optional (`--stat[=n]`,
 * `--color[=when]`) or that are flags in some subcommands (`-p`, `-u`, `-n`, `-t`) are left out:
 * declaring them would let them swallow the path that follows.
 */
const GIT_VALUED = {
  short: 'mbBFoX',
  long: [
    'message',
    'author',
    'date',
    'format',
    'depth',
    'branch',
    'grep',
    'since',
    'until',
    'after',
    'before',
    'set-upstream-to',
    'onto',
    'strategy',
    'strategy-option',
    'origin',
    'reference',
    'separate-git-dir',
    'template',
    'upload-pack',
    'receive-pack',
    'exec',
    'output',
    'output-directory',
    'prefix',
    'file',
    'config',
    'jobs',
    'filter',
    'shallow-since',
    'shallow-exclude',
    'max-count',
    'reuse-message',
    'reedit-message',
    'fixup',
    'trailer',
    'extcmd',
    'tool',
    'push-option',
    'repo',
    'server-option',
    'diff-filter',
    'src-prefix',
    'dst-prefix',
    'line-prefix',
    'inter-hunk-context',
    'conflict',
    'pathspec-from-file',
    'points-at',
    'encoding',
    'decorate-refs',
    'decorate-refs-exclude',
    'chmod',
    'object-format',
    'initial-branch',
    'whitespace',
  ],
};

const GIT_WRITES = new Set([
  'checkout',
  'restore',
  'rm',
  'mv',
  'clean',
  'reset',
  'stash',
  'apply',
  'am',
  'init',
  'switch',
  'worktree',
  'sparse-checkout',
  'archive',
  'bundle',
  'format-patch',
]);
const GIT_REMOTE = new Set(['clone', 'fetch', 'pull', 'push', 'ls-remote', 'remote', 'submodule', 'archive']);

function gitHandler(a: Analyzer, call: Invocation): void {
  const args = call.args;
  const env = a.cloneEnv(call.env);
  let index = 0;
  for (; index < args.length; index++) {
    const arg = args[index];
    const value = staticValue(arg);
    if (value === undefined || !value.startsWith('-')) break;
    const next = args[index + 1];
    if (value === '-C') {
      if (next) {
        a.path(next, 'read', true, 'git -C folder', env);
        a.setCwd(env, next);
      }
      index++;
    } else if (value === '-c') {
      const setting = staticValue(next);
      if (setting === undefined || GIT_DANGEROUS_CONFIG.test(setting.split('=')[0] ?? ''))
        a.opaque('git -c sets a configuration that can run commands', setting ?? call.text);
      index++;
    } else if (value.startsWith('--config-env')) {
      a.opaque('git --config-env sets configuration from the environment', call.text);
      if (!value.includes('=')) index++;
    } else if (/^--(?:git-dir|work-tree)(?:=|$)/.test(value)) {
      const dir = value.includes('=') ? field(value.slice(value.indexOf('=') + 1)) : next;
      if (dir) a.path(dir, 'any', true, `git ${value.split('=')[0]}`, env);
      if (!value.includes('=')) index++;
    } else if (/^--(?:namespace|exec-path|super-prefix|list-cmds)$/.test(value)) index++;
    else if (value.startsWith('--exec-path=')) a.opaque('git --exec-path replaces git programs', value);
  }
  const sub = staticValue(args[index]);
  if (args[index]?.kind === 'dynamic') {
    a.opaque('git subcommand is not statically known', call.text);
    return;
  }
  if (sub === undefined) return;
  const rest = args.slice(index + 1);
  const parsed = getopt(rest, GIT_VALUED);
  const gitCall: Invocation = { ...call, env };
  for (const option of parsed.options) {
    const value = option.value;
    if (
      ['--upload-pack', '--receive-pack', '-u'].includes(option.name) &&
      GIT_REMOTE.has(sub) &&
      sub !== 'remote' &&
      sub !== 'push'
    )
      a.opaque(`git ${sub} ${option.name} runs a program`, staticValue(value) ?? call.text);
    if (['--receive-pack', '--exec'].includes(option.name) && sub === 'push')
      a.opaque('git push --receive-pack runs a program', staticValue(value) ?? call.text);
    if (option.name === '--exec' && sub === 'rebase') runCode(a, gitCall, value, [], 'git rebase --exec');
    if (option.name === '--extcmd' && sub === 'difftool')
      runCode(a, gitCall, value, [], 'git difftool --extcmd');
    if ((option.name === '-F' || option.name === '--file' || option.name === '--pathspec-from-file') && value)
      a.path(value, 'read', false, `git ${sub} ${option.name}`, env);
    if (
      (option.name === '-o' || option.name === '--output' || option.name === '--output-directory') &&
      value &&
      sub !== 'clone'
    )
      a.path(value, 'write', true, `git ${sub} output`, env);
    if ((option.name === '--template' || option.name === '--reference') && value)
      a.path(value, 'read', true, `git ${sub} ${option.name}`, env);
    if (option.name === '--separate-git-dir' && value)
      a.path(value, 'write', true, `git ${sub} ${option.name}`, env);
  }
  // Short options whose meaning depends on the subcommand, read from the raw words.
  rest.forEach((arg, k) => {
    const flag = staticValue(arg);
    const next = rest[k + 1];
    if (flag === '-x' && (sub === 'rebase' || sub === 'difftool'))
      runCode(a, gitCall, next, [], `git ${sub} -x`);
    if ((flag?.startsWith('-O') || flag?.startsWith('--open-files-in-pager')) && sub === 'grep') {
      // `-O<cmd>` / `--open-files-in-pager=<cmd>`: git runs the command line with the files found.
      const inline = flag.startsWith('-O') ? flag.slice(2) : flag.split('=').slice(1).join('=');
      if (inline) runValue(a, gitCall, field(inline), 'git grep -O');
      else a.opaque('git grep -O runs the configured pager program', call.text);
    }
    if (flag?.startsWith('--template') && (sub === 'clone' || sub === 'init'))
      a.opaque(`git ${sub} --template installs hooks that run on later git commands`, call.text);
    if (sub === 'send-email' && /^--(?:to-cmd|cc-cmd|header-cmd|sendmail-cmd|smtp-server)\b/.test(flag ?? ''))
      a.opaque('git send-email runs a program for addresses or sending', flag ?? call.text);
    if ((flag === '-c' || flag === '--config') && (sub === 'clone' || sub === 'submodule')) {
      const setting = staticValue(next);
      if (setting === undefined || GIT_DANGEROUS_CONFIG.test(setting.split('=')[0] ?? ''))
        a.opaque(`git ${sub} -c sets a configuration that can run commands`, setting ?? call.text);
    }
    if (
      flag?.startsWith('--config=') &&
      (sub === 'clone' || sub === 'submodule') &&
      GIT_DANGEROUS_CONFIG.test(flag.slice('--config='.length).split('=')[0] ?? '')
    ) {
      a.opaque(`git ${sub} --config sets a configuration that can run commands`, flag);
    }
  });
  const positional = parsed.positional;
  switch (sub) {
    case 'config': {
      const scope = parsed.options.map((option) => option.name);
      const reading =
        scope.some((name) =>
          ['--get', '--get-all', '--get-regexp', '-l', '--list', '--show-origin'].includes(name),
        ) || ['get', 'list'].includes(staticValue(positional[0]) ?? '');
      const keyIndex = staticValue(positional[0]) === 'set' ? 1 : 0;
      const key = staticValue(positional[keyIndex]);
      if (
        !reading &&
        positional.length > keyIndex + 1 &&
        (key === undefined || GIT_DANGEROUS_CONFIG.test(key))
      )
        a.opaque('git config sets a value that can run commands', call.text);
      if (!reading && scope.includes('--system'))
        a.path(field('/etc/gitconfig'), 'write', false, 'git config --system', env);
      if (!reading && scope.includes('--global'))
        for (const home of a.homeCandidates(env, ''))
          a.path(field(`${home}/.gitconfig`), 'write', false, 'git config --global', env);
      paths(
        a,
        gitCall,
        optionValues(parsed, '-f', '--file'),
        reading ? 'read' : 'write',
        false,
        'config file',
      );
      return;
    }
    case 'clone': {
      const [url, dir] = positional;
      if (url) remoteArgument(a, gitCall, url);
      if (dir) a.path(dir, 'write', true, 'git clone folder', env);
      else if (url) a.path(field(repoName(staticValue(url))), 'write', true, 'git clone folder', env);
      return;
    }
    case 'remote': {
      for (const arg of positional.slice(1))
        if (looksRemote(staticValue(arg))) remoteArgument(a, gitCall, arg);
      return;
    }
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote': {
      const [remote] = positional;
      if (remote && (remote.kind === 'dynamic' || looksRemote(remote.value)))
        remoteArgument(a, gitCall, remote);
      return;
    }
    case 'submodule': {
      const action = staticValue(positional[0]);
      if (action === 'foreach') {
        const commandArgs = positional.slice(1).filter((arg) => staticValue(arg) !== '--recursive');
        const code = joinAsShell(commandArgs);
        if (code === undefined)
          a.opaque('git submodule foreach with a command that is not statically known', call.text);
        else a.runScript(code, a.childShellEnv(env, []), call.depth + 1);
      } else if (action === 'add' && positional[1]) remoteArgument(a, gitCall, positional[1]);
      return;
    }
    case 'apply':
    case 'am': {
      const patches = positional.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-')));
      paths(a, gitCall, patches, 'read', false, 'patch file');
      if (!hasOption(parsed, '--stat', '--numstat', '--summary', '--check'))
        patchTargets(a, gitCall, patches.length > 0);
      return;
    }
    case 'bisect': {
      // The command is every word after `run`, options included (`git bisect run sh -c '...'`).
      const at = rest.findIndex((arg) => staticValue(arg) === 'run');
      if (staticValue(positional[0]) === 'run' && at >= 0)
        runInner(a, gitCall, rest.slice(at + 1), env, { kind: 'none' });
      return;
    }
    case 'hash-object':
      // `--stdin-paths` reads the files named on standard input (and stores them in the repository).
      if (hasOption(parsed, '--stdin-paths')) namesFrom(a, gitCall, undefined, 'read', 'path');
      paths(a, gitCall, positional, 'read', false, 'path');
      return;
    case 'cat-file':
      if (parsed.options.some((option) => /^--batch(?:-command)?(?:=|$)/.test(option.name))) {
        const stdin = call.stdin;
        if (stdin.kind === 'text')
          for (const line of stdin.text.split('\n'))
            objectPath(a, gitCall, line.replace(/^(?:contents|info)\s+/, '').trim());
        else if (stdin.kind !== 'none')
          a.opaque('git cat-file --batch prints the objects named on standard input', call.text);
      }
      revisionPaths(a, gitCall, positional);
      return;
    case 'filter-branch':
    case 'filter-repo':
      a.opaque(`git ${sub} runs filter commands`, call.text);
      return;
    default: {
      const op: PathOp = GIT_WRITES.has(sub) ? 'write' : 'read';
      a.path(field('.'), 'read', false, `git ${sub} (repository)`, env);
      paths(a, gitCall, positional, op, op === 'write', 'path');
      revisionPaths(a, gitCall, positional);
      pathspecFilters(a, gitCall, positional, op);
      // `git clean -x` deletes ignored files too: a .claude folder with its local settings goes.
      if (sub === 'clean' && hasOption(parsed, '-x', '-X') && !hasOption(parsed, '-n', '--dry-run'))
        a.path(field('.claude'), 'write', true, 'git clean -x', env, false, { deletes: true });
    }
  }
}

/**
 * `REV:path` (`HEAD:.env`, `:0:.env`, `stash@{0}:.env`) names a file as stored in the
 * repository: showing it reads that file's content even when the working copy has none.
 * The path is relative to the repository's top folder; ceros resolves it against the working
 * folder, which deny rules on `**\/name` match either way.
 */
function revisionPaths(a: Analyzer, call: Invocation, positional: readonly Field[]): void {
  for (const arg of positional) if (isStatic(arg) && arg.glob === undefined) objectPath(a, call, arg.value);
}

function objectPath(a: Analyzer, call: Invocation, object: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(object)) return;
  const match = /^([^:\s]*):(?:[0-3]:)?([^\s]+)$/.exec(object);
  if (!match) return;
  const [, revision = '', path = ''] = match;
  // `:/text` searches commit messages; `rev:` alone is the top tree.
  if (path === '' || path.startsWith('/') || (revision === '' && object.startsWith(':/'))) return;
  a.path(field(path), 'read', false, `git object ${revision || '(index)'}:${path}`, call.env);
}

/**
 * Pathspecs with wildcards (`git grep KEY -- '*.env'`, `git log -p -- '**\/.env'`): git matches
 * them itself, `*` across folders too, so they are search filters of the working folder.
 */
function pathspecFilters(a: Analyzer, call: Invocation, positional: readonly Field[], op: PathOp): void {
  for (const arg of positional) {
    if (!isStatic(arg) || arg.glob !== undefined || !/[*?[]/.test(arg.value)) continue;
    const spec = arg.value.replace(/^:(?:\/|\(top\))/, '');
    if (spec.startsWith(':')) continue;
    const slash = spec.lastIndexOf('/');
    const folder = slash >= 0 ? spec.slice(0, slash).replace(/(?:^|\/)\*\*$/, '') : '';
    const name = spec.slice(slash + 1);
    a.search(
      folder === '' || /[*?[]/.test(folder) ? '.' : folder,
      name,
      op,
      `git pathspec ${arg.value}`,
      call.env,
    );
  }
}

function looksRemote(value: string | undefined): boolean {
  if (value === undefined) return true;
  return (
    /^ext::/i.test(value) ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ||
    /^[^/\s]+@[^/\s:]+:/.test(value) ||
    /^[a-z0-9.-]+\.[a-z]{2,}:/i.test(value)
  );
}

function remoteArgument(a: Analyzer, call: Invocation, arg: Field): void {
  const value = staticValue(arg);
  if (value === undefined) {
    a.host(undefined, `git ${call.name} remote`);
    return;
  }
  if (/^file:\/\//i.test(value) || value.startsWith('/') || value.startsWith('.') || value.startsWith('~')) {
    a.path(field(value.replace(/^file:\/\//i, '')), 'read', true, 'git local repository', call.env);
    return;
  }
  if (/^ext::/i.test(value)) {
    a.opaque('git ext:: remote runs a command', value);
    return;
  }
  const scp = /^(?:[^@/]+@)?([^/:]+):/.exec(value);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && scp) a.host(scp[1]?.toLowerCase(), 'git remote');
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) a.host(hostOf(value), 'git remote');
  else a.path(arg, 'read', true, 'git local repository', call.env);
}

function repoName(url: string | undefined): string {
  if (!url) return '.';
  const base = url
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split(/[/:]/)
    .pop();
  return base || '.';
}
