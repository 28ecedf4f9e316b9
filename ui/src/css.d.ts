/** Stylesheets are imported for their side effect; Bun's bundler extracts them (build-console.ts). */
declare module '*.css';
