import { canonicalJson, type DeviceStatusResponse, type JsonValue } from '@ceros/protocol';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { deviceAuth } from '../auth/device-auth.ts';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { iso, parseJsonBytes } from '../http.ts';
import { ingestBatch } from '../ingest/ingest.ts';
import { sharedSignaturePool } from '../ingest/signature-pool.ts';
import { etagOf, MANAGED_MCP_PREFIX, type ManagedMcpBody, signDocument } from '../policy/signed-document.ts';

const adoptionGapSchema = z.strictObject({
  claudeSessionId: z.string().min(1).max(128),
  cwd: z.string().max(4096).optional(),
  /** Whatever the managed hook knows (hook event, Claude Code version, parent process ...). */
  details: z.record(z.string(), z.unknown()).optional(),
});

export function agentRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  const small = deviceAuth(ctx, { maxBodyBytes: ctx.settings.maxJsonBytes });

  app.get('/v1/agent/status', deviceAuth(ctx, { maxBodyBytes: 0, allowInactive: true }), (c) => {
    const device = c.get('device');
    const reason =
      device.status === 'revoked'
        ? `Device "${device.id}" was revoked${device.revokedReason ? `: ${device.revokedReason}` : ''}`
        : device.userStatus === 'revoked'
          ? `User "${device.userEmail}" was revoked`
          : device.status === 'pending'
            ? `Device "${device.id}" awaits an admin's approval`
            : null;
    const body: DeviceStatusResponse = {
      deviceId: device.id,
      status: device.status,
      userEmail: device.userEmail,
      userStatus: device.userStatus,
      allowed: reason === null,
      reason,
      checkedAt: new Date(ctx.now()).toISOString(),
    };
    return c.json(body);
  });

  app.get('/v1/agent/ingest/head', small, (c) => {
    const device = c.get('device');
    return c.json({
      head: device.headSeq === null ? null : { seq: device.headSeq, hash: device.headHash },
    });
  });

  const ingestSchema = z.strictObject({
    entries: z.array(z.unknown()).max(ctx.settings.maxIngestEntries),
  });
  app.post('/v1/agent/ingest', deviceAuth(ctx, { maxBodyBytes: ctx.settings.maxIngestBytes }), async (c) => {
    assertJson(c);
    const body = parseJsonBytes(c.get('rawBody'), ingestSchema);
    return c.json(
      await ingestBatch(ctx, c.get('device'), body.entries, {
        verifySignatures: sharedSignaturePool().verify,
      }),
    );
  });

  app.get('/v1/agent/policy', small, async (c) => {
    const bundle = await ctx.store.latestBundle(c.get('device').orgId);
    if (!bundle) return c.json({ bundle: null }, 200, { 'cache-control': 'no-cache' });
    if (matchesEtag(c.req.header('if-none-match'), bundle.etag))
      return c.body(null, 304, { etag: bundle.etag, 'cache-control': 'no-cache' });
    return c.body(`{"bundle":${bundle.document}}`, 200, {
      'content-type': 'application/json',
      etag: bundle.etag,
      'cache-control': 'no-cache',
    });
  });

  app.get('/v1/agent/mcp-servers', small, async (c) => {
    const orgId = c.get('device').orgId;
    const servers = await ctx.store.listManagedMcp(orgId);
    const body: ManagedMcpBody = {
      v: 1,
      kind: 'managed-mcp',
      org: orgId,
      // Deterministic (latest change, not "now"), so an unchanged list has an unchanged ETag.
      issuedAt: iso(Math.max(0, ...servers.map((s) => s.updatedMs))) ?? '',
      servers: servers.map((s) => ({ name: s.name, ...s.config })),
    };
    const document = canonicalJson(
      signDocument(body, MANAGED_MCP_PREFIX, await ctx.store.orgSigningKey(orgId)) as unknown as JsonValue,
    );
    const etag = etagOf(document);
    if (matchesEtag(c.req.header('if-none-match'), etag))
      return c.body(null, 304, { etag, 'cache-control': 'no-cache' });
    return c.body(`{"managed":${document}}`, 200, {
      'content-type': 'application/json',
      etag,
      'cache-control': 'no-cache',
    });
  });

  app.post('/v1/agent/adoption-gaps', small, async (c) => {
    assertJson(c);
    const body = parseJsonBytes(c.get('rawBody'), adoptionGapSchema);
    const device = c.get('device');
    const now = ctx.now();
    const recorded = await ctx.store.recordAdoptionGap({
      orgId: device.orgId,
      deviceId: device.id,
      userId: device.userId,
      claudeSessionId: body.claudeSessionId,
      cwd: body.cwd ?? null,
      details: body.details ? JSON.stringify(body.details).slice(0, 8192) : null,
      nowMs: now,
    });
    if (recorded)
      await ctx.store.recordActivity(device.orgId, {
        timeMs: now,
        actor: `device:${device.id}`,
        action: 'adoption.gap',
        target: body.claudeSessionId,
        details: body.cwd ?? null,
      });
    return c.json({ recorded }, recorded ? 201 : 200);
  });

  return app;
}

function assertJson(c: Context<EdgeEnv>): void {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new EdgeError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Cannot accept content type "${type}": send application/json`,
    );
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
