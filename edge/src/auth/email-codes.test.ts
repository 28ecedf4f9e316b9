import { describe, expect, test } from 'bun:test';
import { createFakeDevice } from '../testing/fake-device.ts';
import { createOrgWithAdmin, createTestEdge, json, lastCode, type TestEdge } from '../testing/test-edge.ts';

const ADMIN = 'boss@acme.test';
type ErrorJson = { error: { code: string; message: string; retryAfterSeconds?: number; limit?: string } };

async function adminEdge(): Promise<TestEdge> {
  // Enough sends per address that only the guess budget can stop the guessing.
  const edge = await createTestEdge({ settings: { sendPerEmail: { count: 100, windowMs: 15 * 60_000 } } });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: ADMIN });
  return edge;
}

async function mailCode(edge: TestEdge): Promise<string> {
  const res = await edge.request('/v1/admin/login/start', json({ email: ADMIN }));
  expect(res.status).toBe(202);
  return lastCode(edge.outbox, ADMIN);
}

const guess = (edge: TestEdge, code: string) =>
  edge.request('/v1/admin/login/verify', json({ email: ADMIN, code }));
const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

describe('the guess budget of an email address', () => {
  test('a fresh code does not bring fresh guesses: 10 per address per hour across codes', async () => {
    const edge = await adminEdge();
    const seen: string[] = [];
    // Two codes, five wrong guesses each (the most one code takes), waiting out each back-off.
    for (let round = 0; round < 2; round++) {
      const code = await mailCode(edge);
      for (let i = 0; i < 5; i++) {
        const { error } = (await (await guess(edge, wrongFor(code))).json()) as ErrorJson;
        seen.push(error.code);
        // Wait out the back-off the answer names (a locked code names none: the next is a new code).
        edge.clock.advance((error.retryAfterSeconds ?? 5 * 60) * 1000);
      }
    }
    expect(seen).toEqual([
      ...Array(4).fill('CODE_INCORRECT'),
      'CODE_LOCKED',
      ...Array(4).fill('CODE_INCORRECT'),
      'CODE_LOCKED',
    ]);
    // Ten guesses in the hour: even the right one of a third code is not checked.
    const third = await mailCode(edge);
    const refused = await guess(edge, third);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as ErrorJson;
    expect(body.error).toMatchObject({ code: 'RATE_LIMITED', limit: 'guesses' });
    expect(body.error.message).toContain(
      `Cannot check a code for "${ADMIN}" now: 10 codes were tried in 60 minutes`,
    );
    // The hour ends (it started at the first guess): a new code works again.
    edge.clock.advance(60 * 60_000);
    const fourth = await mailCode(edge);
    expect((await guess(edge, fourth)).status).toBe(200);
  });

  test('each wrong guess doubles the wait before the next; a right code resets it', async () => {
    const edge = await adminEdge();
    const code = await mailCode(edge);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const wrong = (await (await guess(edge, wrongFor(code))).json()) as ErrorJson;
      expect(wrong.error.code).toBe('CODE_INCORRECT');
      const early = await guess(edge, code);
      expect(early.status).toBe(429);
      const refused = (await early.json()) as ErrorJson;
      expect(refused.error).toMatchObject({ code: 'RATE_LIMITED', limit: 'backoff' });
      waits.push(refused.error.retryAfterSeconds ?? 0);
      edge.clock.advance((refused.error.retryAfterSeconds ?? 0) * 1000 - 1);
      expect((await guess(edge, code)).status).toBe(429);
      edge.clock.advance(1);
    }
    expect(waits).toEqual([1, 2, 4]);
    // The right code after the wait signs in, and the address starts over.
    expect((await guess(edge, code)).status).toBe(200);
    const next = await mailCode(edge);
    await guess(edge, wrongFor(next));
    const again = (await (await guess(edge, next)).json()) as ErrorJson;
    expect(again.error.retryAfterSeconds).toBe(1);
  });

  test('parallel guesses at several codes of one address stop at the budget', async () => {
    const edge = await adminEdge();
    // Three enrollments that name the victim's address: three codes, five guesses each.
    const forms = [];
    for (let i = 0; i < 3; i++) {
      const device = createFakeDevice({ now: edge.clock.now });
      const start = await edge.request(
        '/v1/enroll/start',
        json(device.enrollStartBody('acme', edge.clock.now())),
      );
      const { userCode } = (await start.json()) as { userCode: string };
      const page = await edge.request(`/enroll?code=${userCode}`);
      const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
      const form = (fields: Record<string, string>) =>
        edge.request(fields.otp ? '/enroll/verify' : '/enroll/email', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie: `ceros_enroll_csrf=${csrf}`,
          },
          body: new URLSearchParams({ csrf, code: userCode, ...fields }).toString(),
        });
      expect((await form({ email: 'victim@acme.test' })).status).toBe(200);
      forms.push(form);
    }
    const answers = await Promise.all(
      forms.flatMap((form) => Array.from({ length: 5 }, () => form({ otp: '999999' }).then((r) => r.text()))),
    );
    // At most 10 guesses were compared with a code; the budget and the back-off refused the
    // others unchecked.
    const compared = answers.filter((text) => /the code is wrong|wrong attempts locked it/.test(text));
    const refused = answers.filter((text) => /codes were tried in 60 minutes|after a wrong code/.test(text));
    expect(compared.length).toBeLessThanOrEqual(10);
    expect(compared.length + refused.length).toBe(15);
  });
});
