/**
 * Adapter: advisory whole-file locks through libc flock(2) over bun:ffi. Several `ceros claude`
 * sessions on one device append to the same chain; flock serialises them, and the kernel drops
 * the lock when a process dies, so a crash can never leave the journal locked.
 */
import { dlopen, FFIType } from 'bun:ffi';

const LOCK_EX = 2;
const LOCK_UN = 8;

type Flock = (fd: number, op: number) => number;
let flockFn: Flock | undefined;

function load(): Flock {
  if (flockFn) return flockFn;
  const names =
    process.platform === 'darwin' ? ['libc.dylib', '/usr/lib/libSystem.B.dylib'] : ['libc.so.6', 'libc.so'];
  let lastError: unknown;
  for (const name of names) {
    try {
      const lib = dlopen(name, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      flockFn = lib.symbols.flock as Flock;
      return flockFn;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`Cannot load flock from libc: ${(lastError as Error)?.message ?? 'not found'}`);
}

export function lockExclusive(fd: number): void {
  if (load()(fd, LOCK_EX) !== 0) throw new Error(`Cannot lock the journal (flock on fd ${fd} failed)`);
}

export function unlock(fd: number): void {
  load()(fd, LOCK_UN);
}
