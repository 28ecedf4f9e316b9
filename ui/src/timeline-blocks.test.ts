import { expect, test } from 'bun:test';
import type { TimelineItem } from './api.ts';
import { toBlocks } from './timeline-blocks.ts';

const at = (seq: number) => ({ seq, time: '2026-01-15T12:00:00.000Z' });
const call = (seq: number, agentId: string | null): TimelineItem => ({
  ...at(seq),
  kind: 'tool_call',
  toolUseId: `tu_${seq}`,
  toolName: 'Read',
  mcpServer: null,
  agentId,
  agentType: agentId ? 'Explore' : null,
  input: {},
  decision: null,
  result: null,
  modelResult: null,
  spawnedAgentId: null,
});
const assistant = (seq: number, agentId: string | null): TimelineItem => ({
  ...at(seq),
  kind: 'assistant',
  text: 'ok',
  thinking: null,
  toolCalls: [],
  stopReason: 'end_turn',
  model: null,
  agentId,
  error: null,
  usage: null,
});

test("toBlocks() puts a subagent's calls in its thread where it started, and the main thread around it", () => {
  const items: TimelineItem[] = [
    { ...at(1), kind: 'prompt', text: 'go' },
    { ...at(2), kind: 'subagent.start', agentId: 'a7', agentType: 'Explore', lastMessage: null },
    call(3, 'a7'),
    call(4, null),
    assistant(5, 'a7'),
    { ...at(6), kind: 'subagent.stop', agentId: 'a7', agentType: 'Explore', lastMessage: 'done' },
  ];
  const blocks = toBlocks(items);
  expect(blocks.map((b) => (b.kind === 'item' ? b.item.seq : `thread ${b.agentId}`))).toEqual([
    1,
    'thread a7',
    4,
  ]);
  const thread = blocks[1];
  expect(thread?.kind === 'thread' && thread.items.map((i) => i.seq)).toEqual([3, 5]);
  expect(thread?.kind === 'thread' && [thread.agentType, thread.start?.seq, thread.stop?.seq]).toEqual([
    'Explore',
    2,
    6,
  ]);
});

test('toBlocks() opens a thread for a subagent whose start is on an earlier page', () => {
  const blocks = toBlocks([call(40, 'a9'), call(41, null)]);
  expect(blocks[0]).toMatchObject({ kind: 'thread', agentId: 'a9', start: null });
  expect(blocks[1]).toMatchObject({ kind: 'item' });
});
