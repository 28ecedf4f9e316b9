import type { ShellParser, ShellParserOptions } from '@ceros/policy';
import type { TransparencyLog } from './ledger/transparency-log.ts';
import type { Mailer } from './mail/mailer.ts';
import type { AdminSession, Device, EdgeStore } from './store/store.ts';

/**
 * Where verified entries go next: the Merkle log (protocol/) appends one leaf per entry and signs
 * checkpoints. Called after the entries are stored, with only the newly stored ones, in seq order.
 */
export interface Ledger {
  append(orgId: string, entryBytes: readonly string[]): Promise<void>;
}

export interface PolicyIssueView {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type PolicyValidation =
  | { ok: true; document: unknown }
  | { ok: false; issues: readonly PolicyIssueView[] };

/**
 * Parses policy source text (YAML or JSON) into the document a bundle carries, or lists every
 * issue. The default is @ceros/policy's parsePolicy; tests may inject another.
 */
export type PolicyValidator = (source: string) => PolicyValidation;

/** A compiled agent binary the edge can hand out at /download/<target>/ceros. */
export interface AgentBinary {
  target: string;
  size: number;
  sha256: string;
  open(): ReadableStream<Uint8Array>;
}

export interface BinarySource {
  /** Targets the edge can serve, e.g. `linux-x64`, with their SHA-256. */
  list(): Promise<{ target: string; sha256: string }[]>;
  get(target: string): Promise<AgentBinary | undefined>;
}

export interface RateLimit {
  count: number;
  windowMs: number;
}

export interface EdgeSettings {
  /** The URL agents and browsers use to reach this edge; derived from each request when unset. */
  publicUrl: string | undefined;
  /**
   * How many reverse proxies stand in front of the edge (0: none). With N, the client address is
   * the N-th X-Forwarded-For entry from the right, the right-most one no trusted proxy wrote.
   */
  trustProxy: number;
  /**
   * Development only: show the outbox mailer's messages at /dev/outbox to direct loopback peers.
   * Off unless `serve --dev-outbox`: the page holds live enrollment and sign-in codes.
   */
  devOutbox: boolean;
  maxIngestBytes: number;
  maxIngestEntries: number;
  maxJsonBytes: number;
  codeTtlMs: number;
  /** Wrong guesses one code takes before it locks. */
  maxCodeAttempts: number;
  /** Guesses at codes per email address, across every code mailed to it, per window. */
  guessesPerEmail: RateLimit;
  /** After n unresolved wrong guesses at an address's codes, the next waits this * 2^(n-1). */
  guessBackoffMs: number;
  sendPerEmail: RateLimit;
  sendPerIp: RateLimit;
  enrollStartPerIp: RateLimit;
  enrollmentTtlMs: number;
  adminSessionTtlMs: number;
  /** A session counts as an active Claude Code instance when it has not ended and spoke this recently. */
  activeWindowMs: number;
}

export const DEFAULT_SETTINGS: EdgeSettings = {
  publicUrl: undefined,
  trustProxy: 0,
  devOutbox: false,
  maxIngestBytes: 4 * 1024 * 1024,
  maxIngestEntries: 1000,
  maxJsonBytes: 256 * 1024,
  codeTtlMs: 10 * 60_000,
  maxCodeAttempts: 5,
  guessesPerEmail: { count: 10, windowMs: 60 * 60_000 },
  guessBackoffMs: 1000,
  sendPerEmail: { count: 5, windowMs: 15 * 60_000 },
  sendPerIp: { count: 20, windowMs: 15 * 60_000 },
  enrollStartPerIp: { count: 30, windowMs: 15 * 60_000 },
  enrollmentTtlMs: 30 * 60_000,
  adminSessionTtlMs: 12 * 60 * 60_000,
  activeWindowMs: 15 * 60_000,
};

export interface EdgeDeps {
  store: EdgeStore;
  mailer: Mailer;
  clock?: { now(): number };
  ledger?: Ledger;
  /** Each organization's Merkle log and checkpoints (ledger/); without it the edge keeps no log. */
  tlog?: TransparencyLog;
  validatePolicy?: PolicyValidator;
  /** The tree-sitter wasm files for replaying shell commands; from source, the installed packages. */
  shellWasm?: ShellParserOptions;
  binaries?: BinarySource;
  settings?: Partial<EdgeSettings>;
  log?: (line: string) => void;
}

/** The resolved dependencies every route module receives. */
export interface AppContext {
  store: EdgeStore;
  mailer: Mailer;
  now: () => number;
  ledger: Ledger | undefined;
  tlog: TransparencyLog | undefined;
  validatePolicy: PolicyValidator;
  /** The bash parser policy evaluation needs, loaded on first use. */
  shellParser: () => Promise<ShellParser>;
  binaries: BinarySource | undefined;
  settings: EdgeSettings;
  log: (line: string) => void;
}

/** Hono's environment for this app: the Bun adapter passes the client IP as a binding. */
export interface EdgeEnv {
  Bindings: { ip?: string };
  Variables: {
    rawBody: Uint8Array;
    device: Device;
    signedBy: string;
    admin: AdminSession;
  };
}
