import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsoleEdge, ROOT, startConsoleEdge } from './console-edge.ts';

/** How the edge serves the console: one gzipped page for every client-side route, nothing else. */
let dir: string;
let edge: ConsoleEdge;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-console-route-'));
  edge = await startConsoleEdge({ dataDir: join(dir, 'edge') });
});
afterAll(async () => {
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${edge.url}${path}`, { headers: { 'accept-encoding': 'gzip', ...headers }, decompress: false });

describe('the console route', () => {
  test('serves the built page gzipped at / with an ETag, and 304 when it has not changed', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-encoding')).toBe('gzip');
    expect(new Uint8Array(await page.arrayBuffer())).toEqual(new Uint8Array(edge.build.gzip));
    const again = await get('/', { 'if-none-match': page.headers.get('etag') ?? '' });
    expect(again.status).toBe(304);
  });

  test('answers every client-side route with the page, and leaves API misses and /enroll alone', async () => {
    for (const path of [
      '/conversations',
      '/conversations/dev_1/s-1',
      '/tools',
      '/mcp',
      '/policies/pol_1',
      '/devices/dev_1',
      '/activity',
    ])
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 200 });
    const miss = await get('/v1/admin/nothing-here');
    expect((await miss.json()) as unknown).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const unknown = await get('/not-a-console-route');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');
    expect((await get('/enroll')).status).toBe(200);
  });

  test("a browser opening a path nobody serves gets the console's page with a 404, not the API's JSON", async () => {
    const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const path of ['/not-a-console-route', '/policies/pol_1/nothing', '/settings/nothing']) {
      const page = await get(path, html);
      expect({ path, status: page.status, type: page.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: 'text/html; charset=utf-8',
      });
      expect(new Uint8Array(await page.arrayBuffer())).toEqual(new Uint8Array(edge.build.gzip));
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    // The API, enrollment, downloads and health keep their own answers.
    for (const path of [
      '/v1/nothing',
      '/enroll/nothing',
      '/download/nothing',
      '/healthz/x',
      '/dev/outbox/x',
    ]) {
      const miss = await get(path, html);
      expect({ path, type: miss.headers.get('content-type') }).toEqual({ path, type: 'application/json' });
    }
  });

  test("sends a Content-Security-Policy that lets the page's own inline script run, and nothing else", async () => {
    const policy = (await get('/')).headers.get('content-security-policy') ?? '';
    const scriptHash = /script-src ('sha256-[^']+')/.exec(edge.build.html)?.[1];
    expect(scriptHash).toBeDefined();
    expect(policy).toContain(`script-src ${scriptHash}`);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
  });

  test('the compiled edge embeds the console page', async () => {
    const binary = join(ROOT, 'dist', 'ceros-edge');
    if (!existsSync(binary))
      throw new Error(`${binary} is missing: run \`npm run build\` (npm test builds it first)`);
    const child = Bun.spawn(
      [
        binary,
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data',
        join(dir, 'compiled'),
        '--dev-outbox',
      ],
      {
        stdout: 'pipe',
        stderr: 'ignore',
      },
    );
    try {
      const reader = child.stdout.getReader();
      let text = '';
      while (!/listening on (http:\/\/\S+)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`ceros-edge exited: ${text}`);
        text += new TextDecoder().decode(value);
      }
      const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
      const page = await fetch(`${url}/devices`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>ceros console</title>');
    } finally {
      child.kill();
      await child.exited;
    }
  }, 20_000);
});
