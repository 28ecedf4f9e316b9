import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { createDetector, type Detector, HIGH_ENTROPY_TYPE, PLACEHOLDER } from './detect.ts';
import { DEFAULT_ENTROPY } from './entropy.ts';
import vendored from './gitleaks/rules.json' with { type: 'json' };
import { translateGoRegex } from './go-regex.ts';
import { redactAsync, redactSync, UNSCANNED_TYPE } from './redact.ts';
import { vendoredRules } from './rules.ts';

/** Deterministic filler from an alphabet: test secrets are made up, never real. */
function filler(length: number, alphabet: string, seed = 7): string {
  let out = '';
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[(x >>> 16) % alphabet.length];
  }
  return out;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const URLSAFE = `${ALNUM}_-`;
const AWS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const SAMPLE = {
  anthropic: `sk-ant-api03-${filler(93, URLSAFE)}AA`,
  openai: `sk-proj-${filler(74, URLSAFE)}T3BlbkFJ${filler(74, URLSAFE, 9)}`,
  github: `ghp_${filler(36, ALNUM)}`,
  slack: `xoxb-1234567890-1234567890123-${filler(24, ALNUM)}`,
  aws: `AKIA${filler(16, AWS)}`,
  jwt: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${filler(43, URLSAFE)}`,
  gcp: `AIza${filler(35, URLSAFE)}`,
  privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${filler(64, `${ALNUM}+/`)}\n${filler(64, `${ALNUM}+/`, 3)}\n-----END RSA PRIVATE KEY-----`,
  entropy: filler(40, ALNUM, 11),
};

const keyedHash = (secret: string) => createHmac('sha256', 'test key').update(secret).digest('hex');
const noEntropy = createDetector({ entropy: false });
const withEntropy = createDetector({ entropy: DEFAULT_ENTROPY });

function typesIn(detector: Detector, text: string): string[] {
  const steps = detector.scan(text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value.map((f) => f.type);
  }
}

