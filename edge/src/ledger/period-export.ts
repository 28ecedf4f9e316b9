import {
  type AuditExport,
  buildAuditExport,
  compactRangeNodes,
  type JournalEntry,
  type KeyProtection,
  parseSessionCertificate,
  type SessionCertificate,
} from '@ceros/protocol';
import { EdgeError } from '../errors.ts';
import type { EdgeStore } from '../store/store.ts';
import type { TransparencyLog } from './transparency-log.ts';

/**
 * The audit export of one period of an organization's log (docs/spec/export.md): what
 * `verifyExport` and `ceros verify` check offline.
 *
 * The period is cut at leaf boundaries by when the edge appended each leaf, not by the time each
 * entry claims: device clocks are neither trusted nor monotonic, and an entry uploaded late
 * belongs to the period the log accepted it in (verifyExport reports the entries' own first and
 * last times). Both ends need a checkpoint of exactly that size; one the log never signed is
 * signed now (its root is fixed by the immutable nodes, so it cannot contradict another), and an
 * end at the head of the log is sent to the witnesses first, so it carries their cosignatures.
 */
export interface PeriodExportInput {
  readonly store: EdgeStore;
  readonly tlog: TransparencyLog;
  readonly orgId: string;
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
}

const PAGE = 5000;
const PROTECTIONS: readonly string[] = ['tpm', 'secure-enclave', 'platform-crypto', 'software'];

export async function exportPeriod(input: PeriodExportInput): Promise<AuditExport> {
  const { store, tlog, orgId, fromMs, toMs } = input;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs)
    throw new EdgeError('INVALID_INPUT', 'Cannot export the period: "from" must not be after "to"');
  const fromIndex = await tlog.leafIndexAt(orgId, fromMs);
  const toIndex = await tlog.leafIndexAt(orgId, toMs);
  const start = await tlog.checkpointAt(orgId, fromIndex);
  let end = await tlog.checkpointAt(orgId, toIndex);
  if (tlog.witnesses.length > 0 && (await store.getCheckpoint(orgId))?.size === end.size) {
    await tlog.witness(orgId);
    end = (await store.getCheckpoint(orgId, end.size)) ?? end;
  }

  const prefix = await tlog.nodeReader(orgId).readNodes(compactRangeNodes(fromIndex));
  const entries: JournalEntry[] = [];
  for (let at = fromIndex; at < toIndex; at += PAGE)
    for (const bytes of await store.logEntries(orgId, at, Math.min(toIndex, at + PAGE)))
      entries.push(JSON.parse(bytes) as JournalEntry);

  const sessionsByDevice = new Map<string, Set<string>>();
  for (const entry of entries) {
    const sessions = sessionsByDevice.get(entry.device) ?? new Set<string>();
    sessions.add(entry.session);
    sessionsByDevice.set(entry.device, sessions);
  }
  const devices: { id: string; spki: string; protection: KeyProtection }[] = [];
  const certificates: SessionCertificate[] = [];
  for (const [deviceId, sessions] of sessionsByDevice) {
    const device = await store.getDevice(orgId, deviceId);
    if (!device) throw new EdgeError('INTERNAL', `Cannot export: device "${deviceId}" is not registered`);
    devices.push({
      id: device.id,
      spki: device.publicKey,
      // The registration's claim; an unknown label is exported as the weakest one.
      protection: (PROTECTIONS.includes(device.keyProtection)
        ? device.keyProtection
        : 'software') as KeyProtection,
    });
    // Certificates come from the sessions' session.key entries, which may precede the period.
    for (const bytes of await store.sessionKeyEntries(orgId, deviceId, [...sessions])) {
      const entry = JSON.parse(bytes) as { payload?: { certificate?: unknown } };
      const cert = parseSessionCertificate(entry.payload?.certificate);
      if (cert.ok) certificates.push(cert.value);
    }
  }

  return buildAuditExport({
    origin: (await tlog.logKey(orgId)).origin,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    startCheckpoint: start.note,
    endCheckpoint: end.note,
    prefix,
    entries,
    devices,
    certificates,
  });
}
