import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseFlags } from '../cli/flags.ts';
import { parseDatabaseConfig } from '../cli/serve-config.ts';
import type { EdgeStore } from '../store/store.ts';
import { sinkView } from './routes.ts';
import { DEFAULT_PEN, parseSinkInput, type SinkConfig, sinkConfigSchema, sinkTarget } from './sink-config.ts';
import { testSink } from './test-sink.ts';

export const SIEM_HELP = `Usage: ceros-edge siem <add|list|remove|test> [options] [--data DIR | --db URL]

Streams every journal entry of an organization to a SIEM as an OCSF 1.8.0 event, at least once,
from a durable cursor per sink. A running "ceros-edge serve" picks up changes within a second.

  siem list --org SLUG [--json]
      the sinks with delivered, pending and dead-letter counts and the last error
  siem add NAME --org SLUG --kind hec|syslog|otlp [sink options] [--from start|now] [--skip-test] [--json]
      sends a test event first and refuses a sink that cannot take one (--skip-test to add anyway);
      --from start (default) sends every stored entry, --from now only what arrives from now on
  siem test (NAME | --kind ... [sink options]) --org SLUG [--json]
      sends one test event and says what the receiver answered
  siem remove NAME --org SLUG [--json]

Sink options:
  hec     --url URL (e.g. https://splunk:8088) and the token in CEROS_EDGE_SIEM_TOKEN or
          --token-file FILE; [--index I] [--sourcetype S (default ocsf)] [--source S (default ceros)]
  syslog  --host H --port P --transport tcp|tls; [--server-name N] [--facility 0-23 (default 13,
          log audit)] [--pen N (SD-ID ceros@N; default ${DEFAULT_PEN}, RFC 5612's documentation
          number, until ceros has an IANA enterprise number)] [--app-name A] [--max-message-bytes N]
  otlp    --url URL (e.g. http://collector:4318; /v1/logs is added) [--header-file FILE: lines
          "Name: value", e.g. an Authorization header]
  all     [--ca FILE (PEM: the CA of the receiver's certificate)] [--detail arguments|full]
          (full adds prompt and output text and the signed entry itself)
`;

type Outcome = { kind: 'done'; stdout: string; stderr: string; exitCode: number };
const done = (stdout: string, stderr = '', exitCode = 0): Outcome => ({
  kind: 'done',
  stdout,
  stderr,
  exitCode,
});
const usage = (errors: readonly string[]): Outcome =>
  done('', `${errors.map((e) => `ceros-edge: ${e}`).join('\n')}\n\n${SIEM_HELP}`, 64);

const FLAGS = {
  values: [
    'org',
    'kind',
    'url',
    'token-file',
    'index',
    'sourcetype',
    'source',
    'host',
    'port',
    'transport',
    'server-name',
    'facility',
    'pen',
    'app-name',
    'max-message-bytes',
    'header-file',
    'ca',
    'detail',
    'from',
    'data',
    'db',
  ],
  booleans: ['json', 'skip-test'],
};

interface Io {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now?: () => number;
}

