/**
 * Bun-only adapter, imported first by main.ts. The `libsql` package loads its native addon with a
 * computed `require(\`@libsql/${target}\`)`, which `bun build --compile` cannot see, so the compiled
 * ceros-edge would fail with "Cannot find module '@libsql/linux-x64-gnu'" outside the repo. These
 * literal requires make the bundler embed the addon for the build machine's platform, and a
 * runtime plugin answers the computed require with it. (A failed require of another platform's
 * package is expected; Bun keeps unresolvable requires inside try/catch out of the bundle.)
 */
type Addon = Record<string, unknown>;

// Each require must sit directly in its own try block: that is what lets the bundler skip the
// packages of other platforms instead of failing the build.
function loadNative(): Addon | undefined {
  try {
    return require('@libsql/linux-x64-gnu') as Addon;
  } catch {}
  try {
    return require('@libsql/linux-x64-musl') as Addon;
  } catch {}
  try {
    return require('@libsql/linux-arm64-gnu') as Addon;
  } catch {}
  try {
    return require('@libsql/linux-arm64-musl') as Addon;
  } catch {}
  try {
    return require('@libsql/darwin-x64') as Addon;
  } catch {}
  try {
    return require('@libsql/darwin-arm64') as Addon;
  } catch {}
  return undefined;
}

const native = loadNative();
if (native && import.meta.path.startsWith('/$bunfs/')) {
  Bun.plugin({
    name: 'libsql-native',
    setup(build) {
      for (const name of [
        'linux-x64-gnu',
        'linux-x64-musl',
        'linux-arm64-gnu',
        'linux-arm64-musl',
        'darwin-x64',
        'darwin-arm64',
      ])
        build.module(`@libsql/${name}`, () => ({ exports: native, loader: 'object' }));
    },
  });
}

export {};
