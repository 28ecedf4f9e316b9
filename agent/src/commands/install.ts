import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { shellQuote } from '../wrapper/settings.ts';

export const INSTALL_HELP = `Usage: ceros install --system [--deny-unwrapped] [--dir DIR] [--json]

For managed fleets (run as root, e.g. from MDM): writes a drop-in into Claude Code's managed
settings folder (${'/etc/claude-code'}/managed-settings.d/50-ceros.json on Linux) so that

  - every Claude Code session on this machine runs a hook that reports sessions NOT launched
    through \`ceros claude\` to your edge as adoption gaps;
  - with --deny-unwrapped, such sessions cannot use any tool ("launch it with ceros claude");
  - env.CLAUDE_CODE_SIMPLE is pinned to "0" (a project or user setting cannot switch hooks off).

Options:
  --dir DIR          managed settings folder (default /etc/claude-code; tests use a temp folder)
  --deny-unwrapped   also deny every tool call of sessions launched without ceros
  --json             print what was written as JSON
`;

export const DROP_IN_NAME = '50-ceros.json';

export function managedDropIn(cerosBinary: string, denyUnwrapped: boolean): Record<string, unknown> {
  const command = (event: string) =>
    `${shellQuote(cerosBinary)} unwrapped ${event}${denyUnwrapped ? ' --deny' : ''}`;
  const hooks: Record<string, unknown[]> = {
    SessionStart: [
      { matcher: '*', hooks: [{ type: 'command', command: command('SessionStart'), timeout: 15 }] },
    ],
  };
  if (denyUnwrapped) {
    hooks.PreToolUse = [
      {
        matcher: '*',
        hooks: [{ type: 'command', command: `${command('PreToolUse')} || exit 2`, timeout: 15 }],
      },
    ];
  }
  return { env: { CLAUDE_CODE_SIMPLE: '0' }, hooks };
}

/** `ceros install --system`: the managed-settings drop-in (files here are root's, 0644: Claude Code reads them as every user). */
export async function runInstall(
  argv: string[],
  ctx: CommandContext,
  deps: { cerosBinary: string; uid: number },
): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h') || !argv.includes('--system')) {
    return argv.includes('--system') || argv.includes('--help') || argv.includes('-h')
      ? ok(INSTALL_HELP)
      : fail(`ceros install: only --system installs are supported\n\n${INSTALL_HELP}`, EXIT.USAGE);
  }
  const dirAt = argv.indexOf('--dir');
  const dir = dirAt === -1 ? '/etc/claude-code' : argv[dirAt + 1];
  if (!dir) return fail('ceros install: --dir needs a folder', EXIT.USAGE);
  if (dirAt === -1 && deps.uid !== 0)
    return fail(
      "ceros install --system must run as root: it writes Claude Code's managed settings",
      EXIT.REFUSED,
    );
  const folder = join(dir, 'managed-settings.d');
  const file = join(folder, DROP_IN_NAME);
  const content = managedDropIn(deps.cerosBinary, argv.includes('--deny-unwrapped'));
  try {
    mkdirSync(folder, { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o644 });
    chmodSync(tmp, 0o644);
    renameSync(tmp, file);
  } catch (error) {
    return fail(`ceros install: Cannot write "${file}": ${(error as Error).message}`);
  }
  const previous = existsSync(join(dir, 'managed-settings.json'))
    ? readFileSync(join(dir, 'managed-settings.json'), 'utf8')
    : null;
  if (argv.includes('--json'))
    return ok(`${JSON.stringify({ file, content, existingManagedSettings: previous !== null })}\n`);
  ctx.progress(`Wrote ${file}`);
  return ok(
    `Installed the ceros drop-in at ${file}.\nClaude Code sessions not launched through \`ceros claude\` are now reported${argv.includes('--deny-unwrapped') ? ' and cannot use tools' : ''}.\n`,
  );
}