describe('the detector', () => {
  // Every kind of rule: a vendored rule with keywords, with an entropy floor, with a secret group,
  // a multi-line rule, a generic rule (digit and allowlist filters), the global allowlist,
  // an organization pattern and the stand-alone entropy check. Each has a near miss.
  const cases: { name: string; type: string; hit: string; miss: string; detector?: Detector }[] = [
    {
      name: 'an Anthropic API key',
      type: 'anthropic-api-key',
      hit: `export ANTHROPIC_API_KEY=${SAMPLE.anthropic}\n`,
      miss: `export ANTHROPIC_API_KEY=sk-ant-api03-${filler(92, URLSAFE)}AA\n`,
    },
    {
      name: 'an OpenAI project key',
      type: 'openai-api-key',
      hit: `OPENAI_API_KEY="${SAMPLE.openai}"`,
      miss: `OPENAI_API_KEY="sk-proj-${filler(74, URLSAFE)}T3BlbkFX${filler(74, URLSAFE, 9)}"`,
    },
    {
      name: 'a GitHub token',
      type: 'github-pat',
      hit: `token ${SAMPLE.github}`,
      miss: `ghp_${filler(35, ALNUM)}`,
    },
    {
      name: 'a Slack bot token',
      type: 'slack-bot-token',
      hit: SAMPLE.slack,
      miss: `xoxb-123456789-1234567890123-${filler(24, ALNUM)}`,
    },
    {
      name: 'an AWS access key id (entropy floor and global stopwords)',
      type: 'aws-access-token',
      hit: `aws_access_key_id = ${SAMPLE.aws}`,
      miss: 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    },
    {
      name: 'a JWT',
      type: 'jwt',
      hit: `Authorization: ${SAMPLE.jwt}`,
      miss: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx',
    },
    {
      name: 'a GCP API key (rule allowlist)',
      type: 'gcp-api-key',
      hit: `key=${SAMPLE.gcp}`,
      miss: 'key=AIzaSyabcdefghijklmnopqrstuvwxyz1234567',
    },
    {
      name: 'a PEM private key (multi-line)',
      type: 'private-key',
      hit: `cat id_rsa\n${SAMPLE.privateKey}\n`,
      miss: '-----BEGIN RSA PRIVATE KEY-----\nshort\n-----END RSA PRIVATE KEY-----',
    },
    {
      name: 'a generic password assignment (needs a digit, not an allowlisted name)',
      type: 'generic-api-key',
      hit: 'db_secret: "Zr8mQ2vL9xKp4TnW"',
      miss: 'db_secret: "correcthorsebatterystaple"',
    },
    {
      name: 'an organization pattern',
      type: 'acme-deploy-token',
      hit: `deploying with acme_dt_${filler(32, '0123456789abcdef')}`,
      miss: `deploying with acme_dt_${filler(31, '0123456789abcdef')}`,
      detector: createDetector({
        entropy: false,
        patterns: [{ id: 'acme-deploy-token', regex: '\\bacme_dt_[0-9a-f]{32}\\b', keywords: ['acme_dt_'] }],
      }),
    },
    {
      name: 'a high-entropy token',
      type: HIGH_ENTROPY_TYPE,
      hit: `value ${SAMPLE.entropy} end`,
      // A SHA-256 digest: no upper case, so not a credential by this check.
      miss: `value ${'9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'} end`,
      detector: withEntropy,
    },
  ];
  for (const c of cases) {
    test(`finds ${c.name}, and not its near miss`, () => {
      const detector = c.detector ?? noEntropy;
      expect(typesIn(detector, c.hit)).toContain(c.type);
      expect(typesIn(detector, c.miss)).not.toContain(c.type);
    });
  }

  test('every vendored rule compiles, or is reported with why', () => {
    const { rules, problems } = vendoredRules();
    const accounted = new Set([...rules.map((r) => r.id), ...problems.map((p) => p.id)]);
    const data = vendored as { rules: { id: string }[]; skipped: { id: string }[] };
    for (const rule of [...data.rules, ...data.skipped]) expect(accounted.has(rule.id)).toBe(true);
    expect(rules.length).toBe(data.rules.length);
    expect(problems.map((p) => p.id)).toEqual(data.skipped.map((s) => s.id));
  });

  test('Go inline flags, named groups, \\z and POSIX classes mean in JavaScript what they mean in RE2', () => {
    const patterns = [
      '\\b(p8e-(?i)[a-z0-9]{4})(?:\\s|$)',
      'a(?:b|(?i)c|d)e',
      '(?i)x(?-i:Y)z',
      '(?P<name>[[:alnum:]]{3})\\z',
      'k[[:xdigit:]]+\\.',
    ];
    const inputs = fc.string({
      unit: fc.constantFrom(
        'a',
        'b',
        'c',
        'C',
        'D',
        'd',
        'e',
        'E',
        'x',
        'X',
        'y',
        'Y',
        'z',
        'Z',
        'p',
        '8',
        '-',
        'k',
        'F',
        '.',
        ' ',
        '\n',
        '1',
      ),
    });
    for (const pattern of patterns) {
      const translated = translateGoRegex(pattern);
      if (!translated.ok) throw new Error(translated.error);
      const js = new RegExp(translated.source);
      const re2 = RE2JS.compile(pattern);
      fc.assert(
        fc.property(
          fc.tuple(fc.constantFrom('p8e-', 'aCe', 'xYz', 'XyZ', 'k1F.', ''), inputs),
          ([seed, rest]) => {
            const text = seed + rest;
            expect(js.test(text)).toBe(re2.matcher(text).find());
          },
        ),
        { numRuns: 300 },
      );
    }
  });

  test('refuses what it cannot translate instead of running another pattern', () => {
    expect(translateGoRegex('(?U)a+').ok).toBe(false);
    expect(translateGoRegex('\\p{Greek}').ok).toBe(false);
    expect(translateGoRegex('[[:^alpha:]]').ok).toBe(false);
  });
});

