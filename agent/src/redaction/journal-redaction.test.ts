import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, parsePolicy } from '@ceros/policy';
import { devicePublicKeyFromSpki, SESSION_KEY_ENTRY, verifyJournal } from '@ceros/protocol';
import { createJsonlEntryReader } from '../edge-client/jsonl-reader.ts';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { JOURNAL_FILE, openJournalWriter, readJournalFile } from '../journal/journal.ts';
import { createFileKeystore } from '../keystore/file.ts';
import { createSessionKeys, loadOrCreateDevice } from '../session/identity.ts';
import { createEntryRedactor } from './entry-redactor.ts';
import { REDACTION_KEY_FILE } from './redaction-key.ts';

const KEY = `sk-ant-api03-${'Q7x_k2Lm9-Rv4TzW'.repeat(5)}${'a8B3cD'.repeat(2)}x${'AA'}`;
const GITHUB = 'ghp_R7k2Lm9Qv4TzWp8Xn3Bc6Hd1Fg5Js0Ka2Me9';

async function session(policyYaml?: string) {
  const home = mkdtempSync(join(tmpdir(), 'ceros-redaction-'));
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  const keys = await createSessionKeys(device, crypto.randomUUID(), {
    user: null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
  });
  let policy: ReturnType<typeof compilePolicy> | undefined;
  if (policyYaml) {
    const parsed = parsePolicy(policyYaml);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    policy = compilePolicy(parsed.value);
  }
  const writer = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session: keys.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
    redactor: createEntryRedactor({ home, policy: () => policy }),
  });
  writer.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  const path = join(home, 'journal', JOURNAL_FILE);
  const verify = () =>
    verifyJournal(readJournalFile(path).entries, {
      deviceKey: () => devicePublicKeyFromSpki(device.record.publicKeySpki),
    });
  return { home, writer, path, verify };
}

describe('the journal writer redacts before it signs', () => {
  test('no clear secret reaches the journal file or what the uploader sends, and the chain verifies', async () => {
    const { home, writer, path, verify } = await session();
    writer.append('prompt', { text: `my key is ${KEY}` });
    writer.append('tool.decision', {
      toolName: 'Bash',
      toolInput: { command: `curl -H "x-api-key: ${KEY}" api` },
    });
    const big = `${'build output line\n'.repeat(10_000)}ANTHROPIC_API_KEY=${KEY}\ntoken ${GITHUB}\n`;
    const later = writer.record('tool.result', { toolName: 'Bash', response: { stdout: big } });
    expect(later).toBeInstanceOf(Promise);
    await later;
    writer.append('api.response', { content: [{ type: 'text', text: `echo ${GITHUB}` }] });
    writer.close();

    const file = readFileSync(path, 'utf8');
    expect(file).not.toContain(KEY);
    expect(file).not.toContain(GITHUB);
    expect(file).toContain('[REDACTED:anthropic-api-key:');
    const uploaded = JSON.stringify(await createJsonlEntryReader(path)(-1, 100));
    expect(uploaded).not.toContain(KEY);
    expect(uploaded).not.toContain(GITHUB);
    expect(verify().ok).toBe(true);

    const entries = readJournalFile(path).entries as { type: string; payload: Record<string, unknown> }[];
    const byType = (t: string) => entries.find((e) => e.type === t)?.payload ?? {};
    expect(byType('prompt').$redactions).toEqual({ 'anthropic-api-key': 1 });
    expect(byType('tool.result').$redactions).toEqual({ 'anthropic-api-key': 1, 'github-pat': 1 });
    // Equal secrets, equal placeholders: the prompt's and the command's key correlate.
    const tag = /\[REDACTED:anthropic-api-key:([0-9a-f]{12})\]/;
    expect(String(byType('prompt').text).match(tag)?.[1]).toBe(
      JSON.stringify(byType('tool.decision').toolInput).match(tag)?.[1] as string,
    );
    // The deferred entry came after the one recorded before it, and before the one after it.
    expect(entries.map((e) => e.type)).toEqual([
      SESSION_KEY_ENTRY,
      'prompt',
      'tool.decision',
      'tool.result',
      'api.response',
    ]);
    expect(statSync(join(home, REDACTION_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  test('the session key entry is ceros’s own and is written byte for byte', async () => {
    const { writer, path, verify } = await session();
    writer.close();
    const [entry] = readJournalFile(path).entries as { payload: Record<string, unknown> }[];
    expect(entry?.payload.$redactions).toBeUndefined();
    expect(verify().ok).toBe(true);
  });

  test('the metadata tier keeps no arguments or content; arguments keeps tool inputs only', async () => {
    const meta = await session('version: 1\ndefault: allow\nprivacy: { tier: metadata }\n');
    meta.writer.append('tool.decision', { toolName: 'Bash', toolInput: { command: 'ls /secret-project' } });
    meta.writer.append('prompt', { text: 'the confidential plan' });
    meta.writer.close();
    const metaFile = readFileSync(meta.path, 'utf8');
    expect(metaFile).not.toContain('secret-project');
    expect(metaFile).not.toContain('confidential');
    const decision = (readJournalFile(meta.path).entries[1] as { payload: Record<string, unknown> }).payload;
    expect(decision.toolName).toBe('Bash');
    expect(decision.toolInput).toBeNull();
    expect(decision.$privacy).toEqual({ tier: 'metadata', omitted: { toolInput: 32 } });

    const args = await session('version: 1\ndefault: allow\nprivacy: { tier: arguments }\n');
    args.writer.append('tool.result', {
      toolInput: { command: 'ls /project' },
      response: { stdout: 'private output' },
    });
    args.writer.append('api.response', {
      content: [
        { type: 'text', text: 'model prose' },
        { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } },
      ],
    });
    args.writer.close();
    const argsFile = readFileSync(args.path, 'utf8');
    expect(argsFile).toContain('ls /project');
    expect(argsFile).not.toContain('private output');
    expect(argsFile).not.toContain('model prose');
    expect(argsFile).toContain('"name":"Bash"');
    expect(args.verify().ok).toBe(true);
  });

  test("the organization's patterns from the policy are redacted as their own type", async () => {
    const { writer, path } = await session(
      "version: 1\ndefault: allow\nredaction:\n  patterns:\n    - { id: acme-token, regex: 'acme_[a-z0-9]{24}' }\n",
    );
    writer.append('prompt', { text: 'use acme_0123456789abcdefghijklmn now' });
    writer.close();
    const file = readFileSync(path, 'utf8');
    expect(file).not.toContain('acme_0123456789');
    expect(file).toContain('[REDACTED:acme-token:');
  });
});
