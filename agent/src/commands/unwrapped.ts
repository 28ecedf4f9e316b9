import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCmdline, parseProcStat } from '../ancestry/linux-reader.ts';
import { type CommandContext, type CommandResult, ok } from '../cli/command.ts';
import {
  createEdgeClient,
  deviceRequestSigner,
  readEdgeConfig,
  reportAdoptionGap,
} from '../edge-client/index.ts';
import { selectKeystore } from '../keystore/select.ts';
import { loadOrCreateDevice } from '../session/identity.ts';
import { cerosHome } from '../state/secure-fs.ts';

/**
 * `ceros unwrapped <event> [--deny]`: the managed hook (see `ceros install --system`). A session
 * launched through `ceros claude` carries CEROS_SESSION, runs under a ceros wrapper and has its own
 * hooks; this one does nothing there. Any other Claude Code session is an adoption gap: reported to the edge at SessionStart,
 * and with --deny its tool calls are refused.
 */
export async function runUnwrapped(
  argv: string[],
  ctx: CommandContext,
  deps: { cerosBinary: string },
): Promise<CommandResult> {
  const event = argv[0] ?? '';
  const deny = argv.includes('--deny');
  const input = await ctx.readStdin().catch(() => '');
  if (wrapped(ctx.env, deps.cerosBinary)) return ok('');
  let payload: { session_id?: string; cwd?: string } = {};
  try {
    payload = JSON.parse(input) as typeof payload;
  } catch {
    payload = {};
  }
  if (event === 'SessionStart') {
    try {
      const home = cerosHome(ctx.env);
      const config = readEdgeConfig(home);
      if (config.ok && config.value) {
        const keystore = selectKeystore({
          env: ctx.env,
          cerosHome: home,
          platform: process.platform,
          nativeLibraryDir: dirname(deps.cerosBinary),
        }).keystore;
        const device = await loadOrCreateDevice(home, keystore);
        const client = createEdgeClient({
          baseUrl: config.value.edgeUrl,
          signer: deviceRequestSigner(device.record.deviceId, device.key),
        });
        await reportAdoptionGap(client, {
          claudeSessionId: payload.session_id ?? 'unknown',
          ...(payload.cwd ? { cwd: payload.cwd } : {}),
          details: { user: ctx.env.USER ?? null, entrypoint: ctx.env.CLAUDE_CODE_ENTRYPOINT ?? null },
        });
      }
    } catch (error) {
      ctx.progress(`ceros: could not report this session to the edge: ${(error as Error).message}`);
    }
  }
  if (deny && event === 'PreToolUse') {
    const reason =
      'This Claude Code session was not launched through ceros, which your organization requires: quit and run `ceros claude`';
    return {
      exitCode: 0,
      stdout: JSON.stringify({
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: 'deny',
          permissionDecisionReason: reason,
        },
      }),
      stderr: '',
    };
  }
  return ok('');
}

/**
 * Launched through ceros: CEROS_SESSION is set and, where the process table can be read, a ceros
 * wrapper (this binary, running `claude`) is among this hook's first ancestors (hook, sh, Claude
 * Code, wrapper). The variable alone could be set by anyone who starts Claude Code.
 */
function wrapped(env: Readonly<Record<string, string | undefined>>, cerosBinary: string): boolean {
  if (!env.CEROS_SESSION) return false;
  if (process.platform !== 'linux') return true;
  let self: string;
  try {
    self = realpathSync(cerosBinary);
  } catch {
    return false;
  }
  let pid = process.ppid;
  for (let depth = 0; depth < 5 && pid > 1; depth++) {
    try {
      const argv = parseCmdline(readFileSync(`/proc/${pid}/cmdline`));
      if (argv[1] === 'claude' && realpathSync(readlinkSync(`/proc/${pid}/exe`)) === self) return true;
      const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (!stat) return false;
      pid = stat.ppid;
    } catch {
      return false;
    }
  }
  return false;
}