describe('redaction', () => {
  test('replaces each secret with a typed placeholder whose keyed hash correlates equal secrets', () => {
    const result = redactSync(
      { prompt: `use ${SAMPLE.anthropic} please`, args: ['x', SAMPLE.anthropic], other: SAMPLE.github },
      noEntropy,
      { keyedHash },
    );
    const tag = keyedHash(SAMPLE.anthropic).slice(0, 12);
    expect(result.value.prompt).toBe(`use [REDACTED:anthropic-api-key:${tag}] please`);
    expect(result.value.args[1]).toBe(`[REDACTED:anthropic-api-key:${tag}]`);
    expect(result.value.other).toMatch(/^\[REDACTED:github-pat:[0-9a-f]{12}\]$/);
    expect(result.counts).toEqual({ 'anthropic-api-key': 2, 'github-pat': 1 });
    expect(result.complete).toBe(true);
  });

  test('a value without secrets comes back as it was', () => {
    const value = { text: 'npm test\n42 passed', n: 3, ok: true, none: null };
    expect(redactSync(value, withEntropy, { keyedHash })).toEqual({ value, counts: {}, complete: true });
  });

  test('a scan that runs out of budget replaces every long string unscanned (fail closed)', () => {
    let clock = 0;
    const result = redactSync({ a: `x ${SAMPLE.anthropic}`, b: 'short' }, noEntropy, {
      keyedHash,
      maxMillis: 1,
      now: () => (clock += 5),
    });
    expect(result.complete).toBe(false);
    expect(result.value.a).toMatch(/^\[REDACTED:unscanned:[0-9a-f]{12}\]$/);
    expect(result.value.b).toBe('short');
    expect(result.counts[UNSCANNED_TYPE]).toBe(1);
  });

  test('the asynchronous scan pauses and finds what the synchronous one finds', async () => {
    const big = `${'lorem ipsum dolor key = value\n'.repeat(40_000)}token: ${SAMPLE.github}\n`;
    let pauses = 0;
    let clock = 0;
    const result = await redactAsync({ big }, noEntropy, {
      keyedHash,
      pause: async () => {
        pauses++;
      },
      sliceMillis: 1,
      maxMillis: 1_000_000,
      now: () => clock++,
    });
    expect(pauses).toBeGreaterThan(0);
    expect(result).toEqual(redactSync({ big }, noEntropy, { keyedHash, maxMillis: 1_000_000 }));
    expect(result.value.big).not.toContain(SAMPLE.github);
  });

  test('redaction is idempotent, total on any JSON, and never leaves a detected secret in clear', () => {
    const secret = fc.constantFrom(...Object.values(SAMPLE));
    const json = fc.jsonValue({ maxDepth: 4 });
    const glue = fc.constantFrom(' ', '\n', '"', '=', ': ', '\t', ' x ');
    const withSecrets = fc.tuple(json, fc.array(secret, { maxLength: 3 }), glue).map(([j, s, glue]) => ({
      j,
      s: s.map((x) => `${glue}${x}${glue.length % 2 ? '\n' : ' '}`),
    }));
    fc.assert(
      fc.property(withSecrets, (value) => {
        const once = redactSync(value, withEntropy, { keyedHash });
        const twice = redactSync(once.value, withEntropy, { keyedHash });
        expect(twice.value).toEqual(once.value);
        const text = JSON.stringify(once.value);
        for (const s of [SAMPLE.anthropic, SAMPLE.github, SAMPLE.aws, SAMPLE.openai])
          expect(text).not.toContain(s);
      }),
      { numRuns: 150 },
    );
  });

  test('pathological input and a pathological organization pattern finish', () => {
    const detector = createDetector({
      entropy: DEFAULT_ENTROPY,
      patterns: [
        { id: 'evil', regex: '(a+)+$' },
        { id: 'evil2', regex: '(x|x)*y' },
      ],
    });
    const inputs = [
      `${'a'.repeat(200_000)}!`,
      'x'.repeat(200_000),
      `key=${'='.repeat(100_000)}`,
      `${'-----BEGIN PRIVATE KEY-----'.repeat(2000)}`,
      `curl ${'-H '.repeat(30_000)}`,
      `${'ey'.repeat(100_000)}`,
      `\uD800${'password: '.repeat(20_000)}`,
    ];
    for (const input of inputs) {
      const result = redactSync({ input }, detector, { keyedHash, maxMillis: 60_000 });
      expect(result.complete).toBe(true);
    }
  });

  test('fuzzed text never throws, and placeholders in the output are well formed', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('key', '=', '"', 'sk-', 'ghp_', 'ey', '-----BEGIN', '\n', ' ', 'AKIA'),
        fc.string({ minLength: 1, maxLength: 1 }),
      ),
      maxLength: 400,
    });
    fc.assert(
      fc.property(text, (t) => {
        const result = redactSync({ t }, withEntropy, { keyedHash });
        const out = result.value.t;
        for (const m of out.matchAll(/\[REDACTED:[^\]]*\]/g))
          expect(m[0]).toMatch(new RegExp(`^${PLACEHOLDER.source}$`));
      }),
      { numRuns: 300 },
    );
  });
});
