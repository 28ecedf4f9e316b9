/**
 * Adapter: who is at the other end of a connected Unix socket, from the kernel (SO_PEERCRED,
 * socket(7)) through bun:ffi. The hook client asks it of the daemon's socket and the daemon of
 * each hook connection: a path or a name says nothing about who answers (threat-model.md), the
 * kernel's record of the peer does. Linux only; elsewhere `socketPeer` returns null and callers
 * say what they could not check. Kept to one symbol: the hook client loads this on every call.
 */
import { dlopen, FFIType } from 'bun:ffi';

/** The peer's process and user as the kernel recorded them at connect() or listen() time. */
export interface SocketPeer {
  pid: number;
  uid: number;
  gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type GetSockOpt = (fd: number, level: number, name: number, value: Int32Array, length: Uint32Array) => number;
let getsockopt: GetSockOpt | null | undefined;

function load(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  getsockopt = null;
  if (process.platform !== 'linux') return null;
  for (const name of ['libc.so.6', 'libc.so']) {
    try {
      const lib = dlopen(name, {
        getsockopt: {
          args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
          returns: FFIType.i32,
        },
      });
      getsockopt = lib.symbols.getsockopt as unknown as GetSockOpt;
      break;
    } catch {
      // try the next name (musl ships libc.so)
    }
  }
  return getsockopt;
}

/** True where `socketPeer` can answer (Linux with a loadable libc). */
export function canReadSocketPeers(): boolean {
  return load() !== null;
}

/** The credentials of the peer of socket `fd`, or null (not a connected Unix socket, not Linux). */
export function socketPeer(fd: number | undefined): SocketPeer | null {
  if (typeof fd !== 'number' || fd < 0) return null;
  const call = load();
  if (!call) return null;
  // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
  const cred = new Int32Array(3);
  const length = new Uint32Array([12]);
  if (call(fd, SOL_SOCKET, SO_PEERCRED, cred, length) !== 0) return null;
  const [pid = 0, uid = -1, gid = -1] = cred;
  if (pid <= 0) return null;
  return { pid, uid: uid >>> 0, gid: gid >>> 0 };
}

/**
 * The fd of a Bun socket. Bun's sockets carry it as `fd` (not in bun-types, present since 1.1 and in
 * the pinned 1.4.5); undefined means it cannot be read, and callers then fail closed.
 */
export function bunSocketFd(socket: object): number | undefined {
  const fd = (socket as { fd?: unknown }).fd;
  return typeof fd === 'number' ? fd : undefined;
}
