/**
 * Builds the console into one self-contained HTML page: Bun's bundler compiles the Preact app and
 * its stylesheet, and both are inlined, so the edge serves a single asset (gzipped once, here) and
 * the page loads nothing else. The Content-Security-Policy travels in the page itself, with the
 * SHA-256 of the inline script and style, so no other script or style can run in it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The file the edge embeds and serves (edge/src/routes/console.ts looks for this name). */
export const CONSOLE_ASSET = 'ceros-console.html.gz';
export const CONSOLE_DIST = join(import.meta.dir, '..', '..', 'dist');

export interface ConsoleBuild {
  html: string;
  gzip: Uint8Array;
  /** Where the gzipped page was written. */
  path: string;
  scriptBytes: number;
  styleBytes: number;
  htmlBytes: number;
  gzipBytes: number;
}

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export async function buildConsole(
  options: { outdir?: string; minify?: boolean } = {},
): Promise<ConsoleBuild> {
  const outdir = options.outdir ?? CONSOLE_DIST;
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, '..', 'main.tsx')],
    target: 'browser',
    format: 'esm',
    minify: options.minify ?? true,
    sourcemap: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (!result.success)
    throw new Error(`Cannot build the console: ${result.logs.map((log) => String(log)).join('\n')}`);
  let script = '';
  let style = '';
  for (const output of result.outputs) {
    if (output.path.endsWith('.js')) script += await output.text();
    else if (output.path.endsWith('.css')) style += await output.text();
  }
  if (script === '') throw new Error('Cannot build the console: the bundle has no script');
  // Inline text cannot close its own element; `<\/` means the same inside JS strings and regexes.
  script = script.replace(/<\/(script)/gi, '<\\/$1');
  style = style.replace(/<\/(style)/gi, '<\\/$1');
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>ceros console</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<div id="app"></div>
<noscript>The ceros console needs JavaScript.</noscript>
<script type="module">${script}</script>
</body>
</html>
`;
  const gzip = gzipSync(html, { level: 9 });
  mkdirSync(outdir, { recursive: true });
  const path = join(outdir, CONSOLE_ASSET);
  writeFileSync(path, gzip);
  writeFileSync(join(outdir, 'ceros-console.html'), html);
  return {
    html,
    gzip,
    path,
    scriptBytes: Buffer.byteLength(script),
    styleBytes: Buffer.byteLength(style),
    htmlBytes: Buffer.byteLength(html),
    gzipBytes: gzip.byteLength,
  };
}
