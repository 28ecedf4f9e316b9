import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDistFolderBinaries, hostTarget } from '../install/dist-folder.ts';
import { shQuote } from '../install/install-script.ts';
import { type ServedApp, serveForTest } from '../testing/serve.ts';
import { createOrgWithAdmin, createTestEdge, type TestEdge } from '../testing/test-edge.ts';

let dir: string;
let dist: string;
let edge: TestEdge;
let served: ServedApp;
const shell = spawnSync('sh', ['-c', 'command -v dash || command -v sh']).stdout.toString().trim();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-install-'));
  dist = join(dir, 'dist');
  mkdirSync(dist);
  // The host build under its plain name, as `npm run build` leaves it.
  writeFileSync(join(dist, 'ceros'), '#!/bin/sh\necho "ceros fake build"\n');
  writeFileSync(join(dist, 'ceros-darwin-arm64'), 'mac build');
  edge = await createTestEdge({
    binaries: createDistFolderBinaries(dist),
    settings: { publicUrl: undefined },
  });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  served = serveForTest(edge.app);
});
afterAll(async () => {
  await served.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs an install command asynchronously: the edge answering it lives in this same process. */
function install(
  script: string,
  home: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(shell, ['-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CEROS_INSTALL_DIR: join(home, 'bin') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('install', () => {
  test("install.sh from an org's link installs the host build, checks its SHA-256 and leaves the edge URL", async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const run = await install(`curl -fsSL ${shQuote(`${served.url}/install.sh?org=acme`)} | sh`, home);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const binary = join(home, 'bin', 'ceros');
    expect(readFileSync(binary, 'utf8')).toContain('ceros fake build');
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    const hint = join(home, '.ceros', 'install.json');
    expect(JSON.parse(readFileSync(hint, 'utf8'))).toEqual({ edgeUrl: served.url, org: 'acme' });
    expect(statSync(hint).mode & 0o777).toBe(0o600);
    expect(run.stdout).toContain(`Installed ceros to ${join(home, 'bin')}/ceros`);
    expect(run.stdout).toContain('Next: run "ceros claude"');
    expect(run.stdout).toContain('Add it to your PATH');
  });

  test('install.sh refuses a binary whose SHA-256 does not match', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const script = await (await fetch(`${served.url}/install.sh`)).text();
    writeFileSync(join(dist, 'ceros'), '#!/bin/sh\necho "tampered build"\n');
    try {
      writeFileSync(join(home, 'install.sh'), script);
      const run = await install(`sh ${shQuote(join(home, 'install.sh'))}`, home);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("the download's SHA-256 is");
      expect(() => statSync(join(home, 'bin', 'ceros'))).toThrow();
    } finally {
      writeFileSync(join(dist, 'ceros'), '#!/bin/sh\necho "ceros fake build"\n');
    }
  });

  test('install.sh lists a SHA-256 for each build the dist folder has', async () => {
    const res = await edge.request('/install.sh');
    expect(res.headers.get('content-type')).toContain('text/x-shellscript');
    const script = await res.text();
    expect(script).toMatch(new RegExp(`${hostTarget()}\\) echo [0-9a-f]{64} ;;`));
    expect(script).toMatch(/darwin-arm64\) echo [0-9a-f]{64} ;;/);
    expect(script).not.toMatch(/linux-arm64\) echo/);
  });

  test('downloads serve each target from the dist folder and 404 unknown ones', async () => {
    const mac = await edge.request('/download/darwin-arm64/ceros');
    expect(mac.status).toBe(200);
    expect(await mac.text()).toBe('mac build');
    const sum = await edge.request('/download/darwin-arm64/ceros.sha256');
    expect(await sum.text()).toBe(
      `${new Bun.CryptoHasher('sha256').update('mac build').digest('hex')}  ceros\n`,
    );
    expect((await edge.request('/download/linux-arm64/ceros')).status).toBe(404);
    expect((await edge.request('/download/..%2F..%2Fetc/ceros')).status).toBe(404);
  });

  test('an install link for an unknown organization is refused', async () => {
    const res = await edge.request('/install.sh?org=nope');
    expect(res.status).toBe(404);
    expect((await edge.request('/install.sh?org=Bad%20Slug')).status).toBe(400);
  });

  test('the health check answers', async () => {
    const res = await fetch(`${served.url}/healthz`);
    expect(await res.json()).toMatchObject({ ok: true, mail: 'outbox' });
  });
});
