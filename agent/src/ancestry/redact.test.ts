import { expect, test } from 'bun:test';
import { isSecretName, REDACTED, redactArgv } from './redact.ts';

const R = REDACTED;

const cases: [string, string[], string[]][] = [
  [
    'keeps an ordinary command line',
    ['git', 'commit', '-m', 'fix: typo'],
    ['git', 'commit', '-m', 'fix: typo'],
  ],
  [
    'redacts the value after --password',
    ['mysql', '--password', 'hunter2', 'db'],
    ['mysql', '--password', R, 'db'],
  ],
  ['redacts --token=value', ['gh', '--token=abc123'], ['gh', `--token=${R}`]],
  ['redacts --api-key value', ['tool', '--api-key', 'k-1'], ['tool', '--api-key', R]],
  [
    'redacts a secret variable assignment',
    ['env', 'ANTHROPIC_API_KEY=abc', 'claude'],
    ['env', `ANTHROPIC_API_KEY=${R}`, 'claude'],
  ],
  ['redacts a glued secret variable name', ['PGPASSWORD=pw', 'psql'], [`PGPASSWORD=${R}`, 'psql']],
  ['keeps an ordinary variable assignment', ['env', 'PATH=/usr/bin', 'ls'], ['env', 'PATH=/usr/bin', 'ls']],
  ['keeps a path to a secret', ['app', '--password-file', '/run/pw'], ['app', '--password-file', '/run/pw']],
  ['keeps a token count', ['claude', '--max-tokens', '100'], ['claude', '--max-tokens', '100']],
  [
    'does not take the next flag as a secret value',
    ['app', '--auth', '--verbose'],
    ['app', '--auth', '--verbose'],
  ],
  [
    'redacts an Anthropic key anywhere',
    ['curl', '-d', '{"k":"sk-ant-api03-AbC_dEf-123"}'],
    ['curl', '-d', `{"k":"sk-ant-${R}"}`],
  ],
  [
    'redacts a bearer token in a header',
    ['curl', '-H', 'Authorization: Bearer eyJhbGciOi.x.y'],
    ['curl', '-H', `Authorization: ${R}`],
  ],
  [
    'redacts a bearer token given as its own argument',
    ['tool', 'Bearer', 'abcdefgh12345'],
    ['tool', 'Bearer', R],
  ],
  [
    'redacts a bearer token inside an argument',
    ['x', 'token Bearer abcdefgh12345'],
    ['x', `token Bearer ${R}`],
  ],
  [
    'redacts the password of curl -u',
    ['curl', '-u', 'alice:s3cret', 'https://x'],
    ['curl', '-u', `alice:${R}`, 'https://x'],
  ],
  [
    'redacts a password in a URL',
    ['git', 'clone', 'https://alice:pw123@github.com/a/b'],
    ['git', 'clone', `https://alice:${R}@github.com/a/b`],
  ],
  [
    'redacts a token query parameter',
    ['curl', 'https://h/p?a=1&access_token=xyz&b=2'],
    ['curl', `https://h/p?a=1&access_token=${R}&b=2`],
  ],
  ['redacts a GitHub token', ['gh', 'auth', `ghp_${'a'.repeat(36)}`], ['gh', 'auth', R]],
  ['redacts an AWS access key id', ['aws', 'AKIAIOSFODNN7EXAMPLE'], ['aws', R]],
  [
    'redacts a JWT',
    ['x', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
    ['x', R],
  ],
];
for (const [name, input, expected] of cases) {
  test(`redactArgv() ${name}`, () => {
    const result = redactArgv(input);
    expect(result.argv).toEqual(expected);
    expect(result.redactions > 0).toBe(JSON.stringify(input) !== JSON.stringify(expected));
  });
}

test('isSecretName() recognises secret flag and variable names and not their references', () => {
  for (const name of [
    '--password',
    '--client-secret',
    'GITHUB_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'mysqlpwd',
    '-key',
  ])
    expect(isSecretName(name)).toBe(true);
  for (const name of ['--password-file', '--session-id', '--max-tokens', 'PATH', '--author', '--tokenizer'])
    expect(isSecretName(name)).toBe(false);
});
