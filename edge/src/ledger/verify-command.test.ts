import { expect, test } from 'bun:test';
import { verifyCommand } from './verify-command.ts';

test('the verify command names the file, the log key and every witness key, quoting what a shell would split', () => {
  expect(
    verifyCommand('ceros-audit-2026-11-01-2026-11-02.json', {
      verifierKey: 'edge.acme.test/acme+a772ff7c+Ac07cYyPMUuRE7T0BkWrxO08enbJRJl7+vCcoDmJUm/g',
      witnesses: ['w.example/w1+d41d73a2+BGK968a8rCLL9jcHky40Rp='],
    }),
  ).toBe(
    'ceros verify ceros-audit-2026-11-01-2026-11-02.json --log-key edge.acme.test/acme+a772ff7c+Ac07cYyPMUuRE7T0BkWrxO08enbJRJl7+vCcoDmJUm/g --witness-key w.example/w1+d41d73a2+BGK968a8rCLL9jcHky40Rp=',
  );
  expect(verifyCommand("/tmp/my export's.json", { verifierKey: 'k', witnesses: [] })).toBe(
    "ceros verify '/tmp/my export'\\''s.json' --log-key k",
  );
});
