import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRunner } from '../exec.ts';
import { failed, ok, unknown } from '../probe.ts';
import type { ProbeOutcome, ScreenLockInfo } from '../types.ts';

/** GSettings keys per desktop: lock switch, idle delay (and its unit), delay between blank and lock. */
const GSETTINGS_DESKTOPS: readonly {
  match: RegExp;
  lock: [string, string];
  idle: [string, string];
  idleUnit: number;
  lockDelay?: [string, string];
}[] = [
  {
    match: /gnome|unity|pop|budgie|ubuntu/,
    lock: ['org.gnome.desktop.screensaver', 'lock-enabled'],
    idle: ['org.gnome.desktop.session', 'idle-delay'],
    idleUnit: 1,
    lockDelay: ['org.gnome.desktop.screensaver', 'lock-delay'],
  },
  {
    match: /cinnamon/,
    lock: ['org.cinnamon.desktop.screensaver', 'lock-enabled'],
    idle: ['org.cinnamon.desktop.session', 'idle-delay'],
    idleUnit: 1,
  },
  {
    match: /mate/,
    lock: ['org.mate.screensaver', 'lock-enabled'],
    idle: ['org.mate.session', 'idle-delay'],
    idleUnit: 60,
  },
];

/** A GVariant text value as gsettings prints it: `true`, `uint32 300`, `5`. */
export function parseGsettingsValue(text: string): boolean | number | null {
  const value = text.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  const number = /^(?:u?int(?:32|64)\s+)?(\d+)$/.exec(value)?.[1];
  return number === undefined ? null : Number(number);
}

/** kscreenlockerrc (KDE Plasma): `[Daemon]` Autolock (default true) and Timeout in minutes (default 5). */
export function parseKscreenlockerrc(text: string | null): ScreenLockInfo {
  let autolock = true;
  let timeout = 5;
  let inDaemon = false;
  for (const line of (text ?? '').split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('[')) inDaemon = trimmed === '[Daemon]';
    else if (inDaemon && /^Autolock=/i.test(trimmed)) autolock = trimmed.split('=')[1]?.trim() !== 'false';
    else if (inDaemon && /^Timeout=/i.test(trimmed)) timeout = Number(trimmed.split('=')[1]) || 0;
  }
  return { enabled: autolock && timeout > 0, delaySeconds: timeout * 60 };
}

export interface ScreenLockContext {
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  exec: CommandRunner;
  timeoutMs: number;
}

/**
 * Whether the desktop locks when idle. Without a graphical session there is no screen to lock
 * for this session: unknown, not ok. GNOME-family desktops are read through `gsettings` (the
 * dconf database is binary), KDE from kscreenlockerrc; other desktops are unknown.
 */
export function probeLinuxScreenLock(
  context: ScreenLockContext,
): ProbeOutcome<ScreenLockInfo> | Promise<ProbeOutcome<ScreenLockInfo>> {
  const { env } = context;
  const sessionType = env.XDG_SESSION_TYPE ?? '';
  const graphical = Boolean(
    env.WAYLAND_DISPLAY || env.DISPLAY || ['x11', 'wayland', 'mir'].includes(sessionType),
  );
  if (!graphical)
    return unknown(
      'No graphical session (DISPLAY, WAYLAND_DISPLAY and XDG_SESSION_TYPE unset): screen lock cannot be read',
    );
  const desktop = (env.XDG_CURRENT_DESKTOP ?? env.DESKTOP_SESSION ?? '').toLowerCase();
  if (/kde|plasma/.test(desktop)) {
    const file = join(context.root, context.home, '.config/kscreenlockerrc');
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = null;
    }
    const info = parseKscreenlockerrc(text);
    const source = text === null ? 'kscreenlockerrc absent: Plasma defaults' : '~/.config/kscreenlockerrc';
    const evidence = `${source}: Autolock ${info.enabled ? 'on' : 'off'}, after ${info.delaySeconds} s`;
    return info.enabled ? ok(info, evidence) : failed(evidence, info);
  }
  const schema = GSETTINGS_DESKTOPS.find((d) => d.match.test(desktop));
  if (!schema) return unknown(`Desktop "${desktop || 'unnamed'}" has no known screen-lock setting`);
  return readGsettings(schema, context);
}

async function readGsettings(
  schema: (typeof GSETTINGS_DESKTOPS)[number],
  context: ScreenLockContext,
): Promise<ProbeOutcome<ScreenLockInfo>> {
  const get = async ([path, key]: [string, string]) => {
    const result = await context.exec('gsettings', ['get', path, key], { timeoutMs: context.timeoutMs });
    if (result.exitCode !== 0)
      throw new Error(`gsettings get ${path} ${key}: ${result.error ?? result.stderr.trim()}`);
    return parseGsettingsValue(result.stdout);
  };
  const [lock, idle, lockDelay] = await Promise.all([
    get(schema.lock),
    get(schema.idle),
    schema.lockDelay ? get(schema.lockDelay) : Promise.resolve(0),
  ]);
  if (typeof lock !== 'boolean' || typeof idle !== 'number')
    return unknown(`gsettings gave unexpected values: ${schema.lock[1]}=${lock} ${schema.idle[1]}=${idle}`);
  const idleSeconds = idle * schema.idleUnit;
  const delaySeconds = idleSeconds + (typeof lockDelay === 'number' ? lockDelay : 0);
  const evidence = `gsettings ${schema.lock.join(' ')} = ${lock}; ${schema.idle.join(' ')} = ${idle}${
    schema.idleUnit === 60 ? ' min' : ' s'
  }`;
  // idle-delay 0 means the screen never blanks, so it never locks by itself.
  const info = { enabled: lock && idleSeconds > 0, delaySeconds: idleSeconds > 0 ? delaySeconds : null };
  return info.enabled ? ok(info, evidence) : failed(evidence, info);
}
