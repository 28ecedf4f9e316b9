import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClaude } from '../harness/claude.ts';
import { forEachClaudeVersion } from '../harness/claude-versions.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosBinary, cerosSession, cerosSessionOn, readJournal, runCeros, runCerosClaude } from './ceros.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('device posture on the real Claude Code', () => {
  test('a policy requiring disk encryption refuses the session on this unencrypted machine, naming the requirement', async () => {
    const t = await cerosSession([turn('never sent')]);
    try {
      const policy = join(t.sandbox.home, 'policy.yaml');
      writeFileSync(
        policy,
        'version: 1\ndefault: allow\nposture:\n  diskEncryption:\n    require: ok\n    onUnmet: refuse\n    reason: Disk encryption must be on\n',
      );
      const run = await runCerosClaude(t, ['--policy', policy, '--allow-unsigned-policy', '-p', 'hi']);
      expect(run.exitCode).toBe(77);
      expect(run.stderr).toContain('diskEncryption');
      expect(run.stderr).toContain('Disk encryption must be on');
      expect(t.api.requests.filter((r) => r.kind === 'turn')).toHaveLength(0);
    } finally {
      await t.close();
    }
  }, 60_000);

  test.skipIf(process.getuid?.() !== 0)(
    'killing the endpoint-protection agent mid-session denies the next tool call and journals the change and the alert',
    async () => {
      const t = await cerosSession((_request, index) => {
        if (index === 0) return turn(toolUseBlock('Bash', { command: 'echo first' }, 'toolu_edr_1'));
        if (index === 1) {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
          // Give the 200 ms reassessment time to see it: a snapshot younger than that is fresh.
          return {
            ...turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_edr_2')),
            delayMs: 1_000,
          };
        }
        return undefined;
      });
      const pidFile = join(t.sandbox.home, 'osqueryd.pid');
      try {
        const policy = join(t.sandbox.home, 'policy.yaml');
        writeFileSync(
          policy,
          'version: 1\ndefault: allow\nposture:\n  endpointProtection:\n    require: ok\n    onUnmet:\n      deny: [Bash, Write, Edit]\n    reason: Endpoint protection must be running\n',
        );
        // A name is not enough (a copy of /bin/sleep named osqueryd is a look-alike): the agent
        // must run as root from the vendor's install path. A private mount namespace gives this
        // session an /opt/osquery of its own, so nothing is installed on the machine.
        const script = `mount -t tmpfs -o mode=0755 tmpfs /opt && mkdir /opt/osquery && cp /bin/sleep /opt/osquery/osqueryd && { /opt/osquery/osqueryd 300 & echo $! > '${pidFile}'; } && exec "$@"`;
        const run = await runClaude({
          cmd: [
            'unshare',
            '--mount',
            '--propagation',
            'private',
            'sh',
            '-c',
            script,
            'sh',
            cerosBinary(),
            'claude',
          ],
          args: [
            '--policy',
            policy,
            '--allow-unsigned-policy',
            '-p',
            'go',
            '--output-format',
            'json',
            '--allowedTools',
            'Bash',
          ],
          env: { ...t.env, CEROS_POSTURE_INTERVAL_MS: '200' },
          cwd: t.sandbox.project,
          timeoutMs: 60_000,
        });
        expect(run.exitCode).toBe(0);
        expect(t.api.toolResultFor('toolu_edr_1')?.content).toContain('first');
        expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
        expect(t.api.toolResultFor('toolu_edr_2')?.content).toContain('Endpoint protection must be running');
        const entries = readJournal(t.home);
        const start = entries.find((e) => e.type === 'session.start')?.payload as {
          posture: { probes: { endpointProtection: { status: string; evidence: string } } };
        };
        expect(start.posture.probes.endpointProtection.status).toBe('ok');
        expect(start.posture.probes.endpointProtection.evidence).toContain(
          'runs as root from /opt/osquery/osqueryd',
        );
        const change = entries.find((e) => e.type === 'posture.change');
        expect(JSON.stringify(change?.payload)).toContain('endpointProtection');
        expect(
          entries.some((e) => e.type === 'alert' && (e.payload as { kind: string }).kind === 'posture'),
        ).toBe(true);
        expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
      } finally {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // Already ended by the test.
        }
        await t.close();
      }
    },
    90_000,
  );

  test('`ceros posture` reports a copy of /bin/sleep named falcon-sensor as a look-alike, never as CrowdStrike running', async () => {
    const t = await cerosSession([turn('never sent')]);
    const standIn = join(t.sandbox.home, 'falcon-sensor');
    copyFileSync('/bin/sleep', standIn);
    const lookAlike = Bun.spawn([standIn, '300'], { stdout: 'ignore', stderr: 'ignore' });
    try {
      const posture = runCeros(['posture', '--json', '--no-cache'], t.env);
      const probe = JSON.parse(posture.stdout).posture.probes.endpointProtection;
      expect(probe.status).not.toBe('ok');
      expect(probe.value?.running ?? []).not.toContain('crowdstrike');
      expect(probe.evidence).toContain(
        `CrowdStrike Falcon look-alike, not counted: falcon-sensor (pid ${lookAlike.pid})`,
      );
    } finally {
      lookAlike.kill('SIGKILL');
      await t.close();
    }
  }, 60_000);

  forEachClaudeVersion(
    'the ancestry of a hook process includes the claude binary with its correct SHA-256',
    async (claudeVersion) => {
      const t = await cerosSessionOn(claudeVersion)([
        turn(toolUseBlock('Bash', { command: 'echo hi' }, 'toolu_anc')),
        turn('ok'),
      ]);
      try {
        const run = await runCerosClaude(t, [
          '-p',
          'go',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(run.exitCode).toBe(0);
        const claudeReal = realpathSync(join(t.sandbox.binDir, 'claude'));
        const journal = readJournal(t.home);
        const start = journal.find((e) => e.type === 'session.start')?.payload as {
          claudePid: number;
          ancestry: { chain: { exe: string | null; sha256: string | null }[] };
        };
        expect(start.ancestry.chain[0]?.exe).toBe(claudeReal);
        expect(start.ancestry.chain[0]?.sha256).toBe(sha256(claudeReal));
        const decision = journal.find((e) => e.type === 'tool.decision')?.payload;
        if (claudeVersion === '2.1.197') {
          // A command hook: its own chain, ceros first, then sh and the claude binary.
          const chain =
            (decision?.hookAncestry as { chain: { exe: string | null; sha256: string | null }[] } | undefined)
              ?.chain ?? [];
          expect(chain.find((p) => p.exe === claudeReal)?.sha256).toBe(sha256(claudeReal));
          expect(chain[0]?.exe).toBe(realpathSync(join(import.meta.dir, '..', '..', '..', 'dist', 'ceros')));
        } else {
          // An HTTP hook is Claude Code's own request (the peer check verified its pid): its ancestry
          // is the session's, in session.start.
          expect(decision?.hookPid).toBe(start.claudePid);
        }
      } finally {
        await t.close();
      }
    },
    60_000,
  );
});
