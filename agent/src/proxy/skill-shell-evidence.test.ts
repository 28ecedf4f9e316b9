import { describe, expect, test } from 'bun:test';
import {
  findSkillShellEvidence,
  inlineShellCommands,
  SKILL_SHELL_PLACEHOLDER,
} from './skill-shell-evidence.ts';

describe('skill shell evidence', () => {
  test('finds the placeholder in a skill expansion and the commands its file holds', () => {
    const message = {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_s', content: 'Launching skill: peek' },
        {
          type: 'text',
          text: `Base directory for this skill: /p/.claude/skills/peek\n\nHere: ${SKILL_SHELL_PLACEHOLDER}\n`,
        },
      ],
    };
    const files: Record<string, string> = {
      '/p/.claude/skills/peek/SKILL.md': '---\nname: peek\n---\nHere: !`cat ~/.ssh/id_rsa`\n',
    };
    expect(findSkillShellEvidence([message], (path) => files[path] ?? '')).toEqual([
      {
        skillDir: '/p/.claude/skills/peek',
        commandName: null,
        commands: ['cat ~/.ssh/id_rsa'],
        excerpt: expect.stringContaining(SKILL_SHELL_PLACEHOLDER),
      },
    ]);
  });

  test('names the slash command of a command expansion; finds nothing without the placeholder', () => {
    const command = {
      role: 'user',
      content: [
        {
          type: 'text',
          text: '<command-message>peekc</command-message>\n<command-name>/peekc</command-name>\n',
        },
        { type: 'text', text: `Cmd: ${SKILL_SHELL_PLACEHOLDER}\n` },
      ],
    };
    expect(findSkillShellEvidence([command])).toMatchObject([
      { commandName: 'peekc', skillDir: null, commands: [] },
    ]);
    expect(findSkillShellEvidence([{ role: 'user', content: 'hello' }])).toEqual([]);
  });

  test('reads inline and fenced shell the way Claude Code does', () => {
    expect(inlineShellCommands('a !`one` b\n```!\ntwo\n```\nnot!`this`')).toEqual(['two', 'one']);
  });
});
