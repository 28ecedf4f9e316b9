/**
 * The human's half of enrollment, done over HTTP the way the edge's pages are used in a browser:
 * open the page for the user code, give an email address, enter the code that was mailed.
 */
export async function enrollInBrowser(
  edgeUrl: string,
  userCode: string,
  email: string,
  mailedCode: (to: string) => string | Promise<string>,
): Promise<void> {
  const page = await fetch(`${edgeUrl}/enroll?code=${encodeURIComponent(userCode)}`);
  const csrf =
    page.headers
      .getSetCookie()
      .find((c) => c.startsWith('ceros_enroll_csrf='))
      ?.split(';')[0]
      ?.split('=')[1] ?? '';
  const form = (path: string, fields: Record<string, string>) =>
    fetch(`${edgeUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `ceros_enroll_csrf=${csrf}`,
        origin: edgeUrl,
      },
      body: new URLSearchParams({ csrf, code: userCode, ...fields }).toString(),
    });
  const emailed = await form('/enroll/email', { email });
  if (emailed.status !== 200)
    throw new Error(`Enrollment page refused the email: ${emailed.status} ${await emailed.text()}`);
  const verified = await form('/enroll/verify', { otp: await mailedCode(email) });
  if (verified.status !== 200)
    throw new Error(`Enrollment page refused the code: ${verified.status} ${await verified.text()}`);
}

/** Reads a process's stderr until ceros prints the enrollment code, and returns it. */
export async function enrollmentCodeFrom(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.getReader();
  let said = '';
  for (;;) {
    const match = /enter the code (\S+)/.exec(said);
    if (match?.[1]) {
      reader.releaseLock();
      return match[1];
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`ceros ended before asking for enrollment: ${said}`);
    said += new TextDecoder().decode(value);
  }
}
