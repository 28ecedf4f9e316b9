import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { baseUrl, parseQuery } from '../http.ts';
import { renderInstallScript } from '../install/install-script.ts';

export function installRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.get('/install.sh', async (c) => {
    const q = parseQuery(
      c,
      z.strictObject({
        org: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'is not an organization slug')
          .optional(),
      }),
    );
    if (q.org !== undefined && !(await ctx.store.getOrgBySlug(q.org)))
      throw new EdgeError(
        'UNKNOWN_ORG',
        `Cannot make an installer for organization "${q.org}": it does not exist`,
      );
    const builds = (await ctx.binaries?.list()) ?? [];
    const script = renderInstallScript({ edgeUrl: baseUrl(c, ctx.settings), org: q.org ?? null, builds });
    return c.body(script, 200, {
      'content-type': 'text/x-shellscript; charset=utf-8',
      'cache-control': 'no-store',
    });
  });

  app.get('/download/:target/ceros', async (c) => {
    const target = c.req.param('target');
    const binary = await ctx.binaries?.get(target);
    if (!binary)
      throw new EdgeError('NOT_FOUND', `Cannot serve ceros for "${target}": this edge has no such build`);
    return c.body(binary.open(), 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(binary.size),
      'content-disposition': 'attachment; filename="ceros"',
      'x-checksum-sha256': binary.sha256,
    });
  });

  app.get('/download/:target/ceros.sha256', async (c) => {
    const binary = await ctx.binaries?.get(c.req.param('target'));
    if (!binary)
      throw new EdgeError(
        'NOT_FOUND',
        `Cannot serve a checksum for "${c.req.param('target')}": no such build`,
      );
    return c.text(`${binary.sha256}  ceros\n`);
  });

  return app;
}
