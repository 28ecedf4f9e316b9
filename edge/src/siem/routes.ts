import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { iso, readJson } from '../http.ts';
import type { SinkStatus } from './siem-store.ts';
import { parseSinkInput, sinkConfigSchema, sinkTarget, viewSinkConfig } from './sink-config.ts';
import { testSink } from './test-sink.ts';

/**
 * The console's SIEM section (Settings): list sinks with their delivery state, add one (sent a
 * test event first: a sink that cannot take one is refused with the receiver's answer), test,
 * remove. Writes need the admin role and the CSRF token (admin-auth.ts).
 */
export function sinkView(sink: SinkStatus) {
  return {
    id: sink.id,
    name: sink.name,
    kind: sink.config.kind,
    target: sinkTarget(sink.config),
    config: viewSinkConfig(sink.config),
    delivered: sink.delivered,
    deadLetters: sink.deadLetters,
    pending: sink.pending,
    failures: sink.failures,
    // The last error stands only while failures go on; a delivery since clears it.
    lastError: sink.failures > 0 ? sink.lastError : null,
    lastErrorAt: sink.failures > 0 ? iso(sink.lastErrorMs) : null,
    nextAttemptAt: sink.failures > 0 ? iso(sink.nextAttemptMs) : null,
    lastDeliveryAt: iso(sink.lastDeliveryMs),
    createdAt: iso(sink.createdMs),
  };
}
export type SinkView = ReturnType<typeof sinkView>;

const addBody = z.looseObject({ skipTest: z.boolean().optional() });

export function siemRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.get('/v1/admin/siem/sinks', async (c) => {
    const sinks = await ctx.store.listSinks(c.get('admin').orgId);
    return c.json({ sinks: sinks.map(sinkView) });
  });

  app.post('/v1/admin/siem/sinks', async (c) => {
    const admin = c.get('admin');
    const { skipTest, ...raw } = await readJson(c, addBody, ctx.settings);
    const parsed = parseSinkInput(raw);
    if (!parsed.ok)
      throw new EdgeError('INVALID_INPUT', `Cannot add the sink: ${parsed.issues.join('; ')}`, {
        issues: parsed.issues,
      });
    const { name, from, config } = parsed.value;
    if (await ctx.store.getSink(admin.orgId, name))
      throw new EdgeError('CONFLICT', `Cannot add the sink "${name}": a sink of that name exists`);
    if (skipTest !== true) {
      const tested = await testSink(config, admin.orgId, ctx.now());
      if (!tested.ok)
        throw new EdgeError('SIEM_TEST_FAILED', `Cannot add the sink "${name}": ${tested.error}`, {
          receiver: tested.error,
        });
    }
    const id = `sink_${randomUUID()}`;
    await ctx.store.addSink({ id, orgId: admin.orgId, name, config, from }, ctx.now());
    await ctx.store.recordActivity(admin.orgId, {
      timeMs: ctx.now(),
      actor: `admin:${admin.email}`,
      action: 'siem.sink_added',
      target: id,
      details: JSON.stringify({ name, kind: config.kind, target: sinkTarget(config), from }),
    });
    const sink = (await ctx.store.listSinks(admin.orgId)).find((s) => s.id === id);
    if (!sink) throw new EdgeError('INTERNAL', 'Cannot read the sink just added');
    return c.json(sinkView(sink), 201);
  });

  app.post('/v1/admin/siem/test', async (c) => {
    const body = await readJson(c, z.strictObject({ config: z.unknown() }), ctx.settings);
    const config = sinkConfigSchema.safeParse(body.config);
    if (!config.success)
      throw new EdgeError(
        'INVALID_INPUT',
        `Cannot test the sink: ${config.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return c.json(await testSink(config.data, c.get('admin').orgId, ctx.now()));
  });

  app.post('/v1/admin/siem/sinks/:id/test', async (c) => {
    const admin = c.get('admin');
    const sink = await ctx.store.getSink(admin.orgId, c.req.param('id'));
    if (!sink) throw new EdgeError('NOT_FOUND', `Cannot find the sink "${c.req.param('id')}"`);
    return c.json(await testSink(sink.config, admin.orgId, ctx.now()));
  });

  app.delete('/v1/admin/siem/sinks/:id', async (c) => {
    const admin = c.get('admin');
    const sink = await ctx.store.getSink(admin.orgId, c.req.param('id'));
    if (!sink || !(await ctx.store.removeSink(admin.orgId, sink.id)))
      throw new EdgeError('NOT_FOUND', `Cannot find the sink "${c.req.param('id')}"`);
    await ctx.store.recordActivity(admin.orgId, {
      timeMs: ctx.now(),
      actor: `admin:${admin.email}`,
      action: 'siem.sink_removed',
      target: sink.id,
      details: JSON.stringify({ name: sink.name }),
    });
    return c.json({ removed: true });
  });

  return app;
}
