import type { UploaderEvent } from './uploader.ts';

/**
 * Says on stderr, and journals as an alert, that the edge refused this device's entries for good
 * (issue 14.2: the uploader used to retry a rewound journal quietly while `ceros log receipts`
 * said "Pending: none"). Other events are the uploader's own business.
 */
export function reportSyncEvent(
  event: UploaderEvent,
  record: { append(type: string, payload: unknown): unknown },
  progress: (line: string) => void,
): void {
  if (event.kind !== 'stuck') return;
  const { state } = event;
  const message = state.chain
    ? `Sync to the edge stopped: the edge refused this device's journal at seq ${state.seq} (${state.code}: ${state.message})${state.edgeHead ? `; it holds up to seq ${state.edgeHead.seq}` : ''}. The journal was rewound or replaced after it synced; the next \`ceros claude\` starts a new chain epoch on the edge's head (docs/recovery.md)`
    : `Sync to the edge stopped: the edge refused entries from seq ${state.seq} (${state.code}: ${state.message}); \`ceros log receipts\` shows the state`;
  progress(`ceros: ${message}`);
  try {
    record.append('alert', { kind: 'sync-refused', message, evidence: state });
  } catch {
    // The journal closed, or is full: the line above told the user.
  }
}
