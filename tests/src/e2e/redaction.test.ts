/**
 * Secrets never leave the device in clear, on the real Claude Code: an API key in the prompt,
 * another in a Bash command and a token in the command's output. The journal holds placeholders
 * instead; so does a real in-process edge (libSQL file) that ingested the journal as the device
 * signed it, and its search index finds the placeholder, not the key. The model's view (the
 * scripted API's request log) is unchanged.
 */
import { describe, expect, test } from 'bun:test';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '@ceros/protocol';
import { createClient } from '@libsql/client';
import { createFakeDevice } from '../../../edge/src/testing/fake-device.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
} from '../../../edge/src/testing/test-edge.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSession, readJournal, runCerosClaude } from './ceros.ts';

// Made-up keys in the providers' formats (gitleaks rules anthropic-api-key and github-pat).
const PROMPT_KEY = `sk-ant-api03-${'Pq7Rs2Tu9Vw4Xy6Za1Bc3De5Fg8Hj0Km'.repeat(3).slice(0, 93)}AA`;
const COMMAND_KEY = `sk-ant-api03-${'Lm4Nq8Rt2Vx6Zb9Dc3Fh7Jk1Mp5Qs0Wy'.repeat(3).slice(0, 93)}AA`;
const OUTPUT_TOKEN = 'ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';

describe('redaction on the real Claude Code', () => {
  test('keys in a prompt, a Bash argument and tool output are placeholders in the journal, the edge and its search index, while the model saw them unchanged', async () => {
    const t = await cerosSession([
      turn(
        toolUseBlock(
          'Bash',
          { command: `ANTHROPIC_API_KEY=${COMMAND_KEY} true; cat build.log`, description: 'Deploy' },
          'toolu_deploy',
        ),
      ),
      turn('Deployed.'),
    ]);
    try {
      writeFileSync(join(t.sandbox.project, 'build.log'), `GITHUB_TOKEN=${OUTPUT_TOKEN}\n`);
      const run = await runCerosClaude(t, [
        '-p',
        `deploy with ${PROMPT_KEY}`,
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(run.exitCode).toBe(0);

      // The model's view is unchanged: the prompt and the tool output reached it in clear.
      const sent = JSON.stringify(t.api.turnRequests().map((r) => r.body));
      expect(sent).toContain(PROMPT_KEY);
      expect(t.api.toolResultFor('toolu_deploy')?.content).toContain(OUTPUT_TOKEN);

      const journalText = readFileSync(join(t.home, 'journal', 'journal.jsonl'), 'utf8');
      for (const secret of [PROMPT_KEY, COMMAND_KEY, OUTPUT_TOKEN]) expect(journalText).not.toContain(secret);
      const journal = readJournal(t.home);
      const payloadOf = (type: string) => journal.find((e) => e.type === type)?.payload ?? {};
      expect(String(payloadOf('prompt').text)).toMatch(
        /^deploy with \[REDACTED:anthropic-api-key:[0-9a-f]{12}\]$/,
      );
      expect(JSON.stringify(payloadOf('tool.decision').toolInput)).toMatch(
        /ANTHROPIC_API_KEY=\[REDACTED:anthropic-api-key:[0-9a-f]{12}\] true/,
      );
      expect(JSON.stringify(payloadOf('tool.result').response)).toMatch(
        /GITHUB_TOKEN=\[REDACTED:github-pat:[0-9a-f]{12}\]/,
      );
      expect(payloadOf('tool.result').$redactions).toEqual({ 'anthropic-api-key': 1, 'github-pat': 1 });
      // What the proxy recorded of the API exchange is redacted too.
      const requests = journal.filter((e) => e.type === 'api.request');
      expect(JSON.stringify(requests)).toContain('[REDACTED:github-pat:');

      // A real edge ingests the journal exactly as signed, as this device (its key from the keystore).
      const dbFile = join(t.sandbox.home, 'edge.db');
      const edge = await createTestEdge({ url: `file:${dbFile}`, startMs: Date.now() });
      await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
      const admin = await signInAdmin(edge, 'boss@acme.test');
      const keyFile = readdirSync(join(t.home, 'keys')).find((f) => f.endsWith('.p256.pk8'));
      if (!keyFile) throw new Error('The sandbox device key is not in a file keystore');
      const privateKey = createPrivateKey({
        key: readFileSync(join(t.home, 'keys', keyFile)),
        format: 'der',
        type: 'pkcs8',
      });
      const entries = journalText
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as JournalEntry);
      const device = createFakeDevice({ id: entries[0]?.device as string, privateKey, now: edge.clock.now });
      await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
      const stored = await ingest(edge, device, entries);
      expect(stored.status).toBe(200);

      const search = async (q: string) => {
        const res = await edge.request(`/v1/admin/tool-calls?q=${encodeURIComponent(q)}`, {
          headers: admin.read,
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { items: unknown[] }).items;
      };
      expect(await search(OUTPUT_TOKEN.slice(0, 16))).toEqual([]);
      expect(await search(COMMAND_KEY.slice(0, 24))).toEqual([]);
      expect((await search('REDACTED:github-pat')).length).toBe(1);
      expect((await search('REDACTED:anthropic-api-key')).length).toBe(1);

      // Nothing the edge stored holds a key in clear: every row of every table.
      const db = createClient({ url: `file:${dbFile}` });
      const tables = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
      let dump = '';
      for (const row of tables.rows) {
        const rows = await db.execute(`SELECT * FROM "${String(row.name)}"`);
        dump += JSON.stringify(rows.rows, (_, v) =>
          v instanceof ArrayBuffer ? Buffer.from(v).toString('latin1') : v,
        );
      }
      db.close();
      expect(dump).toContain('[REDACTED:anthropic-api-key:');
      for (const secret of [PROMPT_KEY, COMMAND_KEY, OUTPUT_TOKEN]) expect(dump).not.toContain(secret);
    } finally {
      await t.close();
    }
  }, 120_000);
});
