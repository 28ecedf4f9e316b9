import { getopt, optionValues, staticValue } from '../getopt.ts';
import {
  codeLiterals,
  devTool,
  field,
  foreignStdin,
  generic,
  isStreamPath,
  paths,
  runValue,
} from './helpers.ts';
import { createFamily } from './registry.ts';

/** Build tools and other developer tools: `make`, `cargo`, `go`, compilers, linters, cloud CLIs. */
const { define, family } = createFamily('build');
export const build = family;

define(['make', 'gmake', 'bmake'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'CfIoWE',
    long: [
      'directory',
      'file',
      'makefile',
      'include-dir',
      'jobs',
      'load-average',
      'old-file',
      'what-if',
      'new-file',
      'assume-old',
      'assume-new',
      'eval',
    ],
  });
  paths(a, call, optionValues(parsed, '-C', '--directory'), 'read', true, 'folder');
  for (const makefile of optionValues(parsed, '-f', '--file', '--makefile')) {
    if (staticValue(makefile) === '-' || isStreamPath(makefile)) foreignStdin(a, call);
    else a.path(makefile, 'read', false, `${call.name} makefile`, call.env);
  }
  for (const code of optionValues(parsed, '-E', '--eval'))
    a.opaque('make --eval adds make code', staticValue(code) ?? call.text);
  // `make SHELL=... .SHELLFLAGS=...` replaces what runs every recipe line; any other variable set
  // here may be a command a recipe runs (`CC=...`): paths named in it are checked.
  for (const arg of parsed.positional) {
    const assignment = /^([A-Za-z_.][A-Za-z0-9_.]*)\s*[:?+!]?=([\s\S]*)$/.exec(staticValue(arg) ?? '');
    if (arg.kind === 'dynamic') a.opaque(`${call.name} argument is not statically known`, arg.text);
    if (!assignment) continue;
    const [, name = '', value = ''] = assignment;
    if (
      /^(?:SHELL|\.SHELLFLAGS|MAKESHELL|MAKEFLAGS|MFLAGS|GNUMAKEFLAGS)$/.test(name) &&
      !/^(?:\/(?:usr\/)?bin\/)?(?:ba|da|z)?sh$/.test(value)
    )
      a.opaque(`${call.name} ${name}= changes how recipes run`, value);
    codeLiterals(a, call, [field(value)]);
  }
});

/** Cargo configuration keys that name programs cargo runs (`target.<triple>.runner`, `build.rustc-wrapper`...). */
const CARGO_PROGRAM_KEYS =
  /(?:^|\.)(?:runner|linker|rustc|rustc-wrapper|rustc-workspace-wrapper|rustdoc|credential-provider|global-credential-providers|browser|ar)$|^alias\./;

define('cargo', (a, call) => {
  const args = call.args;
  for (let k = 0; k < args.length; k++) {
    const flag = staticValue(args[k]) ?? '';
    if (flag === '--') break;
    const [name, inline] = flag.split(/=(.*)/s);
    if (name !== '--config' && name !== '-Z' && name !== '--config-file') continue;
    const value = inline !== undefined ? field(inline) : args[++k];
    const text = staticValue(value);
    if (name === '-Z') continue;
    if (text === undefined) a.opaque('cargo --config is not statically known', call.text);
    else if (!text.includes('=')) {
      // A configuration file can set any program cargo runs.
      a.path(field(text), 'read', false, 'cargo --config file', call.env);
      a.opaque('cargo --config file can set programs cargo runs', text);
    } else if (CARGO_PROGRAM_KEYS.test((text.split('=')[0] ?? '').trim()))
      a.opaque('cargo --config sets a program cargo runs', text);
  }
  devTool(a, call);
});

/**
 * `go test -exec PROG`, `go run -exec`, `go build -toolexec PROG`, `go vet -vettool=PROG`: go runs
 * PROG (its value is split into words like a command line); `go env -w` persists such flags.
 */
define('go', (a, call) => {
  const args = call.args;
  const sub = staticValue(args[0]);
  for (let k = 1; k < args.length; k++) {
    const flag = staticValue(args[k]) ?? '';
    const [name, inline] = flag.replace(/^--/, '-').split(/=(.*)/s);
    if (name === '-exec' || name === '-toolexec' || name === '-vettool') {
      const value = inline !== undefined ? field(inline) : args[++k];
      runValue(a, call, value, `go ${sub ?? ''} ${name}`);
    }
  }
  if (sub === 'env' && args.some((arg) => staticValue(arg) === '-w')) {
    const dynamic = args.some((arg) => arg.kind === 'dynamic');
    const settings = args.map((arg) => staticValue(arg) ?? '').join(' ');
    if (
      dynamic ||
      /GOFLAGS=.*(?:exec|vettool)|\b(?:CC|CXX|AR|PKG_CONFIG|GOTOOLCHAIN|GOPROXY)=/.test(settings)
    )
      a.opaque('go env -w sets a program go runs', call.text);
  }
  devTool(a, call);
});

