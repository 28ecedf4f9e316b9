// The public surface of @ceros/policy (STYLE.md 9): adding an export is an API decision.

export {
  BUNDLE_FORMAT,
  BUNDLE_SIGNING_PREFIX,
  type BundleErrorCode,
  type BundlePayload,
  type BundleSigner,
  type PolicyBundle,
  signBundle,
  type TrustedKey,
  type VerifiedBundle,
  type VerifyBundleResult,
  verifyBundle,
} from './bundle/bundle.ts';
export {
  type ClaudeMcpServerEntry,
  type ClaudeSettingsContext,
  type ClaudeSettingsFragment,
  compileToClaudeSettings,
} from './claude-settings.ts';
export { type PolicyIssue, type PolicyIssueCode, TOOL_CLASSES } from './document/check.ts';
export {
  type ParsePolicyOptions,
  type ParsePolicyResult,
  parsePolicy,
  parsePolicyObject,
} from './document/parse-policy.ts';
export type {
  Condition,
  McpServerEntry,
  PolicyDocument,
  PolicyRule,
  PolicyTestCase,
  PostureRequirement,
  PrivacySection,
  PrivacyTier,
  RedactionSection,
} from './document/schema.ts';
export { PolicyError, type PolicyErrorCode } from './errors.ts';
export {
  type CompiledPolicy,
  type CompileOptions,
  compilePolicy,
  DEFAULT_OPAQUE_EFFECT,
  formatIssues,
  policyHash,
} from './evaluate/compile-policy.ts';
export { evaluate, ON_EVALUATION_ERROR } from './evaluate/evaluate.ts';
export {
  type HookInput,
  type HookTool,
  isToolHookInput,
  type ParseHookInputResult,
  parseHookInput,
  parseHookText,
  parsePreToolUse,
  type SessionFacts,
  TOOL_EVENTS,
  type ToolHookInput,
  toEvaluationInput,
} from './hook-input.ts';
export { createFakeReaddir, type DirEntry, type ReaddirFn } from './paths/readdir.ts';
export { createFakeRealpath, type RealpathFn } from './paths/resolve.ts';
export {
  type PolicyTestReport,
  type PolicyTestResult,
  runPolicyTests,
  TEST_HOME,
  TEST_PROJECT,
  testDeviceContext,
} from './policy-tests.ts';
export { checkSessionPosture, type PostureCheck, type PostureFinding } from './posture.ts';
export {
  createDetector,
  type Detector,
  type DetectorOptions,
  type Finding,
  HIGH_ENTROPY_TYPE,
  PLACEHOLDER,
} from './redaction/detect.ts';
export { DEFAULT_ENTROPY, type EntropySettings, shannonEntropy } from './redaction/entropy.ts';
export { detectorOptions, policyDetector, privacyTier } from './redaction/policy-redaction.ts';
export {
  type AsyncRedactOptions,
  placeholder,
  type Redaction,
  type RedactOptions,
  redactAsync,
  redactSync,
  UNSCANNED_TYPE,
} from './redaction/redact.ts';
export { type OrganizationPattern, VENDORED_SOURCE, vendoredRules } from './redaction/rules.ts';
export { type ReplayCall, type ReplayedDecision, type ReplayResult, replayDecisions } from './replay.ts';
export { type AnalyzeOptions, analyzeShell } from './shell/analyze.ts';
export { isCodeLoadingVariable } from './shell/code-env.ts';
export type { CommandFact, HostFact, OpaqueFact, PathFact, ShellAnalysis } from './shell/facts.ts';
export {
  createShellParser,
  MAX_SHELL_SOURCE,
  type ShellParser,
  type ShellParserOptions,
} from './shell/parser.ts';
export { isStarterName, STARTER_NAMES, type StarterName, starterPolicy } from './starters/starters.ts';
export type {
  Decision,
  DecisionMatch,
  Effect,
  EvaluationContext,
  EvaluationInput,
  McpServerIdentity,
  Mode,
  PostureValue,
} from './types.ts';
