/**
 * Refreshes the vendored gitleaks rules (policy/src/redaction/gitleaks/rules.json) from a gitleaks
 * release: `bun run scripts/refresh-gitleaks-rules.ts [--tag v8.30.1] [--commit SHA] [--from FILE]`.
 * Without --from it downloads config/gitleaks.toml of that tag from GitHub. The rules are kept as
 * data, unchanged (Go regexp syntax); policy/src/redaction/rules.ts translates them at load time
 * and reports the ones it cannot run. Rules that need a file path (gitleaks' `path`) and have no
 * pattern are listed as skipped: journal text has no path. Prints what changed and every rule that
 * does not compile as JavaScript, and exits 1 if any does not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { translateGoRegex } from '../policy/src/redaction/go-regex.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const tag = flag('--tag') ?? 'v8.30.1';
const from = flag('--from');
const out = join(import.meta.dir, '../policy/src/redaction/gitleaks/rules.json');
const url = `https://raw.githubusercontent.com/gitleaks/gitleaks/${tag}/config/gitleaks.toml`;

const text = from ? readFileSync(from, 'utf8') : await (await fetch(url)).text();
type TomlAllowlist = {
  regexTarget?: string;
  regexes?: string[];
  stopwords?: string[];
  condition?: string;
  paths?: string[];
};
type TomlRule = {
  id: string;
  description?: string;
  regex?: string;
  entropy?: number;
  keywords?: string[];
  secretGroup?: number;
  path?: string;
  allowlists?: TomlAllowlist[];
};
const config = Bun.TOML.parse(text) as { rules: TomlRule[]; allowlist?: TomlAllowlist };

const allowlist = (a: TomlAllowlist) => ({
  ...(a.condition ? { condition: a.condition.toUpperCase() } : {}),
  ...(a.regexTarget ? { regexTarget: a.regexTarget } : {}),
  ...(a.regexes ? { regexes: a.regexes } : {}),
  ...(a.stopwords ? { stopwords: a.stopwords } : {}),
  // Path allowlists never apply to journal text; kept so that an AND condition stays unsatisfiable.
  ...(a.paths ? { paths: a.paths } : {}),
});
const rules = [];
const skipped = [];
const failures: string[] = [];
for (const rule of config.rules) {
  if (!rule.regex) {
    skipped.push({ id: rule.id, reason: 'matches file paths only, and journal text has none' });
    continue;
  }
  const translated = translateGoRegex(rule.regex);
  if (!translated.ok) failures.push(`${rule.id}: ${translated.error}`);
  rules.push({
    id: rule.id,
    description: rule.description ?? '',
    regex: rule.regex,
    ...(rule.entropy !== undefined ? { entropy: rule.entropy } : {}),
    keywords: (rule.keywords ?? []).map((k) => k.toLowerCase()),
    ...(rule.secretGroup !== undefined ? { secretGroup: rule.secretGroup } : {}),
    ...(rule.path ? { path: rule.path } : {}),
    ...(rule.allowlists ? { allowlists: rule.allowlists.map(allowlist) } : {}),
  });
}
const previous = (() => {
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as { rules: { id: string }[] };
  } catch {
    return { rules: [] };
  }
})();
const data = {
  source: {
    name: 'gitleaks',
    url: 'https://github.com/gitleaks/gitleaks',
    tag,
    ...(flag('--commit') ? { commit: flag('--commit') } : {}),
    path: 'config/gitleaks.toml',
    license: 'MIT',
    copyright: 'Copyright (c) 2019 Zachary Rice',
  },
  allowlist: allowlist(config.allowlist ?? {}),
  rules,
  skipped,
};
writeFileSync(out, `${JSON.stringify(data, null, 1)}\n`);
const before = new Set(previous.rules.map((r) => r.id));
const after = new Set(rules.map((r) => r.id));
const added = [...after].filter((id) => !before.has(id));
const removed = [...before].filter((id) => !after.has(id));
process.stdout.write(
  `Wrote ${rules.length} rules from gitleaks ${tag} (${skipped.length} skipped: ${skipped.map((s) => s.id).join(', ') || 'none'})\n` +
    `Added: ${added.join(', ') || 'none'}\nRemoved: ${removed.join(', ') || 'none'}\n`,
);
if (failures.length > 0) {
  process.stdout.write(
    `Rules that do not compile as JavaScript (reported at load, not run):\n  ${failures.join('\n  ')}\n`,
  );
  process.exit(1);
}
