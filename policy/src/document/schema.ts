import { z } from 'zod';

/**
 * The policy document, version 1. `policy/README.md` is the normative description with
 * examples; this file is its executable form. Every object is strict: an unknown field is an
 * error, because a misspelt `paths` that silently does nothing is a hole.
 */

export const EFFECTS = ['allow', 'ask', 'deny'] as const;
export const MODES = ['enforce', 'monitor'] as const;
export const POSTURE_VALUES = ['ok', 'failed', 'unknown'] as const;

const effect = z.enum(EFFECTS);
const mode = z.enum(MODES);
const id = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
    'must start with a letter or digit and use only letters, digits and . _ : / -',
  );
const text = z.string().min(1).max(2000);
const name = z.string().min(1).max(256);

/** Path patterns must say where they are anchored: no pattern relative to an unknown folder. */
export const PATH_PATTERN = /^(?:\/|~\/|~$|\$\{(?:project|home|cerosHome)\}(?:\/|$)|\*\*\/)/;
const pathPattern = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((value, ctx) => {
    if (/\$\{(?!project\}|home\}|cerosHome\})/.test(value))
      ctx.addIssue({
        code: 'custom',
        message: 'uses an unknown placeholder (known: ${project}, ${home}, ${cerosHome})',
      });
    else if (!PATH_PATTERN.test(value))
      ctx.addIssue({
        code: 'custom',
        message: 'must be absolute or start with ~/, ${project}, ${home}, ${cerosHome} or **/',
      });
  });
const programPattern = z.string().min(1).max(512);
const hostPattern = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(?:\*|(?:\*\.)?[A-Za-z0-9_*?-]+(?:\.[A-Za-z0-9_*?-]+)*\.?|\[[0-9a-fA-F:.]+\])$/,
    'must be a host name, *.domain, an IP address or *',
  );
const toolPattern = z.string().min(1).max(256);

export type Condition =
  | string
  | {
      equals?: string | number | boolean | null | undefined;
      in?: Array<string | number | boolean> | undefined;
      glob?: string | undefined;
      regex?: string | undefined;
      contains?: string | undefined;
      exists?: boolean | undefined;
      not?: Condition | undefined;
    };

const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.string().max(2000),
    z
      .strictObject({
        equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
        in: z
          .array(z.union([z.string(), z.number(), z.boolean()]))
          .max(1000)
          .optional(),
        glob: z.string().max(2000).optional(),
        regex: z.string().max(2000).optional(),
        contains: z.string().max(2000).optional(),
        exists: z.boolean().optional(),
        not: condition.optional(),
      })
      .refine(
        (value) => Object.keys(value).length > 0,
        'needs at least one test (equals, in, glob, regex, contains, exists, not)',
      ),
  ]),
);

export const ruleSchema = z.strictObject({
  id,
  description: text.optional(),
  effect,
  reason: text.optional(),
  mode: mode.optional(),
  tools: z.array(toolPattern).min(1).max(1000).optional(),
  sessionModes: z.array(name).min(1).max(32).optional(),
  when: z.record(z.string().min(1).max(256), condition).optional(),
  paths: z.array(pathPattern).min(1).max(1000).optional(),
  access: z.enum(['read', 'write', 'any']).optional(),
  programs: z.array(programPattern).min(1).max(1000).optional(),
  args: z.array(z.string().min(1).max(512)).min(1).max(64).optional(),
  hosts: z.array(hostPattern).min(1).max(1000).optional(),
  except: z.array(z.string().min(1).max(1024)).min(1).max(1000).optional(),
});

const mcpServerEntry = z.union([
  z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a server name (letters, digits, . _ -)'),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a server name (letters, digits, . _ -)'),
  }),
  z.strictObject({ command: z.array(z.string().min(1).max(4096)).min(1).max(256) }),
  z.strictObject({ url: z.string().min(1).max(4096) }),
]);

const opaqueSetting = z.union([
  effect,
  z.strictObject({ effect, reason: text.optional(), mode: mode.optional() }),
]);

/** A posture fact the agent measures: `diskEncryption`, `firewall`, `endpointProtection`... */
const factName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a fact name');

const postureRequirement = z.strictObject({
  require: z.union([z.enum(POSTURE_VALUES), z.array(z.enum(POSTURE_VALUES)).min(1)]).optional(),
  onUnmet: z.union([z.literal('refuse'), z.strictObject({ deny: z.array(toolPattern).min(1).max(1000) })]),
  reason: text.optional(),
  mode: mode.optional(),
});

/**
 * What the session may load and start besides tool calls (policy/README.md, "Session"): inline
 * shell in skills and commands, sessions nested in another session's tool call, and hooks and MCP
 * servers of other sources that the user has not approved.
 */
