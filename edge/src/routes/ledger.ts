import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { deviceAuth } from '../auth/device-auth.ts';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { parseQuery, timeParam } from '../http.ts';
import { exportPeriod } from '../ledger/period-export.ts';
import type { TransparencyLog } from '../ledger/transparency-log.ts';

/** The answer to GET /v1/agent/checkpoint with `accept: application/json`. */
export interface CheckpointResponse {
  origin: string;
  /** The log's C2SP verifier key: devices pin it on first use. */
  logKey: string;
  size: number;
  /** The signed checkpoint note, cosignatures included. */
  checkpoint: string;
}

const size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * The transparency log's endpoints: for devices (device-authenticated, their own organization's
 * log) the latest checkpoint and the proofs that tie entries and checkpoints together; for admins
 * and auditors the log key and the audit export.
 */
export function ledgerRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  const agent = deviceAuth(ctx, { maxBodyBytes: 0 });
  const tlogOf = (): TransparencyLog => {
    if (!ctx.tlog)
      throw new EdgeError('NOT_FOUND', 'Cannot serve the log: this edge keeps no transparency log');
    return ctx.tlog;
  };

  /** The latest signed checkpoint: a C2SP note as text/plain, or JSON with the log key. */
  app.get('/v1/agent/checkpoint', agent, async (c) => {
    const tlog = tlogOf();
    const orgId = c.get('device').orgId;
    const [checkpoint, key] = await Promise.all([tlog.latestCheckpoint(orgId), tlog.logKey(orgId)]);
    if (!wantsJson(c)) return c.body(checkpoint.note, 200, { 'content-type': 'text/plain; charset=utf-8' });
    const body: CheckpointResponse = {
      origin: key.origin,
      logKey: key.verifierKey,
      size: checkpoint.size,
      checkpoint: checkpoint.note,
    };
    return c.json(body);
  });

  app.get('/v1/agent/consistency', agent, async (c) => {
    const q = parseQuery(c, z.strictObject({ from: size, to: size.optional() }));
    return c.json(await tlogOf().consistencyProof(c.get('device').orgId, q.from, q.to));
  });

  app.get('/v1/agent/inclusion', agent, async (c) => {
    const q = parseQuery(c, z.strictObject({ device: z.string().min(1).max(128), seq: size }));
    return c.json(await tlogOf().inclusionProof(c.get('device').orgId, q.device, q.seq));
  });

  app.get('/v1/admin/log-key', async (c) => c.json(await tlogOf().logKey(c.get('admin').orgId)));

  /** For the console, which checks it in the browser against the log key. */
  app.get('/v1/admin/log/inclusion', async (c) => {
    const q = parseQuery(c, z.strictObject({ device: z.string().min(1).max(128), seq: size }));
    return c.json(await tlogOf().inclusionProof(c.get('admin').orgId, q.device, q.seq));
  });

  app.get('/v1/admin/export', async (c) => {
    const q = parseQuery(c, z.strictObject({ from: timeParam, to: timeParam }));
    const admin = c.get('admin');
    const doc = await exportPeriod({
      store: ctx.store,
      tlog: tlogOf(),
      orgId: admin.orgId,
      fromMs: q.from,
      toMs: q.to,
    });
    await ctx.store.recordActivity(admin.orgId, {
      timeMs: ctx.now(),
      actor: `admin:${admin.email}`,
      action: 'ledger.exported',
      target: `${doc.period.from}..${doc.period.to}`,
      details: JSON.stringify({
        fromIndex: doc.period.fromIndex,
        toIndex: doc.period.toIndex,
        entries: doc.entries.length,
      }),
    });
    const name = `ceros-audit-${doc.period.from.slice(0, 10)}-${doc.period.to.slice(0, 10)}.json`;
    return c.json(doc, 200, { 'content-disposition': `attachment; filename="${name}"` });
  });

  return app;
}

function wantsJson(c: Context<EdgeEnv>): boolean {
  return /\bapplication\/json\b/i.test(c.req.header('accept') ?? '');
}
