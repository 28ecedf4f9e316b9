import { expect, test } from 'bun:test';
import { parseDomains } from './pages/settings.tsx';

test('parseDomains() reads one list from lines, commas and @-prefixed addresses, lowercased once each', () => {
  expect(parseDomains('Acme.com, @partner.io\n\n  x.org;acme.com ')).toEqual([
    'acme.com',
    'partner.io',
    'x.org',
  ]);
  expect(parseDomains('  \n ')).toEqual([]);
});
