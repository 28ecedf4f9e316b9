import { beforeAll, describe, expect, test } from 'bun:test';
import { parsePolicy } from '../document/parse-policy.ts';
import type { PolicyDocument } from '../document/schema.ts';
import { createFakeRealpath } from '../paths/resolve.ts';
import { createShellParser } from '../shell/parser.ts';
import type { Effect, EvaluationContext, EvaluationInput } from '../types.ts';
import { type CompiledPolicy, compilePolicy } from './compile-policy.ts';
import { evaluate } from './evaluate.ts';

const HOME = '/home/u';
const PROJECT = '/home/u/p';
let ctx: EvaluationContext;

beforeAll(async () => {
  ctx = {
    home: HOME,
    cerosHome: `${HOME}/.ceros`,
    cerosBinary: '/usr/local/bin/ceros',
    realpath: createFakeRealpath({ [`${PROJECT}/keys`]: `${HOME}/.ssh`, '/tmp': '/private/tmp' }),
    shell: await createShellParser(),
    mcpServers: { gh: { command: ['npx', '-y', '@modelcontextprotocol/server-github'] } },
  };
});

function policy(doc: Omit<PolicyDocument, 'version'> | string): CompiledPolicy {
  const text = typeof doc === 'string' ? doc : JSON.stringify({ version: 1, ...doc });
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compilePolicy(parsed.value);
}

const call = (
  toolName: string,
  toolInput: Record<string, unknown>,
  extra: Partial<EvaluationInput> = {},
): EvaluationInput => ({ toolName, toolInput, cwd: PROJECT, projectDir: PROJECT, ...extra });
const bash = (command: string, extra: Partial<EvaluationInput> = {}) => call('Bash', { command }, extra);

