export {
  checkLogConsistency,
  createFileLogTrustStore,
  createMemoryLogTrustStore,
  type LogAlertCode,
  type LogCheck,
  type LogTrustStore,
  logCheckpointPath,
  logKeyPath,
  verifyLogCheckpoint,
} from './checkpoints.ts';
export {
  createEdgeClient,
  type EdgeClient,
  EdgeClientError,
  type EdgeClientOptions,
  type EdgeResponse,
  type FetchLike,
} from './client.ts';
export {
  configPath,
  type EdgeConfig,
  edgeConfigSchema,
  type InstallHint,
  installHintPath,
  journalPath,
  type ReadResult,
  readEdgeConfig,
  readInstallHint,
  uploadCursorPath,
  writeEdgeConfig,
} from './config.ts';
export {
  type DeviceDescription,
  type EnrollmentPoll,
  type EnrollmentStart,
  pollEnrollment,
  startEnrollment,
} from './enrollment.ts';
export { createJsonlEntryReader } from './jsonl-reader.ts';
export { createLogMonitor, type LogMonitor, type LogMonitorOptions, type SyncResult } from './log-monitor.ts';
export { type LogStatus, readLogStatus } from './log-status.ts';
export {
  type FetchResult,
  fetchManagedMcpServers,
  fetchPolicyBundle,
  MANAGED_MCP_PREFIX,
  type ManagedMcpList,
  type ManagedMcpServer,
  reportAdoptionGap,
  type VerifyResult,
  verifySignedDocument,
} from './policy.ts';
export {
  createFileReceiptStore,
  createMemoryReceiptStore,
  fetchReceipt,
  type LedgerAlert,
  type LedgerAlertCode,
  type Receipt,
  type ReceiptCheck,
  type ReceiptStore,
  type ReceiptVerification,
  readReceipts,
  receiptSchema,
  receiptsPath,
  verifyReceipt,
} from './receipts.ts';
export {
  createRevocationWatcher,
  type DeviceStatus,
  fetchDeviceStatus,
  REVOCATION_POLL_MS,
  type RevocationWatcher,
  type RevocationWatcherOptions,
  type StatusCheck,
} from './revocation-watcher.ts';
export {
  deviceIdFromSpki,
  deviceRequestSigner,
  HEADER,
  REQUEST_SIGNING_PREFIX,
  type RequestSigner,
  requestSigningString,
  sessionRequestSigner,
  signRequest,
} from './signed-request.ts';
export { reportSyncEvent } from './sync-report.ts';
export { readSyncState, type SyncState } from './sync-state.ts';
export {
  createUploader,
  readUploadCursor,
  type StepResult,
  UPLOAD_DEFAULTS,
  type Uploader,
  type UploaderEvent,
  type UploaderOptions,
} from './uploader.ts';
