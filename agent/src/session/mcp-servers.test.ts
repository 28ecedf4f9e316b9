import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverMcpServers } from './mcp-servers.ts';

describe('discoverMcpServers()', () => {
  test('finds servers from --mcp-config (inline and file), ~/.claude.json (user and local) and .mcp.json', () => {
    const home = mkdtempSync(join(tmpdir(), 'ceros-mcp-'));
    const project = join(home, 'project');
    mkdirSync(project);
    writeFileSync(
      join(home, '.claude.json'),
      JSON.stringify({
        mcpServers: { u: { command: 'node', args: ['u.js'] } },
        projects: { [project]: { mcpServers: { l: { url: 'https://mcp.example/l' } } } },
      }),
    );
    writeFileSync(
      join(project, '.mcp.json'),
      JSON.stringify({ mcpServers: { p: { type: 'stdio', command: 'p-server' } } }),
    );
    writeFileSync(
      join(project, 'extra.json'),
      JSON.stringify({ mcpServers: { f: { command: 'f', args: ['--x'] } } }),
    );
    const found = discoverMcpServers(
      [
        '-p',
        'hi',
        '--mcp-config',
        JSON.stringify({ mcpServers: { i: { url: 'http://i' } } }),
        'extra.json',
        '--verbose',
      ],
      home,
      project,
    );
    expect(found).toEqual([
      { name: 'i', source: 'mcp-config', identity: { url: 'http://i' } },
      { name: 'f', source: 'mcp-config', identity: { command: ['f', '--x'] } },
      { name: 'u', source: 'user', identity: { command: ['node', 'u.js'] } },
      { name: 'l', source: 'local', identity: { url: 'https://mcp.example/l' } },
      { name: 'p', source: 'project', identity: { command: ['p-server'] } },
    ]);
  });

  test('skips unreadable or malformed sources instead of failing', () => {
    const home = mkdtempSync(join(tmpdir(), 'ceros-mcp-'));
    writeFileSync(join(home, '.claude.json'), '{not json');
    expect(
      discoverMcpServers(['--mcp-config', 'missing.json', '--mcp-config={"mcpServers":7}'], home, home),
    ).toEqual([]);
  });
});