export async function runSiemCommand(
  argv: readonly string[],
  io: Io,
  open: (db: { dbUrl: string; dbAuthToken: string | undefined; dataDir: string | undefined }) => EdgeStore,
): Promise<Outcome> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help') return done(SIEM_HELP);
  if (!['add', 'list', 'remove', 'test'].includes(sub)) return usage([`unknown siem command "${sub}"`]);
  const flags = parseFlags(rest, FLAGS);
  if (flags.help) return done(SIEM_HELP);
  const errors = [...flags.errors];
  const json = flags.booleans.has('json');
  const slug = flags.values.get('org');
  if (!slug) errors.push('--org is required');
  const name = flags.positionals[0];
  if (flags.positionals.length > 1) errors.push(`unexpected argument "${flags.positionals[1]}"`);
  if ((sub === 'add' || sub === 'remove') && !name) errors.push('NAME is required');
  const db = parseDatabaseConfig(flags, io.env, io.cwd);
  if (!db.ok) errors.push(...db.errors);
  const needsConfig = sub === 'add' || (sub === 'test' && !name);
  const config = needsConfig ? configFromFlags(flags.values, io) : null;
  if (config && !config.ok) errors.push(...config.errors);
  if (errors.length > 0 || !db.ok || !slug) return usage(errors);

  const now = (io.now ?? Date.now)();
  const store = open(db);
  try {
    await store.migrate();
    const org = await store.getOrgBySlug(slug);
    if (!org) return done('', `ceros-edge: Cannot find the organization "${slug}"\n`, 1);
    const out = (value: unknown, text: string, exitCode = 0) =>
      done(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`, '', exitCode);

    if (sub === 'list') {
      const sinks = (await store.listSinks(org.id)).map(sinkView);
      if (sinks.length === 0)
        return out({ sinks }, `${org.name} has no SIEM sinks ("ceros-edge siem add --help")`);
      const lines = sinks.map(
        (s) =>
          `${s.name}  ${s.kind} ${s.target}  delivered ${s.delivered}, pending ${s.pending}, dead letters ${s.deadLetters}${
            s.lastError
              ? `\n  failing (${s.failures} in a row, next try ${s.nextAttemptAt}): ${s.lastError}`
              : ''
          }`,
      );
      return out({ sinks }, lines.join('\n'));
    }

    if (sub === 'remove') {
      const sink = await store.getSink(org.id, name ?? '');
      if (!sink || !(await store.removeSink(org.id, sink.id)))
        return done(
          '',
          `ceros-edge: Cannot remove the sink "${name}": ${org.name} has no sink of that name\n`,
          1,
        );
      return out({ removed: sink.name, id: sink.id }, `Removed the sink "${sink.name}" of ${org.name}`);
    }

    if (sub === 'test') {
      let target = config?.ok ? config.value : undefined;
      if (name) {
        const sink = await store.getSink(org.id, name);
        if (!sink)
          return done(
            '',
            `ceros-edge: Cannot test the sink "${name}": ${org.name} has no sink of that name\n`,
            1,
          );
        target = sink.config;
      }
      if (!target) return usage(['a sink NAME or --kind with its options is required']);
      const result = await testSink(target, org.id, now);
      if (result.ok) return out(result, `${result.message} (${sinkTarget(target)})`);
      return json ? out(result, '', 1) : done('', `ceros-edge: ${result.error}\n`, 1);
    }

    // add
    if (!config?.ok) return usage(['sink options are required']);
    const parsed = parseSinkInput({ name, from: flags.values.get('from') ?? 'start', config: config.value });
    if (!parsed.ok) return usage(parsed.issues);
    if (await store.getSink(org.id, parsed.value.name))
      return done(
        '',
        `ceros-edge: Cannot add the sink "${parsed.value.name}": ${org.name} has one of that name\n`,
        1,
      );
    if (!flags.booleans.has('skip-test')) {
      const tested = await testSink(parsed.value.config, org.id, now);
      if (!tested.ok)
        return json
          ? out({ ok: false, error: tested.error }, '', 1)
          : done('', `ceros-edge: Cannot add the sink "${parsed.value.name}": ${tested.error}\n`, 1);
    }
    const id = `sink_${randomUUID()}`;
    await store.addSink({ id, orgId: org.id, ...parsed.value }, now);
    const added = (await store.listSinks(org.id)).find((s) => s.id === id);
    return out(
      added ? sinkView(added) : { id },
      `Added the sink "${parsed.value.name}" (${parsed.value.config.kind} ${sinkTarget(parsed.value.config)}) to ${org.name}; it sends ${parsed.value.from === 'now' ? 'what arrives from now on' : 'every stored entry, then each new one'}`,
    );
  } finally {
    store.close();
  }
}

type ConfigResult = { ok: true; value: SinkConfig } | { ok: false; errors: string[] };

function configFromFlags(values: Map<string, string>, io: Io): ConfigResult {
  const errors: string[] = [];
  const kind = values.get('kind');
  if (!kind) return { ok: false, errors: ['--kind hec|syslog|otlp is required'] };
  const read = (flag: string): string | undefined => {
    const path = values.get(flag);
    if (!path) return undefined;
    try {
      return readFileSync(resolve(io.cwd, path), 'utf8');
    } catch (error) {
      errors.push(
        `--${flag} "${path}" cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
      return undefined;
    }
  };
  const number = (flag: string): number | undefined => {
    const v = values.get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) errors.push(`--${flag} "${v}" must be a whole number`);
    return n;
  };
  const opt = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  const common = { ...opt('ca', read('ca')), ...opt('detail', values.get('detail')) };
  let raw: Record<string, unknown>;
  if (kind === 'hec') {
    const token = (read('token-file') ?? io.env.CEROS_EDGE_SIEM_TOKEN)?.trim();
    if (!token) errors.push('a HEC token is required: set CEROS_EDGE_SIEM_TOKEN or pass --token-file FILE');
    raw = {
      kind,
      url: values.get('url'),
      token,
      ...opt('index', values.get('index')),
      ...opt('sourcetype', values.get('sourcetype')),
      ...opt('source', values.get('source')),
      ...common,
    };
  } else if (kind === 'syslog') {
    raw = {
      kind,
      host: values.get('host'),
      port: number('port'),
      transport: values.get('transport'),
      ...opt('serverName', values.get('server-name')),
      ...opt('facility', number('facility')),
      ...opt('pen', number('pen')),
      ...opt('appName', values.get('app-name')),
      ...opt('maxMessageBytes', number('max-message-bytes')),
      ...common,
    };
  } else if (kind === 'otlp') {
    const headers: Record<string, string> = {};
    for (const line of (read('header-file') ?? '').split('\n')) {
      if (line.trim() === '') continue;
      const at = line.indexOf(':');
      if (at <= 0) errors.push(`--header-file: "${line.slice(0, 40)}" is not "Name: value"`);
      else headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    raw = { kind, url: values.get('url'), headers, ...common };
  } else return { ok: false, errors: [`--kind "${kind}" must be hec, syslog or otlp`] };
  const parsed = sinkConfigSchema.safeParse(raw);
  if (!parsed.success)
    errors.push(
      ...parsed.error.issues.map((issue) => `${flagOf(String(issue.path[0] ?? 'kind'))}: ${issue.message}`),
    );
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}

const FLAG_OF: Record<string, string> = {
  token: 'the HEC token (CEROS_EDGE_SIEM_TOKEN or --token-file)',
  serverName: '--server-name',
  appName: '--app-name',
  maxMessageBytes: '--max-message-bytes',
  headers: '--header-file',
};
const flagOf = (key: string): string => FLAG_OF[key] ?? `--${key}`;
