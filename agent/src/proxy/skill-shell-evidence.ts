import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Evidence of inline shell that Claude Code did not run. With `disableSkillShellExecution` set,
 * a skill's or command's `` !`cmd` `` is replaced by this text before the model sees it
 * (checked on 2.1.197 and 2.1.337), and no hook fires: the request that carries the expansion is
 * where the attempt shows, so the proxy journals it.
 */
export const SKILL_SHELL_PLACEHOLDER = '[shell command execution disabled by policy]';

export interface SkillShellEvidence {
  /** The skill's folder (`Base directory for this skill: ...`), when the expansion names it. */
  skillDir: string | null;
  /** The slash command (`<command-name>/x</command-name>`), when it was one. */
  commandName: string | null;
  /** The inline commands the skill file holds (what would have run), when the file is readable. */
  commands: string[];
  /** The expanded text around the placeholder, as the model saw it. */
  excerpt: string;
}

const INLINE = /(?<=^|\s)!`([^`]+)`/gm;
const BLOCK = /```!\s*\n?([\s\S]*?)\n?```/g;

/** Inline shell commands in a skill or command file's text. */
export function inlineShellCommands(text: string): string[] {
  return [...text.matchAll(BLOCK), ...text.matchAll(INLINE)].map((match) => (match[1] ?? '').trim());
}

export function findSkillShellEvidence(
  messages: readonly unknown[],
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): SkillShellEvidence[] {
  const found: SkillShellEvidence[] = [];
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    const texts =
      typeof content === 'string'
        ? [content]
        : Array.isArray(content)
          ? content.flatMap((block) => textsOf(block))
          : [];
    const commandName = texts
      .map((text) => /<command-name>\/?([^<]+)<\/command-name>/.exec(text)?.[1])
      .find(Boolean);
    for (const text of texts) {
      const at = text.indexOf(SKILL_SHELL_PLACEHOLDER);
      if (at === -1) continue;
      const skillDir = /Base directory for this skill: ([^\n]+)/.exec(text)?.[1]?.trim() ?? null;
      let commands: string[] = [];
      if (skillDir) {
        try {
          commands = inlineShellCommands(readText(join(skillDir, 'SKILL.md')));
        } catch {
          commands = [];
        }
      }
      found.push({
        skillDir,
        commandName: commandName ?? null,
        commands,
        excerpt: text.slice(Math.max(0, at - 600), at + 600),
      });
    }
  }
  return found;
}

function textsOf(block: unknown): string[] {
  if (typeof block !== 'object' || block === null) return [];
  const record = block as { type?: unknown; text?: unknown; content?: unknown };
  if (typeof record.text === 'string') return [record.text];
  if (typeof record.content === 'string') return [record.content];
  if (Array.isArray(record.content)) return record.content.flatMap(textsOf);
  return [];
}
