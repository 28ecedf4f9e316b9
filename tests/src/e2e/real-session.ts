/**
 * The "real session" both the golden journal fixture (tests/fixtures/journal/generate.ts) and the
 * console's browser seed record: `dist/ceros claude` around the real Claude Code and the scripted
 * API, with a policy that denies Write and a real stdio MCP server. The script calls Bash, Read,
 * Write (denied), the MCP tool, a failing Bash command and an Agent subagent that runs Bash itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcpConfig } from '../harness/mcp-server.ts';
import { loadingDeferredTools, toolUseBlock, turn } from '../harness/scripted-api.ts';
import { type CerosSession, cerosSession, type Entry, readJournal, runCerosClaude } from './ceros.ts';

export const DENY_WRITES = {
  version: 1,
  default: 'allow',
  rules: [{ id: 'no-writes', tools: ['Write'], effect: 'deny', reason: 'Writing files is disabled' }],
};

export const REAL_SESSION_PROMPT = 'Summarise my notes, echo a greeting, and count the lines with a subagent';
export const REAL_SESSION_FINAL_TEXT =
  'The notes have 2 lines; writing the summary was blocked by your policy.';

export interface RealSessionRun {
  /** The sandbox it ran in; the caller closes it. */
  session: CerosSession;
  journal: Entry[];
}

export async function runRealSession(
  options: { env?: Record<string, string> } = {},
): Promise<RealSessionRun> {
  let project = '';
  // 2.1.337 defers the MCP tool behind ToolSearch: the script loads it first, as a model would.
  const s: CerosSession = await cerosSession(
    loadingDeferredTools([
      turn(
        'Let me look at the project first.',
        toolUseBlock('Bash', { command: 'ls -a', description: 'List files' }, 'toolu_01bash'),
      ),
      () => turn(toolUseBlock('Read', { file_path: join(project, 'notes.txt') }, 'toolu_01read')),
      () =>
        turn(
          'Saving the summary.',
          toolUseBlock(
            'Write',
            { file_path: join(project, 'summary.txt'), content: 'alpha, beta\n' },
            'toolu_01write',
          ),
        ),
      turn(toolUseBlock('mcp__alpha__echo', { text: 'hello from ceros' }, 'toolu_01mcp')),
      turn(
        toolUseBlock(
          'Bash',
          { command: 'cat missing.txt', description: 'Read a missing file' },
          'toolu_01fail',
        ),
      ),
      turn(
        toolUseBlock(
          'Agent',
          {
            description: 'Count the notes',
            prompt: 'Count the lines of notes.txt',
            subagent_type: 'general-purpose',
            // 2.1.337 runs agents in the background by default; this session waits for its count.
            run_in_background: false,
          },
          'toolu_01agent',
        ),
      ),
      // The subagent's own loop: its requests consume the next turns.
      turn(
        toolUseBlock('Bash', { command: 'wc -l notes.txt', description: 'Count lines' }, 'toolu_01subbash'),
      ),
      turn('notes.txt has 2 lines.'),
      turn(REAL_SESSION_FINAL_TEXT),
    ]),
    options.env,
  );
  project = s.sandbox.project;
  try {
    writeFileSync(join(s.sandbox.project, 'notes.txt'), 'alpha\nbeta\n');
    const policy = join(s.sandbox.home, 'policy.json');
    writeFileSync(policy, JSON.stringify(DENY_WRITES));
    const run = await runCerosClaude(
      s,
      [
        '--policy',
        policy,
        '--allow-unsigned-policy',
        '-p',
        REAL_SESSION_PROMPT,
        '--output-format',
        'json',
        '--allowedTools',
        'Bash,Read,Write,Agent,mcp__alpha__echo',
        '--mcp-config',
        JSON.stringify(mcpConfig('alpha', join(s.sandbox.home, 'alpha.log'))),
      ],
      { env: { CEROS_KEYSTORE: 'software' }, timeoutMs: 120_000 },
    );
    if (run.exitCode !== 0) throw new Error(`ceros claude exited ${run.exitCode}: ${run.stderr}`);
    return { session: s, journal: readJournal(s.home) };
  } catch (error) {
    await s.close();
    throw error;
  }
}
