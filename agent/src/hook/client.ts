import {
  failureAnswer,
  HOOK_DEADLINE_MS,
  type HookAnswer,
  isHookEvent,
  MAX_HOOK_INPUT_BYTES,
} from './events.ts';

/**
 * What the hook client needs from the runtime. The real one (bun-io.ts) uses Bun's own stdin and
 * socket APIs: importing node:net alone costs a Bun binary ~15 ms of startup, paid on every tool
 * call. No other import may creep into this file for the same reason.
 */
export interface HookIo {
  readInput(): Promise<Uint8Array>;
  /** Sends `request` over the Unix socket and resolves with everything the daemon wrote back. */
  exchange(
    socketPath: string,
    request: string,
  ): Promise<{ ok: true; text: string } | { ok: false; error: string }>;
}

/**
 * `ceros hook <event>`: the thin client Claude Code runs for every hook. It reads the payload,
 * asks the session daemon over its socket, and reproduces the daemon's answer. It decides
 * nothing itself: when the daemon is missing, slow or incoherent, it fails per ON_HOOK_ERROR.
 */
export async function runHookClient(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  io: HookIo,
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
  let input: Uint8Array;
  try {
    input = await io.readInput();
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
  const request = `${JSON.stringify({ v: 1, event, pid: process.pid, input: new TextDecoder().decode(input) })}\n`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<HookAnswer>((resolve) => {
    timer = setTimeout(
      () => resolve(failureAnswer(event, `The ceros session daemon did not answer within ${deadline} ms`)),
      deadline,
    );
  });
  const exchange = io.exchange(socketPath, request).then(
    (result): HookAnswer =>
      result.ok
        ? parseAnswer(event, result.text)
        : failureAnswer(event, `Cannot reach the ceros session daemon at "${socketPath}": ${result.error}`),
    (error: unknown) =>
      failureAnswer(
        event,
        `Cannot reach the ceros session daemon at "${socketPath}": ${(error as Error).message}`,
      ),
  );
  const answer = await Promise.race([exchange, timeout]);
  clearTimeout(timer);
  return answer;
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
