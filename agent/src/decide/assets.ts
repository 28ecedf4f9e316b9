import type { ShellParserOptions } from '@ceros/policy';

/**
 * The tree-sitter wasm files, embedded in the compiled binary by scripts/build.ts, which sets
 * this global before the CLI bundle loads. From source, the installed packages are used.
 */
export function embeddedWasm(): ShellParserOptions {
  const assets = (globalThis as { __CEROS_WASM__?: ShellParserOptions }).__CEROS_WASM__;
  return assets ?? {};
}
