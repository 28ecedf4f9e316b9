import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../state/secure-fs.ts';
import { type ConfigItem, itemKey } from './config-item.ts';

/**
 * The user's approvals of hooks and MCP servers (`ceros approve`), kept 0600 in CEROS_HOME, which
 * no tool may read or write (policy self-protection; the OS sandbox too): what a session planted
 * cannot approve itself. An item is approved when its key is here with the same hash.
 */
export interface Approvals {
  /** itemKey -> what was approved. */
  items: Record<string, ApprovedItem>;
}

export interface ApprovedItem {
  hash: string;
  approvedAt: string;
  summary: string;
}

const approvalsSchema = z.strictObject({
  version: z.literal(1),
  items: z.record(
    z.string(),
    z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/), approvedAt: z.string(), summary: z.string() }),
  ),
});

export const approvalsPath = (cerosHome: string): string => join(cerosHome, 'approvals.json');

export type ReadApprovalsResult = { ok: true; value: Approvals } | { ok: false; error: string };

/** No file is no approvals; a file that cannot be read or parsed is an error (never "all approved"). */
export function readApprovals(cerosHome: string): ReadApprovalsResult {
  const path = approvalsPath(cerosHome);
  if (!existsSync(path)) return { ok: true, value: { items: {} } };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, error: `Cannot read the approvals "${path}": ${(error as Error).message}` };
  }
  const parsed = approvalsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `Cannot use the approvals "${path}": ${issue ? `${issue.path.join('.') || '(file)'}: ${issue.message}` : 'malformed'}`,
    };
  }
  return { ok: true, value: { items: parsed.data.items } };
}

/** Records `items` as approved (their current hashes), keeping every other approval. */
export function writeApprovals(
  cerosHome: string,
  approvals: Approvals,
  items: readonly ConfigItem[],
  now: Date,
): Approvals {
  const next: Approvals = { items: { ...approvals.items } };
  for (const item of items)
    next.items[itemKey(item)] = { hash: item.hash, approvedAt: now.toISOString(), summary: item.summary };
  writePrivateFile(
    approvalsPath(cerosHome),
    `${JSON.stringify({ version: 1, items: next.items }, null, 2)}\n`,
  );
  return next;
}

export type ApprovalStatus = 'trusted' | 'approved' | 'new' | 'changed';

export function approvalStatus(item: ConfigItem, approvals: Approvals): ApprovalStatus {
  if (item.trusted) return 'trusted';
  const approved = approvals.items[itemKey(item)];
  if (!approved) return 'new';
  return approved.hash === item.hash ? 'approved' : 'changed';
}

/** Items that need the user's approval before they may load. */
export function pendingItems(
  items: readonly ConfigItem[],
  approvals: Approvals,
): (ConfigItem & { status: 'new' | 'changed' })[] {
  const out: (ConfigItem & { status: 'new' | 'changed' })[] = [];
  for (const item of items) {
    const status = approvalStatus(item, approvals);
    if (status === 'new' || status === 'changed') out.push({ ...item, status });
  }
  return out;
}
