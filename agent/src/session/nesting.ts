import { basename } from 'node:path';
import type { ProcessReader } from '../ancestry/index.ts';

/**
 * Whether this ceros runs inside another agent session's tool call (a Bash command of a running
 * Claude Code): the markers Claude Code and ceros put in their tools' environment, and, since a
 * tool can unset those, the processes above this one. Journaled in session.start; the policy's
 * `session.nestedSessions: deny` refuses such a session.
 */
export interface Nesting {
  nested: boolean;
  /** Environment markers found (values of session ids, not secrets). */
  markers: Record<string, string>;
  /** Agent processes above this one, nearest first. */
  agents: AncestorProcess[];
}

export interface AncestorProcess {
  pid: number;
  name: string;
  exe: string | null;
  argv0: string | null;
}

/** Variables set in the environment of every tool a Claude Code or ceros session runs. */
const MARKERS = ['CEROS_SESSION', 'CLAUDE_CODE_SESSION_ID', 'CLAUDECODE', 'CLAUDE_PID'] as const;

export function detectNesting(
  env: Readonly<Record<string, string | undefined>>,
  ancestors: readonly AncestorProcess[],
): Nesting {
  const markers: Record<string, string> = {};
  for (const name of MARKERS) {
    const value = env[name];
    if (value) markers[name] = value;
  }
  const agents = ancestors.filter(isAgentProcess);
  return { nested: Object.keys(markers).length > 0 || agents.length > 0, markers, agents };
}

/** A Claude Code process: its executable or argv[0] is Claude Code's (npm, native installer, alias). */
export function isAgentProcess(process: AncestorProcess): boolean {
  const names = [
    process.name,
    process.exe ? basename(process.exe) : '',
    process.argv0 ? basename(process.argv0) : '',
  ];
  if (names.some((name) => /^claude(?:\.exe)?$/.test(name))) return true;
  return (
    process.exe !== null &&
    /\/@anthropic-ai\/claude-code|\/claude-code-[a-z0-9-]+\/claude$|\/claude\/versions\//.test(process.exe)
  );
}

/** The processes above `pid`, nearest first, without hashing anything (cheap enough for every start). */
export function readAncestors(reader: ProcessReader, pid: number, maxDepth = 64): AncestorProcess[] {
  const out: AncestorProcess[] = [];
  let current = reader.read(pid);
  for (let depth = 0; depth < maxDepth && current.found; depth++) {
    const parent = current.process.ppid;
    if (parent === null || parent <= 0 || parent === current.process.pid) break;
    const next = reader.read(parent);
    if (!next.found) break;
    out.push({
      pid: next.process.pid,
      name: next.process.name,
      exe: next.process.exe,
      argv0: next.process.argv?.[0] ?? null,
    });
    current = next;
  }
  return out;
}
