import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { createFileLogTrustStore } from '../edge-client/checkpoints.ts';
import { EdgeClientError, type FetchLike } from '../edge-client/client.ts';
import { type EdgeConfig, readEdgeConfig, readInstallHint, writeEdgeConfig } from '../edge-client/config.ts';
import { describeThisDevice } from '../edge-client/device-description.ts';
import { type DeviceDescription, pollEnrollment, startEnrollment } from '../edge-client/enrollment.ts';
import type { Keystore } from '../keystore/keystore.ts';
import { DEVICE_KEY_NAME, loadOrCreateDevice } from '../session/identity.ts';
import { cerosHome } from '../state/secure-fs.ts';

const DEFAULT_TIMEOUT_S = 15 * 60;

export const ENROLL_HELP = `Usage: ceros enroll [EDGE_URL] [options]

Registers this device's hardware key with a ceros edge and binds it to you, after you verify your
email address in the browser. Without EDGE_URL, uses the edge from the installer (install.json)
or CEROS_EDGE_URL.

Options:
  --org SLUG        enroll into this organization (the installer link sets it for you)
  --no-browser      print the link and code instead of opening a browser
  --timeout SECS    give up after this long (default ${DEFAULT_TIMEOUT_S})
  -h, --help        show this help
`;

export interface EnrollContext extends CommandContext {
  keystore: Keystore;
  /** Opens a URL in the user's browser; resolves false when there is no browser. */
  openUrl?: (url: string) => Promise<boolean>;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** What the enrollment page shows of this device; described from the host by default. */
  device?: DeviceDescription;
}

interface EnrollArgs {
  url: string | undefined;
  org: string | undefined;
  browser: boolean;
  timeoutS: number;
}

function parseArgs(
  argv: readonly string[],
): { ok: true; value: EnrollArgs | 'help' } | { ok: false; error: string } {
  const args: EnrollArgs = {
    url: undefined,
    org: undefined,
    browser: true,
    timeoutS: DEFAULT_TIMEOUT_S,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return { ok: true, value: 'help' };
    else if (arg === '--no-browser') args.browser = false;
    else if (arg === '--org' || arg === '--timeout') {
      const value = argv[++i];
      if (value === undefined) return { ok: false, error: `Option ${arg} needs a value` };
      if (arg === '--org') args.org = value;
      else {
        const seconds = Number(value);
        if (!Number.isFinite(seconds) || seconds <= 0)
          return { ok: false, error: `Option --timeout needs a positive number of seconds, got "${value}"` };
        args.timeoutS = seconds;
      }
    } else if (arg.startsWith('-')) return { ok: false, error: `Unknown option "${arg}"` };
    else if (args.url === undefined) args.url = arg;
    else return { ok: false, error: `Unexpected argument "${arg}"` };
  }
  return { ok: true, value: args };
}

/**
 * `ceros enroll [URL]`: starts enrollment with the device public key, opens (or prints) the
 * enrollment page and code, polls until the human finishes (and an admin approves, where the org
 * asks for that), then writes `${CEROS_HOME}/config.json` (0600).
 */
export async function runEnroll(argv: readonly string[], ctx: EnrollContext): Promise<CommandResult> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) return fail(`${parsed.error}\n\n${ENROLL_HELP}`, EXIT.USAGE);
  if (parsed.value === 'help') return ok(ENROLL_HELP);
  const args = parsed.value;

  let home: string;
  try {
    home = cerosHome(ctx.env);
  } catch (error) {
    return fail((error as Error).message, EXIT.USAGE);
  }
  const hint = readInstallHint(home);
  if (!hint.ok) return fail(hint.error);
  const edgeUrl = (args.url ?? ctx.env.CEROS_EDGE_URL ?? hint.value?.edgeUrl)?.replace(/\/+$/, '');
  if (!edgeUrl)
    return fail(
      `Cannot enroll: name the edge (ceros enroll https://edge.example.com)\n\n${ENROLL_HELP}`,
      EXIT.USAGE,
    );
  if (!/^https?:\/\//.test(edgeUrl))
    return fail(`Cannot enroll with "${edgeUrl}": the edge URL must start with https://`, EXIT.USAGE);
  const org = args.org ?? (hint.value?.edgeUrl.replace(/\/+$/, '') === edgeUrl ? hint.value?.org : undefined);

  const now = ctx.now ?? Date.now;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fetchOpt = ctx.fetch ? { fetch: ctx.fetch } : {};
  try {
    // The same identity the journal signs with (device.json + the keystore's device key), so the
    // id the edge registers is the id in every journal entry.
    const { record, key } = await loadOrCreateDevice(home, ctx.keystore, new Date(now()));
    const start = await startEnrollment({
      edgeUrl,
      key,
      deviceId: record.deviceId,
      ...(org !== undefined ? { org } : {}),
      device: ctx.device ?? describeThisDevice(),
      ...fetchOpt,
      now,
    });
    const opened = args.browser && ctx.openUrl ? await ctx.openUrl(start.verificationUrl) : false;
    ctx.progress(
      opened
        ? `Opened ${start.verificationUrl} in your browser. Finish enrollment there (code ${start.userCode}).`
        : `To enroll this device, open ${start.enrollUrl} and enter the code ${start.userCode}\n  (or open ${start.verificationUrl})`,
    );

    const deadline = now() + args.timeoutS * 1000;
    let said = '';
    for (;;) {
      const poll = await pollEnrollment({
        edgeUrl,
        enrollmentId: start.enrollmentId,
        pollToken: start.pollToken,
        ...fetchOpt,
      });
      if (poll.status === 'complete') {
        const config: EdgeConfig = {
          v: 1,
          edgeUrl,
          org: poll.org,
          deviceId: poll.deviceId,
          userEmail: poll.userEmail,
          orgSigningKey: poll.orgSigningKey,
          orgSigningKeyId: poll.orgSigningKeyId,
          keyName: DEVICE_KEY_NAME,
          keyProtection: key.protection,
          enrolledAt: new Date(now()).toISOString(),
        };
        writeEdgeConfig(home, config);
        if (poll.logKey) createFileLogTrustStore(home).pinLogKey(poll.logKey);
        return ok(
          `Enrolled device ${config.deviceId} for ${config.userEmail} in ${config.org.name} (${edgeUrl}); key: ${key.protection}\n`,
        );
      }
      if (poll.status === 'denied') return fail(`Cannot enroll: ${poll.message}`, EXIT.REFUSED);
      if (poll.status === 'awaiting_approval' && said !== poll.status) {
        ctx.progress('Email verified. Waiting for an admin to approve this device…');
        said = poll.status;
      }
      if (now() >= deadline)
        return fail(
          `Cannot enroll: not finished within ${args.timeoutS} s; run "ceros enroll" again`,
          EXIT.FAILURE,
        );
      await sleep(poll.pollIntervalMs);
    }
  } catch (error) {
    if (error instanceof EdgeClientError) {
      const refused = error.status !== null && error.status >= 400 && error.status < 500;
      return fail(`Cannot enroll with ${edgeUrl}: ${error.message}`, refused ? EXIT.REFUSED : EXIT.FAILURE);
    }
    throw error;
  }
}

/** True when this device is enrolled (config.json exists and parses). */
export function isEnrolled(env: Readonly<Record<string, string | undefined>>): boolean {
  const config = readEdgeConfig(cerosHome(env));
  return config.ok && config.value !== undefined;
}
