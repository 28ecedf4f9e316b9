import type { TimelineItem } from './api.ts';

/** A session's timeline as the console shows it: items of the main thread, and subagent threads. */
export type Block =
  | { kind: 'item'; item: TimelineItem }
  | {
      kind: 'thread';
      agentId: string;
      agentType: string | null;
      start: TimelineItem | null;
      stop: TimelineItem | null;
      items: TimelineItem[];
    };

const agentOf = (item: TimelineItem): string | null =>
  item.kind === 'assistant' ||
  item.kind === 'tool_call' ||
  item.kind === 'subagent.start' ||
  item.kind === 'subagent.stop'
    ? item.agentId
    : null;

/**
 * Groups a subagent's turns and tool calls into its thread, placed where the subagent started;
 * the main thread's items stay in order around it.
 */
export function toBlocks(items: readonly TimelineItem[]): Block[] {
  const blocks: Block[] = [];
  const threads = new Map<string, Extract<Block, { kind: 'thread' }>>();
  const threadFor = (agentId: string, agentType: string | null) => {
    let thread = threads.get(agentId);
    if (!thread) {
      thread = { kind: 'thread', agentId, agentType, start: null, stop: null, items: [] };
      threads.set(agentId, thread);
      blocks.push(thread);
    }
    return thread;
  };
  for (const item of items) {
    if (item.kind === 'subagent.start' && item.agentId) {
      threadFor(item.agentId, item.agentType).start = item;
      continue;
    }
    if (item.kind === 'subagent.stop' && item.agentId) {
      const thread = threadFor(item.agentId, item.agentType);
      thread.stop = item;
      thread.agentType ??= item.agentType;
      continue;
    }
    const agentId = agentOf(item);
    if (agentId) threadFor(agentId, null).items.push(item);
    else blocks.push({ kind: 'item', item });
  }
  return blocks;
}