describe('evaluate() with the minimal policy the agent spine uses', () => {
  const minimal = () =>
    policy(
      '{ "version": 1, "default": "allow", "rules": [ { "id": "no-bash", "tools": ["Bash"], "effect": "deny", "reason": "Bash is disabled for this team" } ] }',
    );

  test('denies Bash with the rule id, its reason and the policy hash', () => {
    const p = minimal();
    const decision = evaluate(p, bash('ls'), ctx);
    expect(decision).toMatchObject({
      effect: 'deny',
      rule: 'no-bash',
      reason: 'Bash is disabled for this team',
      policyHash: p.hash,
    });
    expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('allows other tools by default', () => {
    expect(evaluate(minimal(), call('Read', { file_path: `${PROJECT}/a.ts` }), ctx)).toMatchObject({
      effect: 'allow',
      rule: 'default',
    });
  });
});

describe('evaluate() combines rules: deny beats ask beats allow', () => {
  const p = () =>
    policy({
      default: 'deny',
      rules: [
        { id: 'bash-ok', tools: ['Bash'], effect: 'allow' },
        {
          id: 'ask-git-push',
          programs: ['git'],
          args: ['push'],
          effect: 'ask',
          reason: 'Pushing needs a person',
        },
        { id: 'no-rm', programs: ['rm'], effect: 'deny' },
      ],
    });

  test.each([
    ['git status', 'allow', 'bash-ok'],
    ['git push origin main', 'ask', 'ask-git-push'],
    ['git push && rm -rf build', 'deny', 'no-rm'],
    ['rm x; git push', 'deny', 'no-rm'],
  ])('%s -> %s by %s', (command, effect, rule) => {
    expect(evaluate(p(), bash(command), ctx)).toMatchObject({ effect, rule });
  });

  test('falls back to the default when no rule matches', () => {
    expect(evaluate(p(), call('Read', { file_path: '/x' }), ctx)).toMatchObject({
      effect: 'deny',
      rule: 'default',
    });
  });
});

describe('evaluate() in monitor mode', () => {
  test('allows what a monitor rule would deny and says so for the journal', () => {
    const p = policy({
      default: 'allow',
      rules: [{ id: 'watch-curl', programs: ['curl'], effect: 'deny', mode: 'monitor' }],
    });
    const decision = evaluate(p, bash('curl https://example.com'), ctx);
    expect(decision.effect).toBe('allow');
    expect(decision.monitor).toMatchObject({ effect: 'deny', rule: 'watch-curl' });
  });

  test('a monitor-mode policy allows everything, reporting what enforcement would do', () => {
    const p = policy({
      default: 'deny',
      mode: 'monitor',
      rules: [{ id: 'secrets', paths: ['~/.ssh/**'], effect: 'deny' }],
    });
    expect(evaluate(p, bash('cat ~/.ssh/id_rsa'), ctx)).toMatchObject({
      effect: 'allow',
      monitor: { effect: 'deny', rule: 'secrets' },
    });
    expect(evaluate(p, bash('ls'), ctx)).toMatchObject({
      effect: 'allow',
      monitor: { effect: 'deny', rule: 'default' },
    });
  });

  test('self-protection is enforced even when the policy only monitors', () => {
    const p = policy({ default: 'allow', mode: 'monitor', rules: [] });
    expect(evaluate(p, bash('rm -rf ~/.ceros'), ctx)).toMatchObject({
      effect: 'deny',
      rule: 'self-protection',
    });
  });
});

describe('evaluate() normalises paths before matching', () => {
  const p = () => policy({ default: 'allow', rules: [{ id: 'ssh', paths: ['~/.ssh/**'], effect: 'deny' }] });

  test('denies Read of ~/.ssh/id_rsa reached through ../ from the project', () => {
    expect(evaluate(p(), call('Read', { file_path: `${PROJECT}/../.ssh/id_rsa` }), ctx).effect).toBe('deny');
  });

  test('denies Read through a symlink inside the project that points at ~/.ssh', () => {
    const decision = evaluate(p(), call('Read', { file_path: `${PROJECT}/keys/id_rsa` }), ctx);
    expect(decision.effect).toBe('deny');
    expect(decision.detail).toContain('resolves to /home/u/.ssh/id_rsa');
  });

  test('matches the realpath form of a policy prefix (macOS /tmp is /private/tmp)', () => {
    const tmp = policy({ default: 'allow', rules: [{ id: 'tmp', paths: ['/tmp/**'], effect: 'deny' }] });
    expect(evaluate(tmp, call('Read', { file_path: '/private/tmp/x' }), ctx).effect).toBe('deny');
  });

  test('matches case-insensitively when the file system is', () => {
    const decision = evaluate(p(), call('Read', { file_path: `${HOME}/.SSH/id_rsa` }), {
      ...ctx,
      caseInsensitivePaths: true,
    });
    expect(decision.effect).toBe('deny');
  });
});

describe('evaluate() allowlists', () => {
  const p = () =>
    policy({
      default: 'allow',
      rules: [
        { id: 'programs', programs: ['*'], except: ['ls', 'cat'], effect: 'deny' },
        { id: 'project-only', paths: ['/**'], except: ['${project}/**'], access: 'read', effect: 'deny' },
      ],
    });

  test.each([
    ['ls', 'allow'],
    ['cat src/a.ts', 'allow'],
    ['./ls', 'deny'],
    ['PATH=/tmp:$PATH ls', 'deny'],
    ['cat /etc/hosts', 'deny'],
    ['cat keys/id_rsa', 'deny'],
    ['rm x', 'deny'],
  ])('%s -> %s', (command, effect) => {
    expect(evaluate(p(), bash(command), ctx).effect).toBe(effect as Effect);
  });
});

describe('evaluate() tool rules with conditions', () => {
  test('matches tool argument conditions', () => {
    const p = policy({
      default: 'allow',
      rules: [
        {
          id: 'no-internal',
          tools: ['WebFetch'],
          when: { url: { glob: 'https://internal.*' } },
          effect: 'deny',
        },
      ],
    });
    expect(
      evaluate(p, call('WebFetch', { url: 'https://internal.example/x', prompt: 'x' }), ctx).effect,
    ).toBe('deny');
    expect(evaluate(p, call('WebFetch', { url: 'https://docs.example/x', prompt: 'x' }), ctx).effect).toBe(
      'allow',
    );
  });

  test('filters by session mode', () => {
    const p = policy({
      default: 'allow',
      rules: [{ id: 'no-bypass-bash', tools: ['Bash'], sessionModes: ['bypassPermissions'], effect: 'deny' }],
    });
    expect(evaluate(p, bash('ls', { sessionMode: 'bypassPermissions' }), ctx).effect).toBe('deny');
    expect(evaluate(p, bash('ls', { sessionMode: 'default' }), ctx).effect).toBe('allow');
  });

  test('tool classes expand to their tools', () => {
    const p = policy({
      default: 'allow',
      rules: [{ id: 'read-only', tools: ['@write', '@shell'], effect: 'deny' }],
    });
    expect(evaluate(p, call('MultiEdit', { file_path: `${PROJECT}/a`, edits: [] }), ctx).effect).toBe('deny');
    expect(evaluate(p, call('Read', { file_path: `${PROJECT}/a` }), ctx).effect).toBe('allow');
  });
});

describe('evaluate() network rules', () => {
  const p = () =>
    policy({
      default: 'allow',
      rules: [{ id: 'hosts', hosts: ['*'], except: ['github.com', '*.npmjs.org'], effect: 'deny' }],
    });

  test.each([
    [bash('curl -s https://registry.npmjs.org/react'), 'allow'],
    [bash('curl -s https://evil.example/x'), 'deny'],
    [bash('git clone https://github.com/acme/web'), 'allow'],
    [bash('git clone git@evil.example:acme/web'), 'deny'],
    [bash('curl "$URL"'), 'ask'],
    [call('WebFetch', { url: 'https://github.com/acme', prompt: 'x' }), 'allow'],
    [call('WebFetch', { url: 'https://EVIL.example./', prompt: 'x' }), 'deny'],
    [call('WebSearch', { query: 'x', allowed_domains: ['github.com'] }), 'allow'],
  ])('%#: %p -> %s', (input, effect) => {
    expect(evaluate(p(), input, ctx).effect).toBe(effect as Effect);
  });
});

describe('evaluate() MCP servers', () => {
  test('an allowlist denies servers not on it, by name or by identity', () => {
    const p = policy({
      default: 'allow',
      mcp: { allow: [{ command: ['npx', '-y', '@modelcontextprotocol/server-github'] }, 'docs'] },
    });
    expect(evaluate(p, call('mcp__gh__list_issues', {}), ctx).effect).toBe('allow');
    expect(evaluate(p, call('mcp__docs__search', {}), ctx).effect).toBe('allow');
    expect(evaluate(p, call('mcp__other__x', {}), ctx)).toMatchObject({
      effect: 'deny',
      rule: 'mcp-allowlist',
    });
    expect(evaluate(p, call('ReadMcpResourceTool', { server: 'other', uri: 'x://y' }), ctx).effect).toBe(
      'deny',
    );
  });

  test('an empty allowlist denies every server', () => {
    const p = policy({ default: 'allow', mcp: { allow: [] } });
    expect(evaluate(p, call('mcp__gh__x', {}), ctx).effect).toBe('deny');
  });

  test('a deny entry wins over an allowlist entry for another split of the name', () => {
    const p = policy({ default: 'allow', mcp: { allow: ['a'], deny: ['a__b'] } });
    expect(evaluate(p, call('mcp__a__b__c', {}), ctx)).toMatchObject({ effect: 'deny', rule: 'mcp-deny' });
  });
});

describe('evaluate() posture requirements', () => {
  const p = () =>
    policy({
      default: 'allow',
      posture: {
        diskEncryption: { require: 'ok', onUnmet: 'refuse', reason: 'Disk encryption is required' },
        endpointProtection: { require: ['ok', 'unknown'], onUnmet: { deny: ['@shell', '@network'] } },
      },
    });

  test('refuses every call when a refusing requirement is unmet', () => {
    expect(
      evaluate(
        p(),
        call(
          'Read',
          { file_path: `${PROJECT}/a` },
          { posture: { diskEncryption: 'failed', endpointProtection: 'ok' } },
        ),
        ctx,
      ),
    ).toMatchObject({
      effect: 'deny',
      rule: 'posture/diskEncryption',
      reason: 'Disk encryption is required',
    });
  });

  test('missing facts count as unknown', () => {
    expect(evaluate(p(), call('Read', { file_path: `${PROJECT}/a` }), ctx).effect).toBe('deny');
  });

  test('denies only the listed tool classes for a restricting requirement', () => {
    const posture = { diskEncryption: 'ok', endpointProtection: 'failed' } as const;
    expect(evaluate(p(), bash('ls', { posture }), ctx).effect).toBe('deny');
    expect(evaluate(p(), call('Read', { file_path: `${PROJECT}/a` }, { posture }), ctx).effect).toBe('allow');
  });
});

describe('evaluate() self-protection', () => {
  const p = () => policy({ default: 'allow', opaque: 'allow' });

  test.each([
    bash('echo {} > .claude/settings.json'),
    bash('rm -rf .claude'),
    bash('mv ~/.claude /tmp/x'),
    bash('cp x /usr/local/bin/ceros'),
    bash('cat ~/.ceros/device.key'),
    call('Write', { file_path: `${HOME}/.claude.json`, content: '{}' }),
    call('Edit', { file_path: '/etc/claude-code/managed-settings.json', old_string: 'a', new_string: 'b' }),
  ])('denies %p even under an allow-everything policy', (input) => {
    expect(evaluate(p(), input, ctx)).toMatchObject({ effect: 'deny', rule: 'self-protection' });
  });

  test('respects CLAUDE_CONFIG_DIR', () => {
    expect(
      evaluate(p(), bash('echo {} > /cfg/settings.json'), { ...ctx, claudeConfigDir: '/cfg' }).effect,
    ).toBe('deny');
  });

  test('lifts an opaque "allow" to ask: unreadable code could rewrite protected files', () => {
    expect(evaluate(p(), bash('eval "$X"'), ctx)).toMatchObject({
      effect: 'ask',
      rule: 'self-protection',
      opaque: true,
    });
  });

  test('protects the policy file in force (EvaluationContext.protectedFiles) from every tool', () => {
    const withPolicy = { ...ctx, protectedFiles: [`${PROJECT}/policy.yaml`] };
    for (const input of [
      bash('printf "default: allow" > policy.yaml'),
      bash('tar -xf x.tar --transform s/x/policy.yaml/ -C . && cp /tmp/p policy.yaml'),
      call('Write', { file_path: `${PROJECT}/policy.yaml`, content: 'version: 1' }),
    ])
      expect(evaluate(p(), input, withPolicy)).toMatchObject({ effect: 'deny', rule: 'self-protection' });
    expect(evaluate(p(), call('Read', { file_path: `${PROJECT}/policy.yaml` }), withPolicy).effect).toBe(
      'allow',
    );
    expect(evaluate(p(), bash('printf x > policy.yaml'), ctx).effect).toBe('allow');
  });

  test.each([
    'ceros approve --all',
    '/usr/local/bin/ceros approve',
    'env CEROS_HOME=/tmp/x ceros approve --all',
    'ceros $CMD --all',
    'bash -c "ceros approve"',
  ])('denies %p: only the user approves hooks and MCP servers for later sessions', (command) => {
    expect(evaluate(p(), bash(command), ctx)).toMatchObject({ effect: 'deny', rule: 'self-protection' });
  });

  test.each(['ceros log --json', 'ceros claude -p hi', 'ceros --help', 'ceros policy check p.yaml'])(
    'allows %p',
    (command) => {
      expect(evaluate(p(), bash(command), ctx).effect).toBe('allow');
    },
  );

  test('allows ordinary writes to .claude/commands', () => {
    expect(
      evaluate(p(), call('Write', { file_path: `${PROJECT}/.claude/commands/x.md`, content: 'x' }), ctx)
        .effect,
    ).toBe('allow');
  });
});

describe('compilePolicy() session section', () => {
  test('fills the closed defaults: skill shell denied, approval required, nested sessions allowed', () => {
    expect(policy({ default: 'allow' }).session).toEqual({
      skillShell: 'deny',
      nestedSessions: 'allow',
      configApproval: 'required',
    });
    expect(
      policy({
        default: 'allow',
        session: { skillShell: 'allow', nestedSessions: 'deny', configApproval: 'off' },
      }).session,
    ).toEqual({ skillShell: 'allow', nestedSessions: 'deny', configApproval: 'off' });
  });

  test('rejects an unknown session field or value, naming where', () => {
    const parsed = parsePolicy(
      'version: 1\ndefault: allow\nsession:\n  skillShell: sometimes\n  nested: deny\n',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => [i.path, i.line])).toEqual([
      [['session', 'skillShell'], 4],
      [['session', 'nested'], 5],
    ]);
  });
});

describe('evaluate() fails closed', () => {
  test('denies invalid input instead of throwing', () => {
    const p = policy({ default: 'allow' });
    expect(
      evaluate(
        p,
        { toolName: 'Bash', toolInput: { command: 'ls' }, cwd: 'relative', projectDir: PROJECT },
        ctx,
      ),
    ).toMatchObject({ effect: 'deny', rule: 'invalid-input' });
    expect(evaluate(p, null as unknown as EvaluationInput, ctx)).toMatchObject({
      effect: 'deny',
      rule: 'invalid-input',
    });
  });

  test('denies when an injected capability throws', () => {
    const p = policy({ default: 'allow', rules: [{ id: 'x', paths: ['/x/**'], effect: 'deny' }] });
    const broken: EvaluationContext = {
      ...ctx,
      realpath: () => {
        throw new Error('EIO');
      },
    };
    expect(evaluate(p, call('Read', { file_path: '/y' }), broken)).toMatchObject({
      effect: 'deny',
      rule: 'internal-error',
    });
    const throwingParser: EvaluationContext = {
      ...ctx,
      shell: {
        kind: 'tree-sitter-bash',
        parse: () => {
          throw new Error('wasm trap');
        },
      },
    };
    expect(evaluate(p, bash('ls'), throwingParser)).toMatchObject({ effect: 'deny', rule: 'internal-error' });
  });
});
