import { dirname } from 'node:path';
import { createProcessReader } from '../ancestry/index.ts';
import { APPROVE_HELP, runApprove } from '../commands/approve.ts';
import { CLAUDE_HELP, runClaudeCommand } from '../commands/claude.ts';
import { ENROLL_HELP, runEnroll } from '../commands/enroll.ts';
import { INSTALL_HELP, runInstall } from '../commands/install.ts';
import { LOG_HELP, runLog } from '../commands/log.ts';
import { POLICY_HELP, runPolicyCommand } from '../commands/policy.ts';
import { POSTURE_HELP, runPosture } from '../commands/posture.ts';
import { runUnwrapped } from '../commands/unwrapped.ts';
import { runVerify, VERIFY_HELP } from '../commands/verify.ts';
import { runWitness, WITNESS_HELP } from '../commands/witness.ts';
import { embeddedWasm } from '../decide/assets.ts';
import type { Keystore } from '../keystore/keystore.ts';
import { selectKeystore } from '../keystore/select.ts';
import { defaultPolicyCliDeps } from '../policy-cli/deps.ts';
import { readAncestors } from '../session/nesting.ts';
import { cerosHome } from '../state/secure-fs.ts';
import { VERSION } from '../version.ts';
import { openInBrowser } from '../wrapper/launch.ts';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from './command.ts';
import { describeFsError } from './fs-errors.ts';
import { LOG_RECEIPTS_HELP, runLogReceipts } from './log-receipts.ts';
import { LOG_REPAIR_HELP, runLogRepair } from './log-repair.ts';

export const MAIN_HELP = `ceros ${VERSION}: the trust layer for AI coding agents

Usage: ceros <command> [options]

Commands:
  claude [args...]   Launch Claude Code through ceros (records everything, enforces policy)
  approve            Approve the hooks and MCP servers Claude Code would load in this project
  log                List this device's journal; \`ceros log verify\` checks it, \`ceros log
                     receipts\` shows what the edge's transparency log has proven it holds,
                     \`ceros log repair\` sets aside lines that are not entries
  policy             Check, test, explain and print policies (\`ceros policy --help\`)
  posture            Show this device's posture and how long each probe took
  enroll [URL]       Enroll this device with your organization's edge
  install --system   Managed fleets: report (or deny) Claude Code sessions not run through ceros
  verify FILE        Verify an audit export offline
  witness            Run a witness that cosigns a log's checkpoints
  hook <event>       Internal: the hook client Claude Code runs
  help [command]     Show help for a command

Options:
  --version          Print the version
  --help             Show this help

First run: \`ceros claude\` creates a device key and a journal under ~/.ceros (or CEROS_HOME).
With an edge, run \`ceros enroll https://your-edge\` first (or install from the edge's link).
Run \`ceros <command> --help\` for a command's options.
`;

export interface RunDeps {
  cerosBinary: string;
  uid: number;
}

const HELPS: Readonly<Record<string, string>> = {
  claude: CLAUDE_HELP,
  approve: APPROVE_HELP,
  log: `${LOG_HELP}\n${LOG_RECEIPTS_HELP}\n${LOG_REPAIR_HELP}`,
  policy: POLICY_HELP,
  posture: POSTURE_HELP,
  enroll: ENROLL_HELP,
  install: INSTALL_HELP,
  verify: VERIFY_HELP,
  witness: WITNESS_HELP,
};

/**
 * Runs one command. A file system error that escapes it (a read-only or full CEROS_HOME, a folder
 * owned by someone else) is the machine's state, not a bug: it becomes one clear line, exit 1,
 * instead of a stack trace (issue 14.6). Anything else still propagates.
 */
export async function runCli(argv: string[], ctx: CommandContext, deps: RunDeps): Promise<CommandResult> {
  try {
    return await dispatch(argv, ctx, deps);
  } catch (error) {
    const described = describeFsError(error);
    if (described === null) throw error;
    return fail(`ceros: ${described}`, EXIT.FAILURE);
  }
}

async function dispatch(argv: string[], ctx: CommandContext, deps: RunDeps): Promise<CommandResult> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
      return ok(MAIN_HELP);
    case '--version':
    case '-v':
    case 'version':
      return ok(`${VERSION}\n`);
    case 'help': {
      const topic = rest[0];
      if (!topic) return ok(MAIN_HELP);
      const help = HELPS[topic];
      return help ? ok(help) : fail(`ceros: No help for "${topic}"\n\n${MAIN_HELP}`, EXIT.USAGE);
    }
    case 'claude':
      return runClaudeCommand(rest, ctx, deps);
    case 'approve':
      return runApprove(rest, ctx, {
        keystore: () => keystoreFor(ctx, deps),
        ancestors: async () => {
          try {
            return readAncestors(await createProcessReader(process.platform), process.pid);
          } catch {
            return [];
          }
        },
      });
    case 'log':
      if (rest[0] === 'receipts') return runLogReceipts(rest.slice(1), ctx);
      if (rest[0] === 'repair')
        return runLogRepair(rest.slice(1), ctx, { keystore: () => keystoreFor(ctx, deps) });
      return runLog(rest, ctx);
    case 'policy':
      return runPolicyCommand(
        rest,
        ctx,
        defaultPolicyCliDeps(ctx, { wasm: embeddedWasm(), cerosBinary: deps.cerosBinary }),
      );
    case 'posture':
      return runPosture(rest, ctx);
    case 'enroll': {
      const selection = selectKeystore({
        env: ctx.env,
        cerosHome: cerosHome(ctx.env),
        platform: process.platform,
        nativeLibraryDir: dirname(deps.cerosBinary),
      });
      ctx.progress(`ceros: ${selection.reason}`);
      return runEnroll(rest, { ...ctx, keystore: selection.keystore, openUrl: openInBrowser });
    }
    case 'install':
      return runInstall(rest, ctx, deps);
    case 'unwrapped':
      return runUnwrapped(rest, ctx, deps);
    case 'verify':
      return runVerify(rest, ctx);
    case 'witness':
      return runWitness(rest, ctx);
    default:
      return fail(`ceros: Unknown command "${command}"\n\n${MAIN_HELP}`, EXIT.USAGE);
  }
}

function keystoreFor(ctx: CommandContext, deps: RunDeps): Keystore {
  return selectKeystore({
    env: ctx.env,
    cerosHome: cerosHome(ctx.env),
    platform: process.platform,
    nativeLibraryDir: dirname(deps.cerosBinary),
  }).keystore;
}
