import { test } from 'bun:test';
import { type ClaudeVersion, SUPPORTED_CLAUDE_VERSIONS } from './claude.ts';

/**
 * Runs `body` as one test per supported Claude Code version, named `<name> [Claude Code <v>]`, for
 * the tests whose guarantee must hold on every supported version (see harness/README.md). Kept
 * apart from claude.ts, which the demo and the benchmarks import outside the test runner.
 */
export function forEachClaudeVersion(
  name: string,
  body: (version: ClaudeVersion) => Promise<void>,
  timeoutMs?: number,
): void {
  for (const version of SUPPORTED_CLAUDE_VERSIONS) {
    test(`${name} [Claude Code ${version}]`, () => body(version), timeoutMs);
  }
}
