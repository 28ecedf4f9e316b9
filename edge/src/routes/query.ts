import type { JsonValue } from '@ceros/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { encodeCursor, iso, jsonOrText, pageParams, pageQuery, parseQuery, timeParam } from '../http.ts';
import { failedProbes } from '../ingest/posture.ts';
import { integrityAlertView } from '../query/integrity-view.ts';
import {
  parseRows,
  subagentSpans,
  TIMELINE_TYPES,
  timelineRefs,
  toolCallView,
  toTimeline,
} from '../query/timeline.ts';
import type { ConversationRow, Device, DeviceStatus, PostureRow, SeenOnDevice } from '../store/store.ts';

const DAY_MS = 86_400_000;
/** Subagents a conversation view attributes turns to; later ones show in the main thread. */
const MAX_SUBAGENTS = 500;
const email = z.string().trim().toLowerCase().max(254);
const id = z.string().min(1).max(128);

/**
 * The console's read API. Every list is keyset-paginated (`nextCursor` is opaque; pass it back as
 * `cursor`), every query parameter is validated (unknown ones are refused), and every query is
 * scoped to the signed-in admin's organization. Auditors may use all of it.
 */
export function queryRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  /** Maps a `user` email filter to the org's user id; `null` when no such user (an empty result). */
  const userFilter = async (
    orgId: string,
    address: string | undefined,
  ): Promise<string | null | undefined> => {
    if (address === undefined) return undefined;
    return (await ctx.store.getUserByEmail(orgId, address))?.id ?? null;
  };

  app.get('/v1/admin/dashboard', async (c) => {
    const q = parseQuery(c, z.strictObject({ from: timeParam.optional(), to: timeParam.optional() }));
    const now = ctx.now();
    const to = q.to ?? now + 1;
    const from = q.from ?? to - 7 * DAY_MS;
    const orgId = c.get('admin').orgId;
    const [counts, integrity] = await Promise.all([
      ctx.store.dashboard(orgId, from, to, now - ctx.settings.activeWindowMs),
      ctx.store.integrityAlertCounts(orgId, from, to),
    ]);
    return c.json({
      from: iso(from),
      to: iso(to),
      ...counts,
      /** Alerts about journals' integrity (rewound, refused, repaired), and the devices that raised them. */
      integrityAlerts: integrity.alerts,
      devicesWithIntegrityAlerts: integrity.devices,
      /** Users provisioned by an admin who have no enrolled device yet. */
      notYetEnrolled: Math.max(0, counts.provisionedUsers - counts.enrolledUsers),
    });
  });

  const conversationQuery = z.strictObject({
    user: email.optional(),
    device: id.optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
    ...pageParams,
  });
  app.get('/v1/admin/conversations', async (c) => {
    const q = parseQuery(c, conversationQuery);
    const orgId = c.get('admin').orgId;
    const userId = await userFilter(orgId, q.user);
    if (userId === null) return c.json({ items: [], nextCursor: null });
    const result = await ctx.store.listConversations(
      orgId,
      {
        ...(userId !== undefined ? { userId } : {}),
        ...(q.device !== undefined ? { deviceId: q.device } : {}),
        ...(q.from !== undefined ? { fromMs: q.from } : {}),
        ...(q.to !== undefined ? { toMs: q.to } : {}),
      },
      q.cursor ?? null,
      q.limit,
    );
    return c.json({ items: result.items.map(conversationResponse), nextCursor: encodeCursor(result.next) });
  });

  const timelineQuery = z.strictObject({
    after: z.coerce.number().int().min(-1).default(-1),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  });
  app.get('/v1/admin/conversations/:device/:session', async (c) => {
    const q = parseQuery(c, timelineQuery);
    const orgId = c.get('admin').orgId;
    const deviceId = c.req.param('device');
    const sessionId = c.req.param('session');
    const conversation = await ctx.store.getConversation(orgId, deviceId, sessionId);
    if (!conversation)
      throw new EdgeError('NOT_FOUND', `Cannot find session "${sessionId}" of device "${deviceId}"`);
    const rows = await ctx.store.listSessionEntries(
      orgId,
      deviceId,
      sessionId,
      TIMELINE_TYPES,
      q.after,
      q.limit,
    );
    const parsed = parseRows(rows);
    const refs = timelineRefs(parsed);
    const [calls, turns, subagentRows] = await Promise.all([
      ctx.store.toolCallsById(orgId, deviceId, sessionId, refs.toolUseIds),
      ctx.store.apiTurns(orgId, deviceId, sessionId, refs.requestNos),
      conversation.subagents > 0
        ? ctx.store.listSessionEntries(
            orgId,
            deviceId,
            sessionId,
            ['subagent.start', 'subagent.stop'],
            -1,
            2 * MAX_SUBAGENTS,
          )
        : Promise.resolve([]),
    ]);
    const items = toTimeline(parsed, {
      calls: new Map(calls.map((call) => [call.toolUseId, call])),
      turns: new Map(turns.map((turn) => [turn.requestNo, turn])),
      spans: subagentSpans(parseRows(subagentRows)),
    });
    const last = rows.at(-1);
    return c.json({
      conversation: conversationResponse(conversation),
      items,
      nextAfter: rows.length === q.limit && last ? last.seq : null,
    });
  });

  const toolCallQuery = z.strictObject({
    tool: z.string().min(1).max(256).optional(),
    decision: z.string().min(1).max(32).optional(),
    user: email.optional(),
    device: id.optional(),
    session: id.optional(),
    // The trigram index needs three characters; shorter searches would scan every call. SQLite
    // ends an FTS5 query string at a NUL ("unterminated string"), so none may be in it.
    q: z
      .string()
      .trim()
      .min(3, 'must be at least 3 characters')
      .max(256)
      .refine((text) => !text.includes('\u0000'), 'must not contain a NUL character (%00)')
      .optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
    ...pageParams,
  });
  app.get('/v1/admin/tool-calls', async (c) => {
    const q = parseQuery(c, toolCallQuery);
    const orgId = c.get('admin').orgId;
    const userId = await userFilter(orgId, q.user);
    if (userId === null) return c.json({ items: [], nextCursor: null });
    const result = await ctx.store.listToolCalls(
      orgId,
      {
        ...(q.tool !== undefined ? { toolName: q.tool } : {}),
        ...(q.decision !== undefined ? { effect: q.decision } : {}),
        ...(userId !== undefined ? { userId } : {}),
        ...(q.device !== undefined ? { deviceId: q.device } : {}),
        ...(q.session !== undefined ? { sessionId: q.session } : {}),
        ...(q.q !== undefined ? { text: q.q } : {}),
        ...(q.from !== undefined ? { fromMs: q.from } : {}),
        ...(q.to !== undefined ? { toMs: q.to } : {}),
      },
      q.cursor ?? null,
      q.limit,
    );
    return c.json({
      items: result.items.map((t) => ({
        deviceId: t.deviceId,
        sessionId: t.sessionId,
        user: t.userEmail,
        time: iso(t.timeMs),
        ...toolCallView(t),
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  const definitionQuery = z.strictObject({
    name: z.string().min(1).max(256).optional(),
    server: z.string().min(1).max(256).optional(),
    ...pageParams,
  });
  app.get('/v1/admin/tool-definitions', async (c) => {
    const q = parseQuery(c, definitionQuery);
    const result = await ctx.store.listToolDefinitions(
      c.get('admin').orgId,
      {
        ...(q.name !== undefined ? { name: q.name } : {}),
        ...(q.server !== undefined ? { mcpServer: q.server } : {}),
      },
      q.cursor ?? null,
      q.limit,
    );
    return c.json({
      items: result.items.map((d) => ({
        name: d.name,
        hash: d.hash,
        mcpServer: d.mcpServer,
        description: d.description,
        inputSchema: jsonOrText(d.inputSchema),
        firstSeen: iso(d.firstSeenMs),
        lastSeen: iso(d.lastSeenMs),
        devices: d.deviceCount,
        versions: d.versions,
        schemaVersions: d.schemaVersions,
        schemaChanged: d.schemaVersions > 1,
        definitionChanged: d.versions > 1,
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  app.get('/v1/admin/tool-definitions/:hash/devices', async (c) => {
    const hash = c.req.param('hash');
    if (!/^[A-Za-z0-9_=+-]{1,128}$/.test(hash))
      throw new EdgeError('INVALID_INPUT', `Cannot look up tool schema "${hash}": not a hash`);
    const devices = await ctx.store.toolDefinitionDevices(c.get('admin').orgId, hash);
    return c.json({ items: devices.map(seenResponse) });
  });

  app.get('/v1/admin/mcp-servers', async (c) => {
    const q = parseQuery(c, pageQuery);
    const result = await ctx.store.listMcpServers(c.get('admin').orgId, q.cursor ?? null, q.limit);
    return c.json({
      items: result.items.map((m) => ({
        name: m.name,
        identity: m.identity,
        status: m.status,
        approval: m.managed ? 'managed' : m.status === 'blocked' ? 'blocked' : 'unmanaged',
        firstSeen: iso(m.firstSeenMs),
        lastSeen: iso(m.lastSeenMs),
        devices: m.deviceCount,
        blockedAttempts: m.blockedAttempts,
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  app.get('/v1/admin/mcp-servers/:name/devices', async (c) => {
    const q = parseQuery(c, z.strictObject({ identity: z.string().max(4096).default('') }));
    const devices = await ctx.store.mcpServerDevices(c.get('admin').orgId, c.req.param('name'), q.identity);
    return c.json({ items: devices.map(seenResponse) });
  });

  const deviceQuery = z.strictObject({
    user: email.optional(),
    status: z.enum(['pending', 'active', 'revoked']).optional(),
    ...pageParams,
  });
  app.get('/v1/admin/devices', async (c) => {
    const q = parseQuery(c, deviceQuery);
    const orgId = c.get('admin').orgId;
    const userId = await userFilter(orgId, q.user);
    if (userId === null) return c.json({ items: [], nextCursor: null });
    const filter: { userId?: string; status?: DeviceStatus } = {};
    if (userId !== undefined) filter.userId = userId;
    if (q.status !== undefined) filter.status = q.status;
    const result = await ctx.store.listDevices(orgId, filter, q.cursor ?? null, q.limit);
    return c.json({ items: result.items.map(deviceResponse), nextCursor: encodeCursor(result.next) });
  });

  app.get('/v1/admin/devices/:id', async (c) => {
    const orgId = c.get('admin').orgId;
    const device = await ctx.store.getDevice(orgId, c.req.param('id'));
    if (!device) throw new EdgeError('NOT_FOUND', `Cannot find device "${c.req.param('id')}"`);
    const [posture, alerts] = await Promise.all([
      ctx.store.listPosture(orgId, device.id, null, 20),
      ctx.store.listIntegrityAlerts(orgId, { deviceId: device.id }, 50),
    ]);
    return c.json({
      ...deviceResponse(device),
      postureHistory: posture.items.map(postureResponse),
      postureCursor: encodeCursor(posture.next),
      integrityAlerts: alerts.map(integrityAlertView),
    });
  });

  app.get('/v1/admin/integrity-alerts', async (c) => {
    const q = parseQuery(
      c,
      z.strictObject({
        from: timeParam.optional(),
        to: timeParam.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    );
    const alerts = await ctx.store.listIntegrityAlerts(
      c.get('admin').orgId,
      { ...(q.from !== undefined ? { fromMs: q.from } : {}), ...(q.to !== undefined ? { toMs: q.to } : {}) },
      q.limit,
    );
    return c.json({ items: alerts.map(integrityAlertView) });
  });

  app.get('/v1/admin/devices/:id/posture', async (c) => {
    const q = parseQuery(c, pageQuery);
    const orgId = c.get('admin').orgId;
    const device = await ctx.store.getDevice(orgId, c.req.param('id'));
    if (!device) throw new EdgeError('NOT_FOUND', `Cannot find device "${c.req.param('id')}"`);
    const result = await ctx.store.listPosture(orgId, device.id, q.cursor ?? null, q.limit);
    return c.json({ items: result.items.map(postureResponse), nextCursor: encodeCursor(result.next) });
  });

  app.get('/v1/admin/activity', async (c) => {
    const q = parseQuery(c, pageQuery);
    const result = await ctx.store.listActivity(c.get('admin').orgId, q.cursor ?? null, q.limit);
    return c.json({
      items: result.items.map((a) => ({
        id: a.id,
        time: iso(a.timeMs),
        actor: a.actor,
        action: a.action,
        target: a.target,
        details: jsonOrText(a.details),
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  app.get('/v1/admin/adoption-gaps', async (c) => {
    const q = parseQuery(c, pageQuery);
    const result = await ctx.store.listAdoptionGaps(c.get('admin').orgId, q.cursor ?? null, q.limit);
    return c.json({
      items: result.items.map((g) => ({
        deviceId: g.deviceId,
        user: g.userEmail,
        claudeSessionId: g.claudeSessionId,
        cwd: g.cwd,
        reportedAt: iso(g.reportedMs),
        details: jsonOrText(g.details),
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  /** Raw signed entries of one device as JSON lines, for offline verification with verifyJournal. */
  app.get('/v1/admin/export/entries', async (c) => {
    const q = parseQuery(
      c,
      z.strictObject({
        device: id,
        after: z.coerce.number().int().min(-1).default(-1),
        limit: z.coerce.number().int().min(1).max(10_000).default(1000),
      }),
    );
    const orgId = c.get('admin').orgId;
    const device = await ctx.store.getDevice(orgId, q.device);
    if (!device) throw new EdgeError('NOT_FOUND', `Cannot find device "${q.device}"`);
    const rows = await ctx.store.exportEntries(orgId, device.id, q.after, q.limit);
    const last = rows.at(-1);
    return c.body(rows.map((row) => `${row.bytes}\n`).join(''), 200, {
      'content-type': 'application/x-ndjson',
      'x-ceros-next-after': rows.length === q.limit && last ? String(last.seq) : '',
    });
  });

  return app;
}

function conversationResponse(s: ConversationRow) {
  return {
    deviceId: s.deviceId,
    sessionId: s.sessionId,
    user: s.userEmail,
    startedAt: iso(s.startedMs),
    endedAt: iso(s.endedMs),
    lastEventAt: iso(s.lastEventMs),
    exitCode: s.exitCode,
    cwd: s.cwd,
    projectDir: s.projectDir,
    claudeArgs: jsonOrText(s.claudeArgs),
    cerosVersion: s.cerosVersion,
    claudeVersion: s.claudeVersion,
    policyHash: s.policyHash,
    keyProtection: s.keyProtection,
    firstPrompt: s.firstPrompt,
    prompts: s.prompts,
    toolCalls: s.toolCalls,
    blocks: s.blocks,
    subagents: s.subagents,
    claudeSessionId: s.claudeSessionId,
    model: s.model,
    policy: jsonOrText(s.policy),
    postureOk: s.postureOk,
    signal: s.signal,
    durationMs: s.durationMs,
    endState: s.endState,
  };
}

function deviceResponse(d: Device) {
  return {
    id: d.id,
    user: d.userEmail,
    userStatus: d.userStatus,
    status: d.status,
    keyProtection: d.keyProtection,
    hostname: d.hostname,
    os: d.os,
    arch: d.arch,
    cerosVersion: d.cerosVersion,
    claudeVersion: d.claudeVersion,
    enrolledAt: iso(d.enrolledMs),
    approvedAt: iso(d.approvedMs),
    revokedAt: iso(d.revokedMs),
    revokedReason: d.revokedReason,
    lastSeen: iso(d.lastSeenMs),
    journalHead: d.headSeq,
    posture: d.posture === null ? null : postureReport(d.posture, d.postureOk, d.postureMs),
  };
}

/** A stored snapshot with its verdict and the probes that failed, named so a list needs no parsing. */
function postureReport(text: string, ok: boolean | null, atMs: number | null) {
  const report = jsonOrText(text);
  return { ok, at: iso(atMs), failures: failedProbes(report as JsonValue), report };
}

function postureResponse(p: PostureRow) {
  const { ok, failures, report } = postureReport(p.posture, p.ok, p.timeMs);
  return {
    sessionId: p.sessionId,
    seq: p.seq,
    time: iso(p.timeMs),
    kind: p.kind,
    ok,
    failures,
    changes: p.changes === null ? null : jsonOrText(p.changes),
    report,
  };
}

function seenResponse(s: SeenOnDevice) {
  return { deviceId: s.deviceId, firstSeen: iso(s.firstSeenMs), lastSeen: iso(s.lastSeenMs) };
}
