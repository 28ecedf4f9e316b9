/**
 * Rebuilds the assistant message from a Messages API event stream (the copy the proxy keeps; the
 * bytes Claude Code receives are never touched). Tolerant: an unknown event is skipped, a broken
 * tool input is kept as its raw text.
 */
export interface AssembledMessage {
  id: string | null;
  model: string | null;
  content: Record<string, unknown>[];
  stopReason: string | null;
  usage: Record<string, unknown> | null;
  error: unknown;
}

export function createSseAssembler(): {
  push(text: string): void;
  finish(): AssembledMessage;
  readonly stopped: boolean;
} {
  const message: AssembledMessage = {
    id: null,
    model: null,
    content: [],
    stopReason: null,
    usage: null,
    error: null,
  };
  const partialJson = new Map<number, string>();
  let buffer = '';
  let stopped = false;

  const handle = (eventText: string) => {
    let data = '';
    for (const line of eventText.split('\n')) {
      if (line.startsWith('data:')) data += line.slice(line.charAt(5) === ' ' ? 6 : 5);
    }
    if (data === '' || data === '[DONE]') return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    const index = typeof event.index === 'number' ? event.index : -1;
    switch (event.type) {
      case 'message_start': {
        const start = (event.message ?? {}) as Record<string, unknown>;
        message.id = typeof start.id === 'string' ? start.id : null;
        message.model = typeof start.model === 'string' ? start.model : null;
        message.usage = (start.usage as Record<string, unknown>) ?? null;
        break;
      }
      case 'content_block_start':
        if (index >= 0)
          message.content[index] = { ...((event.content_block ?? {}) as Record<string, unknown>) };
        break;
      case 'content_block_delta': {
        const block = message.content[index];
        const delta = (event.delta ?? {}) as Record<string, unknown>;
        if (!block) break;
        if (delta.type === 'text_delta') block.text = `${block.text ?? ''}${String(delta.text ?? '')}`;
        else if (delta.type === 'input_json_delta')
          partialJson.set(index, (partialJson.get(index) ?? '') + String(delta.partial_json ?? ''));
        else if (delta.type === 'thinking_delta')
          block.thinking = `${block.thinking ?? ''}${String(delta.thinking ?? '')}`;
        else if (delta.type === 'signature_delta') block.signature = String(delta.signature ?? '');
        break;
      }
      case 'content_block_stop': {
        const block = message.content[index];
        const json = partialJson.get(index);
        if (block && json !== undefined) {
          try {
            block.input = json === '' ? {} : JSON.parse(json);
          } catch {
            block.input = { _unparsed: json };
          }
        }
        break;
      }
      case 'message_delta': {
        const delta = (event.delta ?? {}) as Record<string, unknown>;
        if (typeof delta.stop_reason === 'string') message.stopReason = delta.stop_reason;
        if (event.usage)
          message.usage = { ...(message.usage ?? {}), ...(event.usage as Record<string, unknown>) };
        break;
      }
      case 'message_stop':
        stopped = true;
        break;
      case 'error':
        message.error = event.error ?? event;
        stopped = true;
        break;
    }
  };

  return {
    /** True once message_stop (or an error event) arrived: the message is complete. */
    get stopped() {
      return stopped;
    },
    push(text) {
      buffer += text.replace(/\r\n/g, '\n');
      let split = buffer.indexOf('\n\n');
      while (split !== -1) {
        handle(buffer.slice(0, split));
        buffer = buffer.slice(split + 2);
        split = buffer.indexOf('\n\n');
      }
    },
    finish() {
      if (buffer.trim() !== '') handle(buffer);
      buffer = '';
      message.content = message.content.filter((block) => block !== undefined);
      return message;
    },
  };
}
