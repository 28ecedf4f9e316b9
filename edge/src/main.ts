/**
 * The ceros-edge binary: `ceros-edge serve --port P --data DIR`. The only file (with the adapters)
 * that touches Bun and the process; everything else is createApp(deps).
 */
import './store/libsql-native.ts';
import { dirname, resolve } from 'node:path';
// The bash grammar for replaying drafts against recorded commands, embedded in the compiled edge.
import bashWasm from '../../node_modules/tree-sitter-bash/tree-sitter-bash.wasm' with { type: 'file' };
import runtimeWasm from '../../node_modules/web-tree-sitter/tree-sitter.wasm' with { type: 'file' };
import { exitAfterWriting, ignoreClosedPipes } from './process-exit.ts';

const compiled = import.meta.path.startsWith('/$bunfs/');
const { DataFolderError, runEdgeCli, serveDeps } = await import('./cli/run.ts');
const { createApp, EDGE_VERSION } = await import('./app.ts');

// Whatever the edge writes (the database and its journal files, exports) is for its own user only.
process.umask(0o077);
const log = (line: string) => process.stderr.write(`[ceros-edge] ${line}\n`);
const outcome = await runEdgeCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  // The compiled edge sits in dist/ next to the agent binaries it serves.
  defaultDistDir: compiled ? dirname(process.execPath) : resolve(process.cwd(), 'dist'),
});

if (outcome.kind === 'done') {
  ignoreClosedPipes();
  // Every byte out before the process exits (issue 14.4).
  await exitAfterWriting(outcome.stdout, outcome.stderr, outcome.exitCode);
  throw new Error('unreachable: the process has exited');
}

const deps = await serveDeps(outcome.config, log).catch((error: unknown) => {
  if (!(error instanceof DataFolderError)) throw error;
  return exitAfterWriting('', `ceros-edge: ${error.message}\n`, 1);
});
const app = createApp({ ...deps, shellWasm: { runtimeWasm, bashWasm } });
const server = Bun.serve({
  port: outcome.config.port,
  hostname: outcome.config.host,
  // Ingest bodies are capped by the app; leave headroom for headers and the JSON envelope.
  maxRequestBodySize: (outcome.config.maxIngestBytes ?? 4 * 1024 * 1024) + 64 * 1024,
  fetch: (request, srv) => app.fetch(request, { ip: srv.requestIP(request)?.address }),
});
deps.tlog?.start();
// SIEM export runs beside the API and never inside a request (siem/exporter.ts).
const siem = (await import('./siem/exporter.ts')).createSiemExporter({
  store: deps.store,
  log,
  productVersion: EDGE_VERSION,
});
siem.start();
log(`listening on http://${server.hostname}:${server.port}`);
process.stdout.write(`ceros-edge listening on http://${server.hostname}:${server.port}\n`);

const shutdown = () => {
  log('shutting down');
  void server.stop().then(async () => {
    await Promise.all([deps.tlog?.stop(), siem.stop()]);
    deps.store.close();
    process.exit(0);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
