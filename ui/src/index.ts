/** The console package's public surface for the build, the tests and the bench. */
export { buildConsole, CONSOLE_ASSET, CONSOLE_DIST, type ConsoleBuild } from './build/build-console.ts';
