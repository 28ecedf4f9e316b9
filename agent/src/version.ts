/** Replaced at build time by scripts/build.ts through --define; "dev" when run from source. */
declare const CEROS_VERSION: string | undefined;
export const VERSION: string = typeof CEROS_VERSION === 'string' ? CEROS_VERSION : '0.1.0-dev';
