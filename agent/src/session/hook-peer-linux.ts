/**
 * Adapter: the kernel facts the hook peer check rests on (hook-peer.ts), read on Linux from
 * procfs and, through bun:ffi, pidfd_getfd(2), SO_PEERCRED and a sock_diag(7) netlink query.
 *
 * Why these: a hook process's stdout is a socket pair Claude Code created (checked on 2.1.197
 * and 2.1.337), so SO_PEERCRED on a duplicate of it names Claude Code's pid; nothing the agent
 * starts from Bash has such an fd. An HTTP hook comes from Claude Code's own process, so the
 * loopback connection's socket inode is in Claude Code's fd table. /proc/net/tcp would also map a
 * port to an inode, but reading it took ~9 ms here (the kernel walks the whole hash table); the
 * exact sock_diag lookup takes microseconds.
 */
import { dlopen, FFIType, read } from 'bun:ffi';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseProcStat } from '../ancestry/linux-reader.ts';
import { socketPeer } from '../hook/socket-peer.ts';
import type { PeerFacts } from './hook-peer.ts';

const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 1;
const NLMSG_ERROR = 2;
const AF_INET = 2;
const IPPROTO_TCP = 6;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;

interface Libc {
  syscall(number: number, a: number, b: number, c: number): number;
  close(fd: number): number;
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buffer: Uint8Array, length: number, flags: number): number;
  recv(fd: number, buffer: Uint8Array, length: number, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: BigInt64Array, length: number): number;
  errno(): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  for (const name of ['libc.so.6', 'libc.so']) {
    try {
      const lib = dlopen(name, {
        syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
        close: { args: [FFIType.i32], returns: FFIType.i32 },
        socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
        send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
        recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
        setsockopt: {
          args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
          returns: FFIType.i32,
        },
        __errno_location: { args: [], returns: FFIType.ptr },
      });
      const s = lib.symbols;
      libc = {
        syscall: (n, a, b, c) => s.syscall(n, a, b, c) as number,
        close: (fd) => s.close(fd) as number,
        socket: (d, t, p) => s.socket(d, t, p) as number,
        send: (fd, buffer, length, flags) => Number(s.send(fd, buffer, length, flags)),
        recv: (fd, buffer, length, flags) => Number(s.recv(fd, buffer, length, flags)),
        setsockopt: (fd, level, name, value, length) =>
          s.setsockopt(fd, level, name, value, length) as number,
        errno: () => {
          const at = s.__errno_location();
          return at ? read.i32(at, 0) : 0;
        },
      };
      break;
    } catch {
      // next name
    }
  }
  return libc;
}

/** What pidfd_getfd needs (Linux 5.6+, ptrace access to the hook: ceros is its ancestor). */
function peerPidOfRemoteFd(c: Libc, pid: number, fd: number): { pid: number | null; error?: string } {
  const pidfd = c.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
  if (pidfd < 0) return { pid: null, error: `pidfd_open failed (errno ${c.errno()})` };
  try {
    const copy = c.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
    if (copy < 0) return { pid: null, error: `pidfd_getfd failed (errno ${c.errno()})` };
    try {
      return { pid: socketPeer(copy)?.pid ?? null };
    } finally {
      c.close(copy);
    }
  } finally {
    c.close(pidfd);
  }
}

/** struct inet_diag_req_v2 for one IPv4 loopback connection (sock_diag(7)). */
function tcpLookupRequest(sourcePort: number, destinationPort: number): Uint8Array {
  const buffer = new Uint8Array(16 + 56);
  const view = new DataView(buffer.buffer);
  view.setUint32(0, buffer.length, true); // nlmsg_len
  view.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  view.setUint16(6, NLM_F_REQUEST, true);
  view.setUint32(8, 1, true); // seq
  buffer[16] = AF_INET;
  buffer[17] = IPPROTO_TCP;
  view.setUint32(20, 0xffffffff, true); // idiag_states: any
  // inet_diag_sockid: ports and addresses in network order.
  view.setUint16(24, sourcePort, false);
  view.setUint16(26, destinationPort, false);
  buffer.set([127, 0, 0, 1], 28); // idiag_src[0]
  buffer.set([127, 0, 0, 1], 44); // idiag_dst[0]
  view.setUint32(64, 0xffffffff, true); // idiag_cookie: INET_DIAG_NOCOOKIE
  view.setUint32(68, 0xffffffff, true);
  return buffer;
}

export function createLinuxPeerFacts(): PeerFacts {
  let diag: number | null = null;
  const diagSocket = (c: Libc): number | null => {
    if (diag !== null) return diag;
    const fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return null;
    // 250 ms: a kernel that does not answer must not hold the hook path.
    c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new BigInt64Array([0n, 250_000n]), 16);
    diag = fd;
    return fd;
  };
  return {
    process: (pid) => {
      try {
        const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        return stat ? { ppid: stat.ppid, start: stat.startTicks, name: stat.comm } : null;
      } catch {
        return null;
      }
    },
    fdPeer: (pid, fd) => {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return null;
      }
      if (!link.startsWith('socket:')) return { link, peerPid: null };
      const c = loadLibc();
      if (!c) return { link, peerPid: null, error: 'libc cannot be loaded' };
      const found = peerPidOfRemoteFd(c, pid, fd);
      return { link, peerPid: found.pid, ...(found.error ? { error: found.error } : {}) };
    },
    holds: (pid, link) => {
      let names: string[];
      try {
        names = readdirSync(`/proc/${pid}/fd`);
      } catch {
        return false;
      }
      for (const name of names) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${name}`) === link) return true;
        } catch {
          // closed meanwhile
        }
      }
      return false;
    },
    tcpConnection: (clientPort, serverPort) => {
      const c = loadLibc();
      if (!c) return null;
      const fd = diagSocket(c);
      if (fd === null) return null;
      const request = tcpLookupRequest(clientPort, serverPort);
      if (c.send(fd, request, request.length, 0) !== request.length) return null;
      const answer = new Uint8Array(1024);
      const got = c.recv(fd, answer, answer.length, 0);
      if (got < 16) return null;
      const view = new DataView(answer.buffer);
      if (view.getUint16(4, true) === NLMSG_ERROR) return null;
      // struct inet_diag_msg after the 16-byte header: family, state, timer, retrans, id (48 bytes),
      // expires, rqueue, wqueue, uid, inode.
      if (got < 16 + 72) return null;
      if (view.getUint16(16 + 4, false) !== clientPort) return null;
      return { uid: view.getUint32(16 + 64, true), inode: view.getUint32(16 + 68, true) };
    },
  };
}

/** This process as hook clients check it (`PID:START`, start in clock ticks since boot). */
export function selfIdentity(): string | null {
  try {
    const stat = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    return stat ? `${process.pid}:${stat.startTicks}` : null;
  } catch {
    return null;
  }
}