export const SKILL_SHELL = ['deny', 'allow'] as const;
export const NESTED_SESSIONS = ['allow', 'deny'] as const;
export const CONFIG_APPROVAL = ['required', 'off'] as const;
const sessionSettings = z.strictObject({
  skillShell: z.enum(SKILL_SHELL).optional(),
  nestedSessions: z.enum(NESTED_SESSIONS).optional(),
  configApproval: z.enum(CONFIG_APPROVAL).optional(),
});

/**
 * A test case kept with the policy: a tool call and the decision the policy must give it. Calls
 * are decided as on a device whose home is `/home/dev` and project `/home/dev/project`
 * (policy/src/policy-tests.ts), with the posture facts the case sets (`posture: { firewall: ok }`;
 * a fact it does not set is unknown, as on a device that could not measure it); `ceros policy
 * test` and the console run them, and the edge refuses to publish a version whose cases fail.
 */
const testCase = z.strictObject({
  name,
  tool: z.string().min(1).max(256),
  input: z.record(z.string(), z.unknown()).optional(),
  cwd: z.string().regex(/^\//, 'must be an absolute path').max(4096).optional(),
  posture: z.record(factName, z.enum(POSTURE_VALUES)).optional(),
  expect: z.union([effect, z.strictObject({ effect, rule: id.optional() })]),
});

export const PRIVACY_TIERS = ['metadata', 'arguments', 'full'] as const;
export const REDACTION_BLOCKS = ['tool-input'] as const;

/** A secret type names its placeholder, `[REDACTED:<id>:<hash>]`. */
const secretTypeId = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    'must use only lowercase letters, digits and . _ - (it names the placeholder)',
  );

const redactionSection = z.strictObject({
  /** The organization's own secret formats, in RE2 syntax (as gitleaks rules are written). */
  patterns: z
    .array(
      z.strictObject({
        id: secretTypeId,
        description: text.optional(),
        regex: z.string().min(1).max(2000),
        /** Only text around one of these (case-insensitive) is scanned; without them, all of it. */
        keywords: z.array(z.string().min(2).max(64)).min(1).max(32).optional(),
        /** The secret's minimum Shannon entropy in bits per character. */
        entropy: z.number().min(0).max(8).optional(),
        /** The capture group that is the secret (default: the first that matched, else all). */
        secretGroup: z.number().int().min(0).max(32).optional(),
      }),
    )
    .max(500)
    .optional(),
  /** Vendored gitleaks rules to switch off, by id. */
  disable: z.array(z.string().min(1).max(128)).max(500).optional(),
  /** Stand-alone high-entropy tokens; false turns the check off. */
  entropy: z
    .union([
      z.literal(false),
      z.strictObject({
        threshold: z.number().min(1).max(8).optional(),
        minLength: z.number().int().min(8).max(1024).optional(),
      }),
    ])
    .optional(),
  /** `tool-input`: deny a tool call whose input carries a secret (the model sees the reason). */
  block: z.array(z.enum(REDACTION_BLOCKS)).max(4).optional(),
  reason: text.optional(),
  mode: mode.optional(),
});

const retentionDays = z.number().int().min(1).max(36_500);

const privacySection = z.strictObject({
  /** What the journal keeps: metadata only, tool arguments too, or full content. */
  tier: z.enum(PRIVACY_TIERS),
  /** Days the edge keeps each class of content before deleting it (the signed chain stays). */
  retention: z
    .strictObject({ arguments: retentionDays.optional(), content: retentionDays.optional() })
    .optional(),
});

export const policyDocumentSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only policy format version)' }),
  name: name.optional(),
  description: text.optional(),
  default: effect,
  defaultReason: text.optional(),
  mode: mode.optional(),
  opaque: opaqueSetting.optional(),
  rules: z.array(ruleSchema).max(100_000).optional(),
  mcp: z
    .strictObject({
      allow: z.array(mcpServerEntry).max(1000).optional(),
      deny: z.array(mcpServerEntry).max(1000).optional(),
      reason: text.optional(),
      mode: mode.optional(),
    })
    .optional(),
  posture: z.record(factName, postureRequirement).optional(),
  session: sessionSettings.optional(),
  tests: z.array(testCase).max(1000).optional(),
  redaction: redactionSection.optional(),
  privacy: privacySection.optional(),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type McpServerEntry = z.infer<typeof mcpServerEntry>;
export type PolicyTestCase = z.infer<typeof testCase>;
export type PostureRequirement = z.infer<typeof postureRequirement>;
export type RedactionSection = z.infer<typeof redactionSection>;
export type PrivacySection = z.infer<typeof privacySection>;
export type PrivacyTier = (typeof PRIVACY_TIERS)[number];
export type SessionSettings = z.infer<typeof sessionSettings>;
export type Effect = (typeof EFFECTS)[number];
export type Mode = (typeof MODES)[number];
export type PostureValue = (typeof POSTURE_VALUES)[number];
