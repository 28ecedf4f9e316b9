import { fileURLToPath } from 'node:url';
import { Language, type Node, Parser, type Tree } from 'web-tree-sitter';
import { PolicyError } from '../errors.ts';

/**
 * The bash parser behind evaluate(): tree-sitter-bash compiled to WebAssembly. Initialisation is
 * async (it instantiates two wasm modules, ~55 ms); parsing afterwards is synchronous (~75 µs for
 * a typical command), which is what lets evaluate() stay synchronous.
 */
export interface ShellParser {
  readonly kind: 'tree-sitter-bash';
  /** Parses `source`; the caller must call `release()` on the result. Undefined if the parser gave up. */
  parse(source: string): ParsedShell | undefined;
}

export interface ParsedShell {
  readonly root: Node;
  release(): void;
}

export interface ShellParserOptions {
  /**
   * web-tree-sitter's runtime (`tree-sitter.wasm`): a file path or its bytes. A compiled binary
   * embeds the file (`import p from 'web-tree-sitter/tree-sitter.wasm' with { type: 'file' }`)
   * and passes the path, or reads it and passes the bytes. Defaults to the installed package.
   */
  runtimeWasm?: string | Uint8Array;
  /** The grammar (`tree-sitter-bash.wasm`): a file path or its bytes. Defaults to the installed package. */
  bashWasm?: string | Uint8Array;
}

/** Input longer than this is not parsed; evaluate() treats it as opaque. */
export const MAX_SHELL_SOURCE = 100_000;

let runtimeReady: Promise<void> | undefined;

export async function createShellParser(options: ShellParserOptions = {}): Promise<ShellParser> {
  try {
    runtimeReady ??= initRuntime(options.runtimeWasm);
    await runtimeReady;
    const grammar = options.bashWasm ?? defaultAsset('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(grammar);
    const parser = new Parser();
    parser.setLanguage(language);
    return createParser(parser);
  } catch (error) {
    runtimeReady = undefined;
    throw new PolicyError(
      'SHELL_PARSER_INIT',
      `Cannot initialise the bash parser: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function initRuntime(runtime: string | Uint8Array | undefined): Promise<void> {
  if (runtime instanceof Uint8Array) return Parser.init({ wasmBinary: runtime });
  const path = runtime ?? defaultAsset('web-tree-sitter/tree-sitter.wasm');
  return Parser.init({ locateFile: () => path });
}

function defaultAsset(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

function createParser(parser: Parser): ShellParser {
  return {
    kind: 'tree-sitter-bash',
    parse(source: string): ParsedShell | undefined {
      if (source.length > MAX_SHELL_SOURCE) return undefined;
      parser.reset();
      let tree: Tree | null;
      try {
        tree = parser.parse(source);
      } catch {
        return undefined;
      }
      if (!tree) return undefined;
      const owned = tree;
      return { root: owned.rootNode, release: () => owned.delete() };
    },
  };
}
