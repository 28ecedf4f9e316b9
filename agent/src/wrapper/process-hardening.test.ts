import { describe, expect, test } from 'bun:test';
import { protectProcessMemory } from './process-hardening.ts';

/** A child bun that may protect itself, run as another user when the tests run as root (root reads everything). */
async function child(protect: boolean) {
  const asRoot = process.getuid?.() === 0;
  const script = protect
    ? `const { protectProcessMemory } = await import(${JSON.stringify(`${import.meta.dir}/process-hardening.ts`)}); console.log(protectProcessMemory()); await Bun.sleep(5000);`
    : 'console.log("plain"); await Bun.sleep(5000);';
  const argv = [process.execPath, '-e', script];
  const spawned = Bun.spawn(
    asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv,
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
      stdout: 'pipe',
    },
  );
  const line = new TextDecoder().decode((await spawned.stdout.getReader().read()).value);
  const owner = Bun.spawnSync(['stat', '-c', '%u', `/proc/${spawned.pid}/environ`])
    .stdout.toString()
    .trim();
  spawned.kill();
  await spawned.exited;
  return { line, owner, uid: asRoot ? '65534' : String(process.getuid?.()) };
}

describe('protectProcessMemory()', () => {
  test('a process that protects itself hides its environment from other processes of the same user', async () => {
    if (process.platform !== 'linux') return;
    // /proc/<pid>/environ belongs to the process's user, who can read it; once not dumpable, to root.
    const plain = await child(false);
    expect(plain.owner).toBe(plain.uid);
    const protectedChild = await child(true);
    expect(protectedChild.line).toStartWith('protected');
    expect(protectedChild.owner).toBe('0');
  });

  test('says why where it cannot protect', () => {
    expect(protectProcessMemory('darwin')).toBe('not protected: no prctl on "darwin"');
  });
});