/**
 * Debuggers run commands of their own, and `shell`/`!` runs a shell command. Only inspection
 * commands are known; a shell command is analysed, anything else is opaque.
 */
const DEBUGGER_SAFE =
  /^\s*(?:bt|backtrace|where|info\b.*|list\b.*|frame\b.*|thread apply all (?:bt|backtrace).*|thread backtrace.*|run|r|start|continue|c|next|n|step|s|finish|kill|quit|q|set (?:pagination|confirm|print \w+) \w+)\s*$/;
define(['gdb', 'lldb', 'cgdb'], (a, call) => {
  const args = call.args;
  for (let k = 0; k < args.length; k++) {
    const flag = staticValue(args[k]) ?? '';
    if (flag === '--args' || flag === '--') {
      const program = args.slice(k + 1);
      if (program.length > 0)
        a.runArgv(program, call.env, call.stdin, [...call.via, call.name], call.text, call.depth + 1);
      return;
    }
    const [name, inline] = flag.split(/=(.*)/s);
    const takesCommand =
      /^--?(?:ex|eval-command|iex|init-eval-command|o|one-line|O|one-line-before-file|k|one-line-on-crash)$/.test(
        name ?? '',
      );
    const takesFile = /^--?(?:x|command|ix|init-command|s|source|S|source-before-file)$/.test(name ?? '');
    if (!takesCommand && !takesFile) continue;
    const value = inline !== undefined ? field(inline) : args[++k];
    const text = staticValue(value);
    if (takesFile) {
      if (value) a.path(value, 'read', false, `${call.name} ${name} script`, call.env);
      a.opaque(`${call.name} runs debugger commands from a file`, call.text);
      continue;
    }
    if (text === undefined) a.opaque(`${call.name} ${name} is not statically known`, call.text);
    else if (/^\s*(?:shell|platform shell|!)\s*/.test(text))
      runValue(a, call, field(text.replace(/^\s*(?:shell|platform shell|!)\s*/, '')), `${call.name} shell`);
    else if (!DEBUGGER_SAFE.test(text)) a.opaque(`${call.name} debugger command can run programs`, text);
  }
  generic(a, call);
});
const DEV_TOOLS = [
  'rustc',
  'rustup',
  'gcc',
  'g++',
  'clang',
  'clang++',
  'cc',
  'c++',
  'ld',
  'tsc',
  'tsx',
  'ts-node',
  'eslint',
  'prettier',
  'biome',
  'jest',
  'vitest',
  'mocha',
  'pytest',
  'pip',
  'pip3',
  'pipx',
  'gem',
  'rake',
  'mvn',
  'gradle',
  'gradlew',
  'dotnet',
  'java',
  'javac',
  'kotlinc',
  'swiftc',
  'xcodebuild',
  'cmake',
  'ninja',
  'meson',
  'bazel',
  'terraform',
  'kubectl',
  'helm',
  'aws',
  'gcloud',
  'az',
  'gh',
  'hub',
  'glab',
  'heroku',
  'vercel',
  'netlify',
  'firebase',
  'docker-compose',
  'brew',
  'apt',
  'apt-get',
  'yum',
  'dnf',
  'pacman',
  'apk',
  'snap',
  'nvm',
  'volta',
  'corepack',
  'turbo',
  'nx',
  'lerna',
  'vite',
  'webpack',
  'rollup',
  'esbuild',
  'parcel',
  'next',
  'nuxt',
  'astro',
  'ruff',
  'black',
  'isort',
  'mypy',
  'pyright',
  'flake8',
  'pylint',
  'tox',
  'nox',
  'composer',
  'mix',
  'stack',
  'cabal',
  'zig',
  'dune',
  'opam',
  'sbt',
  'lein',
  'shellcheck',
  'hadolint',
  'actionlint',
  'golangci-lint',
  'gofmt',
  'goimports',
  'rustfmt',
  'clippy-driver',
  'clang-format',
  'sqlite-utils',
  'mkdocs',
  'sphinx-build',
  'hugo',
  'jekyll',
  'pre-commit',
  'husky',
  'lint-staged',
  'changeset',
  'semantic-release',
  'playwright',
  'cypress',
  'storybook',
  'prisma',
  'drizzle-kit',
  'wrangler',
  'supabase',
  'ng',
  'vue',
  'expo',
  'react-native',
  'flutter',
  'xcrun',
  'swiftlint',
  'pod',
  'fastlane',
  'ansible',
  'ansible-playbook',
  'packer',
  'vagrant',
  'pulumi',
  'cdk',
  'sam',
  'serverless',
  'skaffold',
  'minikube',
  'kind',
  'k9s',
  'stern',
  'jira',
];
define(DEV_TOOLS, devTool);
