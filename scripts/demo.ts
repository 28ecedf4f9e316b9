/**
 * `npm run demo`: a real Claude Code session through ceros on the embedded defaults, offline.
 * The model is our scripted Messages API (there is no network here); everything else is real:
 * the Claude Code CLI, its hooks, the recording proxy, the policy, the signed journal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, runClaude } from '../tests/src/harness/claude.ts';
import { startScriptedApi, toolUseBlock, turn } from '../tests/src/harness/scripted-api.ts';

const root = join(import.meta.dir, '..');
const ceros = join(root, 'dist', 'ceros');
const say = (line: string) => process.stdout.write(`${line}\n`);

const api = startScriptedApi([
  turn(
    'Let me look around.',
    toolUseBlock('Bash', { command: 'ls -la', description: 'List files' }, 'toolu_demo_ls'),
  ),
  turn(
    toolUseBlock('Bash', { command: 'cat ~/.ssh/id_rsa', description: 'Read the SSH key' }, 'toolu_demo_ssh'),
  ),
  turn('Your project has a README. I was not allowed to read your SSH key, which is as it should be.'),
]);
const sandbox = makeSandbox({ baseUrl: api.url });
const home = join(sandbox.home, '.ceros');
writeFileSync(join(sandbox.project, 'README.md'), '# demo project\n');
mkdirSync(join(sandbox.home, '.ssh'), { recursive: true, mode: 0o700 });
writeFileSync(join(sandbox.home, '.ssh', 'id_rsa'), 'DEMO-SECRET-KEY\n', { mode: 0o600 });
const policy = join(sandbox.home, 'policy.json');
writeFileSync(
  policy,
  JSON.stringify({
    version: 1,
    rules: [
      {
        id: 'no-shell-secrets',
        tools: ['Bash'],
        effect: 'deny',
        reason: 'Shell access is disabled in this demo once secrets are touched',
      },
    ],
  }),
);

say('ceros demo: a real Claude Code session through ceros, against a scripted model on loopback\n');
say(`$ ceros claude -p "what files are in my directory?"    (HOME=${sandbox.home})`);
const run = await runClaude({
  cmd: [ceros, 'claude'],
  args: ['-p', 'what files are in my directory?', '--output-format', 'json', '--allowedTools', 'Bash'],
  env: { ...sandbox.env, CEROS_HOME: home },
  cwd: sandbox.project,
});
say(`Claude Code exited with ${run.exitCode}: ${run.json?.result ?? run.stderr}`);
say(`Permission denials reported by Claude Code: ${JSON.stringify(run.json?.permission_denials ?? [])}\n`);
for (const args of [['log'], ['log', 'verify']]) {
  say(`$ ceros ${args.join(' ')}`);
  const out = Bun.spawnSync([ceros, ...args], { env: { ...sandbox.env, CEROS_HOME: home } });
  process.stdout.write(out.stdout.toString() + out.stderr.toString());
  say('');
}
say(`The journal is ${join(home, 'journal', 'journal.jsonl')} (kept; remove ${sandbox.home} when done).`);
await api.close();
