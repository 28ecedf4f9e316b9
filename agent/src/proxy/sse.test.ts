import { describe, expect, test } from 'bun:test';
import { createSseAssembler } from './sse.ts';

const stream = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"comm"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"and\\":\\"ls\\"}"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

describe('createSseAssembler()', () => {
  test('rebuilds text and tool_use input split across deltas and across chunk boundaries', () => {
    const joined = stream.join('');
    for (const size of [1, 7, 64, joined.length]) {
      const assembler = createSseAssembler();
      for (let i = 0; i < joined.length; i += size) assembler.push(joined.slice(i, i + size));
      expect(assembler.stopped).toBe(true);
      const message = assembler.finish();
      expect(message).toMatchObject({
        id: 'msg_1',
        stopReason: 'tool_use',
        usage: { input_tokens: 3, output_tokens: 9 },
      });
      expect(message.content).toEqual([
        { type: 'text', text: 'Hello' },
        { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
      ]);
    }
  });

  test('keeps a tool input that is not JSON as text instead of failing', () => {
    const assembler = createSseAssembler();
    assembler.push(stream[4] as string);
    assembler.push(
      'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{broken"}}\n\n',
    );
    assembler.push(stream[7] as string);
    expect(assembler.finish().content[0]).toMatchObject({ input: { _unparsed: '{broken' } });
  });
});
