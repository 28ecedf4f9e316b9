import { getopt, optionValues, staticValue } from '../getopt.ts';
import { paths } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Database shells: `sqlite3` (dot-commands and functions that touch files or run programs). */
const { define, family } = createFamily('databases');
export const databases = family;

define(['sqlite3', 'sqlite'], (a, call) => {
  const parsed = getopt(call.args, {
    singleDashLong: true,
    long: [
      'cmd',
      'init',
      'separator',
      'newline',
      'nullvalue',
      'vfs',
      'maxsize',
      'mmap',
      'pagecache',
      'lookaside',
      'heap',
    ],
  });
  paths(a, call, optionValues(parsed, '--init'), 'read', false, 'init file');
  const [database, ...sql] = parsed.positional;
  if (database) a.path(database, 'any', false, 'database', call.env);
  const statements = [...sql, ...optionValues(parsed, '--cmd')].map((f) => staticValue(f) ?? '\u0000');
  if (call.stdin.kind === 'text') statements.push(call.stdin.text);
  else if (call.stdin.kind === 'unknown') statements.push('\u0000');
  for (const text of statements) {
    if (
      text === '\u0000' ||
      /^\s*\.(?:shell|system|output|once|read|import|load|backup|save|restore|open|excel)\b|\b(?:attach|load_extension|writefile|readfile|edit)\b/im.test(
        text,
      )
    ) {
      a.opaque('sqlite3 commands can run programs or touch files', text === '\u0000' ? call.text : text);
    }
  }
});
