import * as os from 'node:os';

/** What the OS says about itself in process (uname, gethostname, getpwuid); tests pass a fake. */
export interface HostInfo {
  release(): string;
  version(): string;
  machine(): string;
  hostname(): string;
  user(): { name: string; uid: number };
}

export const nodeHostInfo: HostInfo = {
  release: () => os.release(),
  version: () => os.version(),
  machine: () => os.machine(),
  hostname: () => os.hostname(),
  user: () => {
    const info = os.userInfo();
    return { name: info.username, uid: info.uid };
  },
};
