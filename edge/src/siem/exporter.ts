import { randomUUID } from 'node:crypto';
import { type OcsfOptions, toOcsf } from './ocsf.ts';
import type { DeliveryCommit, SiemStore, SinkRow } from './siem-store.ts';
import type { SinkConfig } from './sink-config.ts';
import { createHecSender } from './sinks/hec.ts';
import { createOtlpSender } from './sinks/otlp.ts';
import type { OutboundEvent, Sender } from './sinks/sender.ts';
import { createSyslogSender } from './sinks/syslog.ts';

/**
 * The delivery loop: in the edge process, beside the API, never in a request. Every `pollMs` it
 * looks at each sink; a sink whose back-off has run out takes its lease, reads a batch of entries
 * above its cursors, maps them to OCSF, sends them, and moves its cursors only after the receiver
 * took them. Ingest only writes entries; this loop reads them later, so a slow or dead receiver
 * never holds up an upload.
 *
 * Failures: a receiver that is down, busy or refuses our credentials gets the same batch again
 * after 2^failures * backoffBaseMs (capped at backoffMaxMs, with jitter), forever; nothing is
 * dropped. A batch refused as bad data is sent again event by event, and an event refused on its
 * own is a dead letter: counted, recorded with the receiver's words, and skipped.
 */
export interface ExporterOptions {
  store: SiemStore;
  now?: () => number;
  log?: (line: string) => void;
  /** Entries per batch (default 500). */
  batchSize?: number;
  pollMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  productVersion: string;
  /** Builds a sink's sender; tests may wrap the real ones. */
  senderFor?: (config: SinkConfig) => Sender;
}

export interface SiemExporter {
  start(): void;
  stop(): Promise<void>;
  /** One pass over every sink now, resolving when it is done (tests, and after a change of sinks). */
  runOnce(): Promise<void>;
}

export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_MAX_MS = 5 * 60_000;
const LEASE_MS = 60_000;

export function senderFor(config: SinkConfig, now: () => number = Date.now): Sender {
  switch (config.kind) {
    case 'hec':
      return createHecSender(config);
    case 'syslog':
      return createSyslogSender(config);
    case 'otlp':
      return createOtlpSender(config, now);
  }
}

/** Exponential back-off with ±20% jitter, so many edges do not retry in step. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export function createSiemExporter(options: ExporterOptions): SiemExporter {
  const store = options.store;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const baseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const maxMs = options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const makeSender = options.senderFor ?? ((config: SinkConfig) => senderFor(config, now));
  const owner = `edge-${randomUUID()}`;
  const senders = new Map<string, { json: string; sender: Sender }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = true;

  const senderOf = (sink: SinkRow): Sender => {
    const json = JSON.stringify(sink.config);
    const known = senders.get(sink.id);
    if (known && known.json === json) return known.sender;
    const sender = makeSender(sink.config);
    senders.set(sink.id, { json, sender });
    return sender;
  };

  async function deliverSink(sink: SinkRow): Promise<void> {
    if (sink.nextAttemptMs > now()) return;
    if (!(await store.leaseSink(sink.id, owner, now(), now() + LEASE_MS))) return;
    const sender = senderOf(sink);
    const ocsf: OcsfOptions = { detail: sink.config.detail, productVersion: options.productVersion };
    let failures = sink.failures;
    // Drain: batch after batch while full ones come back, within one lease.
    for (let round = 0; round < 100; round++) {
      const records = await store.pendingEntries(sink, batchSize);
      if (records.length === 0) return;
      const batch: OutboundEvent[] = records.map((record) => ({ record, event: toOcsf(record, ocsf) }));
      const outcome = await sendWithSplit(sender, batch);
      if (outcome.kind === 'retry') {
        failures++;
        const delay = backoffDelay(failures, baseMs, maxMs);
        await store.recordFailure(sink.id, outcome.error, failures, now() + delay, now());
        log(
          `siem: sink "${sink.name}" failed (${failures} in a row), next try in ${delay} ms: ${outcome.error}`,
        );
        return;
      }
      const cursors = new Map<string, number>();
      for (const { record } of batch)
        cursors.set(record.deviceId, Math.max(cursors.get(record.deviceId) ?? -1, record.seq));
      if (outcome.unnamed > 0)
        log(`siem: sink "${sink.name}": ${outcome.unnamedError ?? 'records rejected'}`);
      const commit: DeliveryCommit = {
        delivered: batch.length - outcome.deadLetters.length - outcome.unnamed,
        unnamedDeadLetters: outcome.unnamed,
        cursors: [...cursors].map(([deviceId, seq]) => ({ deviceId, seq })),
        deadLetters: outcome.deadLetters.map(({ index, error }) => {
          const record = (batch[index] as OutboundEvent).record;
          return { deviceId: record.deviceId, seq: record.seq, error };
        }),
      };
      if (!(await store.commitDelivery(sink.id, owner, commit, now()))) {
        log(
          `siem: sink "${sink.name}" changed hands during a delivery; its next owner sends from the cursor`,
        );
        return;
      }
      if (failures > 0) log(`siem: sink "${sink.name}" delivers again`);
      failures = 0;
      if (records.length < batchSize) return;
      await store.leaseSink(sink.id, owner, now(), now() + LEASE_MS);
    }
  }

  async function pass(): Promise<void> {
    const sinks = await store.allSinks();
    for (const id of senders.keys()) if (!sinks.some((s) => s.id === id)) senders.delete(id);
    await Promise.all(
      sinks.map((sink) =>
        deliverSink(sink).catch((error: unknown) => {
          log(`siem: sink "${sink.name}": ${(error as Error).stack ?? String(error)}`);
        }),
      ),
    );
  }

  const runOnce = (): Promise<void> => {
    // One pass at a time; a caller during a pass waits for it and then for a fresh one.
    const next = chain.then(pass).catch((error: unknown) => log(`siem: ${(error as Error).message}`));
    chain = next;
    return next;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, pollMs);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
    },
    runOnce,
  };
}

type BatchOutcome =
  | {
      kind: 'ok';
      deadLetters: { index: number; error: string }[];
      /** Refused without saying which (OTLP partial success): counted, not recorded per entry. */
      unnamed: number;
      unnamedError?: string;
    }
  | { kind: 'retry'; error: string };

/** Sends a batch; a batch refused as bad data goes again event by event to find the bad ones. */
async function sendWithSplit(sender: Sender, batch: readonly OutboundEvent[]): Promise<BatchOutcome> {
  const result = await sender.send(batch);
  if (result.kind === 'retry') return result;
  if (result.kind === 'ok') {
    return {
      kind: 'ok',
      deadLetters: [...(result.rejected ?? [])],
      unnamed: result.rejectedCount ?? 0,
      ...(result.rejectedError ? { unnamedError: result.rejectedError } : {}),
    };
  }
  if (batch.length === 1) return { kind: 'ok', deadLetters: [{ index: 0, error: result.error }], unnamed: 0 };
  const deadLetters: { index: number; error: string }[] = [];
  let unnamed = 0;
  for (const [index, item] of batch.entries()) {
    const one = await sendWithSplit(sender, [item]);
    if (one.kind === 'retry') return one;
    if (one.deadLetters.length > 0)
      deadLetters.push({ index, error: one.deadLetters[0]?.error ?? result.error });
    unnamed += one.unnamed;
  }
  return { kind: 'ok', deadLetters, unnamed };
}
