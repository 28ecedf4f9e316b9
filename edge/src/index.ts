export { createApp, EDGE_VERSION, parsePolicyValidator } from './app.ts';
export { deviceIdFromSpki } from './auth/secrets.ts';
export { HEADER, REQUEST_SIGNING_PREFIX, requestSigningString } from './auth/signed-request.ts';
export { type CliIo, type CliOutcome, runEdgeCli, serveDeps } from './cli/run.ts';
export type { ServeConfig } from './cli/serve-config.ts';
export type {
  AgentBinary,
  BinarySource,
  EdgeDeps,
  EdgeSettings,
  Ledger,
  PolicyIssueView,
  PolicyValidation,
  PolicyValidator,
} from './deps.ts';
export { DEFAULT_SETTINGS } from './deps.ts';
export { EdgeError, type EdgeErrorCode, ERROR_STATUS, type ErrorBody } from './errors.ts';
export { type IngestResult, ingestBatch } from './ingest/ingest.ts';
export { type Projection, projectEntry } from './ingest/project.ts';
export { createDistFolderBinaries, hostTarget } from './install/dist-folder.ts';
export { INSTALL_TARGETS, renderInstallScript } from './install/install-script.ts';
export { exportPeriod, type PeriodExportInput } from './ledger/period-export.ts';
export {
  type ConsistencyProof,
  createTransparencyLog,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  type InclusionProof,
  type LogKeyInfo,
  type TransparencyLog,
  type TransparencyLogOptions,
} from './ledger/transparency-log.ts';
export { parseWitnessEndpoint, type WitnessEndpoint, type WitnessOutcome } from './ledger/witnesses.ts';
export { createOutboxMailer, type Mailer, type MailMessage, type OutboxMailer } from './mail/mailer.ts';
export { createSmtpMailer, type SmtpMailerOptions } from './mail/smtp-mailer.ts';
export { addAdmin, createOrganization, slugify } from './orgs.ts';
export type { ManagedMcpBody, Signed } from './policy/signed-document.ts';
export { MANAGED_MCP_PREFIX, orgKeyId } from './policy/signed-document.ts';
export type { SessionResponse } from './routes/admin.ts';
export type { PollResponse } from './routes/enroll.ts';
export type { CheckpointResponse } from './routes/ledger.ts';
export { createLibsqlStore, type LibsqlStoreOptions, libsqlStore } from './store/libsql-store.ts';
export type { EdgeStore } from './store/store.ts';
