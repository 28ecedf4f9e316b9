import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
 * launched through `ceros claude` carries CEROS_SOCKET and its own hooks; this one does nothing
 * there. Any other Claude Code session is an adoption gap: reported to the edge at SessionStart,
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
  if (wrapped(ctx.env)) return ok('');
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

/** Launched through ceros: its session socket is named in the environment and exists. */
function wrapped(env: Readonly<Record<string, string | undefined>>): boolean {
  const socket = env.CEROS_SOCKET;
  if (!socket || !env.CEROS_SESSION) return false;
  try {
    readFileSync(socket);
    return true;
  } catch (error) {
    // A Unix socket cannot be read as a file: ENXIO/EOPNOTSUPP mean it is there.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENXIO' || code === 'EOPNOTSUPP' || code === 'ENODEV';
  }
}
