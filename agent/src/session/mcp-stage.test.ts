import { afterEach, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compilePolicy,
  createFakeRealpath,
  createShellParser,
  parsePolicy,
  starterPolicy,
} from '@ceros/policy';
import { canonicalJson, type JsonValue, toBase64Url } from '@ceros/protocol';
import { MANAGED_MCP_PREFIX, type ManagedMcpList } from '../edge-client/index.ts';
import { type McpStageDeps, runMcpStage } from './mcp-stage.ts';
import type { SessionPolicy } from './session-policy.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-mcp-stage-'));
  dirs.push(dir);
  return dir;
}

const shell = createShellParser();
const evaluationContext: McpStageDeps['evaluationContext'] = async (mcpServers) => ({
  home: '/home/dev',
  cerosHome: '/home/dev/.ceros',
  cerosBinary: '/usr/bin/ceros',
  realpath: createFakeRealpath({}),
  mcpServers,
  shell: await shell,
});

function policy(yaml: string): SessionPolicy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error('fixture policy is invalid');
  const compiled = compilePolicy(parsed.value);
  return { compiled, source: { kind: 'unsigned-file', file: 'p.yaml', hash: compiled.hash, version: null } };
}

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const orgKey = publicKey.export({ format: 'jwk' }).x as string;
function managedList(): ManagedMcpList {
  const body = {
    v: 1 as const,
    kind: 'managed-mcp' as const,
    org: 'acme',
    issuedAt: '2026-01-01T00:00:00.000Z',
    servers: [
      { name: 'company', transport: 'stdio' as const, command: 'node', args: ['company.js'], env: {} },
    ],
  };
  const sig = toBase64Url(
    sign(null, Buffer.from(MANAGED_MCP_PREFIX + canonicalJson(body as unknown as JsonValue)), privateKey),
  );
  return { ...body, sig };
}

const alpha = { name: 'alpha', source: 'mcp-config' as const, identity: { command: ['node', 'alpha.js'] } };
const input = { discovered: [alpha], policy: null, projectDir: '/home/dev/project', orgSigningKey: null };

describe('runMcpStage()', () => {
  test('with no policy every server is allowed and no evaluation context is built', async () => {
    const inventory = await runMcpStage(input, { home: home(), progress: () => {}, evaluationContext });
    expect(inventory).toEqual({
      managed: [],
      servers: [{ ...alpha, status: 'allowed', rule: null, reason: 'No policy restricts MCP servers' }],
      identities: { alpha: { command: ['node', 'alpha.js'] } },
      evaluation: undefined,
    });
  });

  test("strict's empty allowlist blocks a server; an allowlist entry by command admits it", async () => {
    const strict = await runMcpStage(
      { ...input, policy: policy(starterPolicy('strict')) },
      { home: home(), progress: () => {}, evaluationContext },
    );
    expect(strict.servers[0]).toMatchObject({ name: 'alpha', status: 'blocked', rule: 'mcp-allowlist' });
    expect(strict.evaluation?.mcpServers).toEqual({ alpha: { command: ['node', 'alpha.js'] } });
    const byCommand = await runMcpStage(
      {
        ...input,
        policy: policy('version: 1\ndefault: allow\nmcp:\n  allow:\n    - command: [node, alpha.js]\n'),
      },
      { home: home(), progress: () => {}, evaluationContext },
    );
    expect(byCommand.servers[0]).toMatchObject({ name: 'alpha', status: 'allowed' });
  });

  test("the organization's managed servers join the inventory, and the last verified list stands in when the edge is away", async () => {
    const dir = home();
    const list = managedList();
    const online = await runMcpStage(
      { ...input, orgSigningKey: orgKey },
      {
        home: dir,
        progress: () => {},
        evaluationContext,
        fetchManaged: async () => ({ status: 'ok', document: list, etag: null, raw: JSON.stringify(list) }),
      },
    );
    expect(online.managed.map((m) => m.name)).toEqual(['company']);
    expect(online.servers.map((s) => [s.name, s.source])).toEqual([
      ['alpha', 'mcp-config'],
      ['company', 'managed'],
    ]);
    expect(online.identities.company).toEqual({ command: ['node', 'company.js'] });
    const progress: string[] = [];
    const offline = await runMcpStage(
      { ...input, orgSigningKey: orgKey },
      {
        home: dir,
        edgeUrl: 'https://edge.test',
        progress: (l) => progress.push(l),
        evaluationContext,
        fetchManaged: async () => {
          throw new Error('connection refused');
        },
      },
    );
    expect(offline.managed.map((m) => m.name)).toEqual(['company']);
    expect(progress).toEqual([
      'ceros: Cannot fetch managed MCP servers from https://edge.test (connection refused); using the last list',
    ]);
  });

  test('a cached list that does not verify against the organization key is not used', async () => {
    const dir = home();
    mkdirSync(join(dir, 'policy'), { recursive: true });
    writeFileSync(join(dir, 'policy', 'managed-mcp.json'), JSON.stringify({ ...managedList(), org: 'evil' }));
    const inventory = await runMcpStage(
      { ...input, orgSigningKey: orgKey },
      {
        home: dir,
        progress: () => {},
        evaluationContext,
        fetchManaged: async () => {
          throw new Error('offline');
        },
      },
    );
    expect(inventory.managed).toEqual([]);
  });
});
