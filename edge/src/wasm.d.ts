/** `import path from 'x.wasm' with { type: 'file' }`: Bun embeds the file and gives its path. */
declare module '*.wasm' {
  const path: string;
  export default path;
}
