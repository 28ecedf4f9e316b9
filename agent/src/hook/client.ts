import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import {
  failureAnswer,
  HOOK_DEADLINE_MS,
  type HookAnswer,
  isHookEvent,
  MAX_HOOK_INPUT_BYTES,
} from './events.ts';

/**
 * `ceros hook <event>`: the thin client Claude Code runs for every hook. It reads the payload,
 * asks the session daemon over its socket, and reproduces the daemon's answer. It decides
 * nothing itself: when the daemon is missing, slow or incoherent, it fails per ON_HOOK_ERROR.
 * Kept free of heavy imports: it is spawned for every tool call.
 */
export async function runHookClient(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  readInput: () => Buffer = () => readFileSync(0),
): Promise<HookAnswer> {
  const event = argv[0] ?? '';
  if (event === '--help' || event === '-h' || event === '') {
    return { exitCode: event === '' ? 64 : 0, stdout: HOOK_HELP, stderr: '' };
  }
  if (!isHookEvent(event))
    return { exitCode: 2, stdout: '', stderr: `ceros: Unknown hook event "${event}"\n` };
  const socketPath = env.CEROS_SOCKET;
  if (!socketPath) {
    return failureAnswer(
      event,
      'This Claude Code session was not launched through `ceros claude` (CEROS_SOCKET is not set)',
    );
  }
  let input: Buffer;
  try {
    input = readInput();
  } catch (error) {
    return failureAnswer(event, `Cannot read the hook input: ${(error as Error).message}`);
  }
  if (input.length > MAX_HOOK_INPUT_BYTES) {
    return failureAnswer(
      event,
      `Hook input is ${input.length} bytes, over the ${MAX_HOOK_INPUT_BYTES}-byte limit`,
    );
  }
  const deadline =
    Number(env.CEROS_HOOK_DEADLINE_MS) > 0 ? Number(env.CEROS_HOOK_DEADLINE_MS) : HOOK_DEADLINE_MS;
  const request = `${JSON.stringify({ v: 1, event, pid: process.pid, input: input.toString('utf8') })}\n`;
  return new Promise<HookAnswer>((resolve) => {
    let settled = false;
    const finish = (answer: HookAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () => finish(failureAnswer(event, `The ceros session daemon did not answer within ${deadline} ms`)),
      deadline,
    );
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        failureAnswer(
          event,
          `Cannot reach the ceros session daemon at "${socketPath}": ${error.code ?? error.message}`,
        ),
      ),
    );
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      finish(parseAnswer(event, text));
    });
  });
}

function parseAnswer(event: Parameters<typeof failureAnswer>[0], text: string): HookAnswer {
  if (text.trim() === '')
    return failureAnswer(event, 'The ceros session daemon closed the connection without an answer');
  try {
    const answer = JSON.parse(text) as Partial<HookAnswer>;
    if (
      typeof answer.exitCode === 'number' &&
      Number.isInteger(answer.exitCode) &&
      typeof answer.stdout === 'string' &&
      typeof answer.stderr === 'string'
    ) {
      return { exitCode: answer.exitCode, stdout: answer.stdout, stderr: answer.stderr };
    }
  } catch {
    // fall through to the malformed answer below
  }
  return failureAnswer(event, 'The ceros session daemon sent a malformed answer');
}

const HOOK_HELP = `Usage: ceros hook <event>

Internal: Claude Code runs this for each hook event of a session launched with \`ceros claude\`.
It reads the hook payload on stdin, asks the session daemon (CEROS_SOCKET), and prints
Claude Code's decision. When the daemon cannot be reached or does not answer in time
(CEROS_HOOK_DEADLINE_MS, default ${HOOK_DEADLINE_MS} ms), tool calls and prompts are denied.

Events: SessionStart UserPromptSubmit PreToolUse PostToolUse PostToolUseFailure PostToolBatch
        SubagentStart SubagentStop Stop SessionEnd PermissionRequest ConfigChange
`;
