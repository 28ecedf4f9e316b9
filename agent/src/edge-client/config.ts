import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../state/secure-fs.ts';

/**
 * `${CEROS_HOME}/config.json` (0600): what enrollment established. Its presence means "this device
 * is enrolled"; `ceros claude` starts enrollment when it is missing and install.json or
 * CEROS_EDGE_URL names an edge.
 */
export const edgeConfigSchema = z.strictObject({
  v: z.literal(1),
  edgeUrl: z.url(),
  org: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
  deviceId: z.string(),
  userEmail: z.string(),
  /** Raw Ed25519 key (base64url) that signs the org's policy bundles and managed MCP lists. */
  orgSigningKey: z.string(),
  /** The id bundles name that key by: TrustedKey { keyId: orgSigningKeyId, publicKey: orgSigningKey }. */
  orgSigningKeyId: z.string(),
  /** The keystore name of the device key. */
  keyName: z.string(),
  keyProtection: z.string(),
  enrolledAt: z.string(),
});
export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

/** Left by the edge's install.sh: which edge (and organization) to enroll with on first use. */
export const installHintSchema = z.object({ edgeUrl: z.url(), org: z.string().optional() });
export type InstallHint = z.infer<typeof installHintSchema>;

export const configPath = (home: string): string => join(home, 'config.json');
export const installHintPath = (home: string): string => join(home, 'install.json');
export const uploadCursorPath = (home: string): string => join(home, 'journal', 'upload-cursor.json');
export const journalPath = (home: string): string => join(home, 'journal', 'journal.jsonl');

export type ReadResult<T> = { ok: true; value: T | undefined } | { ok: false; error: string };

function readJsonFile<T>(path: string, schema: z.ZodType<T>): ReadResult<T> {
  if (!existsSync(path)) return { ok: true, value: undefined };
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return { ok: true, value: parsed.data };
    return {
      ok: false,
      error: `Cannot use "${path}": ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  } catch (error) {
    return { ok: false, error: `Cannot read "${path}": ${(error as Error).message}` };
  }
}

export function readEdgeConfig(home: string): ReadResult<EdgeConfig> {
  return readJsonFile(configPath(home), edgeConfigSchema);
}

export function writeEdgeConfig(home: string, config: EdgeConfig): void {
  writePrivateFile(configPath(home), `${JSON.stringify(config, null, 2)}\n`);
}

export function readInstallHint(home: string): ReadResult<InstallHint> {
  return readJsonFile(installHintPath(home), installHintSchema);
}
