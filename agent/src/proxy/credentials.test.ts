import { describe, expect, test } from 'bun:test';
import { CLAUDE_CREDENTIALS, createSessionCredentials } from './credentials.ts';

const KEY = 'sk-ant-api03-REALKEY-abcdefghijklmnopqrstuvwxyz0123456789';

describe('createSessionCredentials()', () => {
  test('the agent gets a placeholder; the proxy puts the real key back and refuses any other', () => {
    const credentials = createSessionCredentials({ ANTHROPIC_API_KEY: KEY }, CLAUDE_CREDENTIALS, () => 'R');
    expect(credentials.active).toBe(true);
    expect(credentials.replaced).toEqual(['ANTHROPIC_API_KEY']);
    const placeholder = credentials.env.ANTHROPIC_API_KEY as string;
    expect(placeholder).toBe(`sk-ant-api03-ceros-session-R-${KEY.slice(-20)}`);
    expect(placeholder).not.toContain('REALKEY');
    const headers = new Headers({ 'x-api-key': placeholder });
    expect(credentials.swap(headers)).toBe('ok');
    expect(headers.get('x-api-key')).toBe(KEY);
    expect(credentials.swap(new Headers({ 'x-api-key': 'sk-ant-api03-someone-else' }))).toBe('refused');
    expect(credentials.swap(new Headers({ 'x-api-key': placeholder, authorization: 'Bearer x' }))).toBe(
      'refused',
    );
    expect(credentials.swap(new Headers())).toBe('none');
  });

  test('OAuth and bearer tokens are held the same way, in the Authorization header', () => {
    const credentials = createSessionCredentials(
      { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-REAL', ANTHROPIC_AUTH_TOKEN: 'gateway-REAL' },
      CLAUDE_CREDENTIALS,
    );
    expect(credentials.replaced).toEqual(['ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']);
    const oauth = new Headers({ authorization: `Bearer ${credentials.env.CLAUDE_CODE_OAUTH_TOKEN}` });
    expect(credentials.swap(oauth)).toBe('ok');
    expect(oauth.get('authorization')).toBe('Bearer sk-ant-oat01-REAL');
    expect(credentials.env.CLAUDE_CODE_OAUTH_TOKEN).toStartWith('sk-ant-oat01-ceros-session-');
    expect(credentials.swap(new Headers({ authorization: 'Bearer sk-ant-oat01-REAL' }))).toBe('refused');
  });

  test('with no credential in the environment, requests pass unchanged', () => {
    const credentials = createSessionCredentials({ PATH: '/bin' }, CLAUDE_CREDENTIALS);
    expect(credentials.active).toBe(false);
    expect(credentials.env).toEqual({});
    const headers = new Headers({ authorization: 'Bearer from-a-login' });
    expect(credentials.swap(headers)).toBe('ok');
    expect(headers.get('authorization')).toBe('Bearer from-a-login');
  });
});
