import { analyzeShell } from '../analyze.ts';
import type { PathFact, ShellAnalysis } from '../facts.ts';
import { createShellParser, type ShellParser } from '../parser.ts';

/**
 * Shared by the family table tests: analyses a command in `/home/u/p` (home `/home/u`) and
 * renders the facts as short strings, so a table row reads like what the program does.
 */
let parser: Promise<ShellParser> | undefined;

export async function analyzer(): Promise<(command: string) => ShellAnalysis> {
  parser ??= createShellParser();
  const shell = await parser;
  return (command) => analyzeShell(shell, command, { cwd: '/home/u/p', home: '/home/u' });
}

/** `read /home/u/p/x`, `write+r /home/u/p/dist`, `read glob /home/u/p/*.ts`, `any unknown $X`. */
export function pathLine(fact: PathFact): string {
  const op = `${fact.op}${fact.recursive ? '+r' : ''}`;
  const target = fact.target;
  if (target.kind === 'path') return `${op} ${target.raw}`;
  if (target.kind === 'glob') return `${op} glob ${target.raw}${target.dot ? ' (dotfiles)' : ''}`;
  if (target.kind === 'search') return `${op} files named ${target.name} below ${target.root}`;
  return `${op} unknown ${target.text}`;
}

export function pathLines(analysis: ShellAnalysis): string[] {
  return analysis.paths.map(pathLine);
}

/** pathLine with how the access walks: `[follows links]`, `[no-follow]`, `[deletes]`, `[deny lists only]`. */
export function markedLines(analysis: ShellAnalysis): string[] {
  return analysis.paths.map((fact) => {
    const marks = [
      fact.followsLinks ? 'follows links' : '',
      fact.noFollow ? 'no-follow' : '',
      fact.deletes ? 'deletes' : '',
      fact.denyListsOnly ? 'deny lists only' : '',
      fact.protectionOnly ? 'protection only' : '',
    ].filter(Boolean);
    return marks.length > 0 ? `${pathLine(fact)} [${marks.join(', ')}]` : pathLine(fact);
  });
}

export function programNames(analysis: ShellAnalysis): string[] {
  return analysis.commands.map((command) => command.name);
}

export function hostNames(analysis: ShellAnalysis): (string | undefined)[] {
  return analysis.hosts.map((host) => host.host);
}

export function isOpaque(analysis: ShellAnalysis): boolean {
  return analysis.opaque.length > 0;
}
