import type { Analyzer, Invocation } from '../analyze.ts';
import type { PathMarks } from '../facts.ts';
import { getopt, hasOption, optionValues, type ParsedArgs, staticValue } from '../getopt.ts';
import { field, isStatic, namesFrom, paths } from './helpers.ts';
import { createFamily } from './registry.ts';
import { hostOf, urlArgument } from './urls.ts';

/** Network clients: `curl`, `wget`, `httpie`, `ssh`, `scp`, `rsync`, `nc`, `socat`, `dig`... */
const { define, family } = createFamily('network');
export const network = family;

define(['curl'], (a, call) => curlHandler(a, call));
define(['wget', 'wget2'], (a, call) => wgetHandler(a, call));
define(['http', 'https', 'xh', 'xhs', 'httpie'], (a, call) => httpieHandler(a, call));
define(['aria2c', 'axel', 'lynx', 'links', 'w3m', 'elinks'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'dioxs',
    long: ['dir', 'input-file', 'out', 'max-connection-per-server', 'split'],
  });
  paths(a, call, optionValues(parsed, '-i', '--input-file'), 'read', false, 'input file');
  paths(a, call, optionValues(parsed, '-d', '--dir'), 'write', true, 'download folder');
  paths(a, call, optionValues(parsed, '-o', '--out'), 'write', false, 'output');
  for (const arg of parsed.positional) urlArgument(a, call, arg);
});
define(['ssh', 'mosh', 'autossh', 'ssh-copy-id'], (a, call) => sshHandler(a, call));
define(['scp', 'sftp', 'rsync'], (a, call) => copyRemote(a, call));
define(['nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'ecipsqwxXOPTIVMmg',
    long: ['exec', 'sh-exec', 'lua-exec', 'source-port', 'proxy', 'proxy-type', 'wait', 'output', 'hex-dump'],
  });
  for (const command of optionValues(parsed, '-e', '-c', '--exec', '--sh-exec', '--lua-exec'))
    a.opaque(`${call.name} runs a program on a network socket`, staticValue(command) ?? call.text);
  for (const proxy of optionValues(parsed, '-x', '--proxy'))
    a.host(hostOf(staticValue(proxy)), `${call.name} proxy`);
  paths(a, call, optionValues(parsed, '-o', '--output'), 'write', false, 'output');
  if (hasOption(parsed, '-l', '--listen')) return;
  const [host] = parsed.positional;
  if (host) a.host(isStatic(host) ? host.value : undefined, `${call.name} host`);
});
define('socat', (a, call) => {
  for (const arg of getopt(call.args, { short: 'dlt', long: [] }).positional) {
    const value = staticValue(arg);
    if (value === undefined) {
      a.opaque('socat address is not statically known', call.text);
      continue;
    }
    const [kind = '', ...rest] = value.split(':');
    const upper = kind.toUpperCase();
    if (upper === 'EXEC' || upper === 'SYSTEM') a.opaque('socat runs a program on a socket', rest.join(':'));
    else if (/^(TCP|TCP4|TCP6|UDP|UDP4|UDP6|SSL|OPENSSL|SCTP|SOCKS4A?|PROXY)$/.test(upper))
      a.host(rest[0]?.split(',')[0], 'socat address');
    else if (/^(OPEN|FILE|CREATE|GOPEN|PIPE|UNIX-CONNECT|UNIX-CLIENT|READLINE_)$/.test(upper))
      a.path(field(rest.join(':').split(',')[0] ?? ''), 'any', false, 'socat file', call.env);
    else if (value.startsWith('/') || value.startsWith('.'))
      a.path(field(value.split(',')[0] ?? ''), 'any', false, 'socat file', call.env);
  }
});
define([
  'telnet',
  'ftp',
  'tftp',
  'lftp',
  'ping',
  'ping6',
  'traceroute',
  'tracepath',
  'mtr',
  'whois',
  'nmap',
], (a, call) => {
  const parsed = getopt(call.args, { short: 'cfiIlmpQsStTwWbBe', long: [] });
  const [host] = parsed.positional;
  if (host) a.host(isStatic(host) ? hostOf(host.value) : undefined, `${call.name} host`);
});
define(['dig', 'nslookup', 'host', 'drill', 'kdig'], (a, call) => {
  for (const arg of call.args) {
    const value = staticValue(arg);
    if (arg.kind === 'dynamic') {
      a.host(undefined, `${call.name} name`);
      continue;
    }
    if (!value || value.startsWith('-') || value.startsWith('+')) continue;
    if (/^(?:A|AAAA|MX|TXT|NS|CNAME|SOA|PTR|SRV|ANY|CAA|DS|DNSKEY|AXFR|IN|CH)$/i.test(value)) continue;
    a.host(value.replace(/^@/, ''), `${call.name} name`);
  }
});

const CURL_VALUED_LONG = [
  'abstract-unix-socket',
  'alt-svc',
  'aws-sigv4',
  'cacert',
  'capath',
  'cert',
  'cert-type',
  'ciphers',
  'config',
  'connect-timeout',
  'connect-to',
  'continue-at',
  'cookie',
  'cookie-jar',
  'create-file-mode',
  'crlfile',
  'curves',
  'data',
  'data-ascii',
  'data-binary',
  'data-raw',
  'data-urlencode',
  'delegation',
  'dns-interface',
  'dns-ipv4-addr',
  'dns-ipv6-addr',
  'dns-servers',
  'doh-url',
  'dump-header',
  'ech',
  'egd-file',
  'engine',
  'etag-compare',
  'etag-save',
  'expect100-timeout',
  'form',
  'form-string',
  'ftp-account',
  'ftp-alternative-to-user',
  'ftp-method',
  'ftp-port',
  'ftp-ssl-ccc-mode',
  'happy-eyeballs-timeout-ms',
  'header',
  'hostpubmd5',
  'hostpubsha256',
  'hsts',
  'interface',
  'ip-tos',
  'ipfs-gateway',
  'json',
  'keepalive-time',
  'keepalive-cnt',
  'key',
  'key-type',
  'krb',
  'libcurl',
  'limit-rate',
  'local-port',
  'login-options',
  'mail-auth',
  'mail-from',
  'mail-rcpt',
  'max-filesize',
  'max-redirs',
  'max-time',
  'netrc-file',
  'noproxy',
  'oauth2-bearer',
  'output',
  'output-dir',
  'parallel-max',
  'pass',
  'pinnedpubkey',
  'preproxy',
  'proto',
  'proto-default',
  'proto-redir',
  'proxy',
  'proxy-cacert',
  'proxy-capath',
  'proxy-cert',
  'proxy-cert-type',
  'proxy-ciphers',
  'proxy-crlfile',
  'proxy-header',
  'proxy-key',
  'proxy-key-type',
  'proxy-pass',
  'proxy-pinnedpubkey',
  'proxy-service-name',
  'proxy-tls13-ciphers',
  'proxy-tlsauthtype',
  'proxy-tlspassword',
  'proxy-tlsuser',
  'proxy-user',
  'proxy1.0',
  'pubkey',
  'quote',
  'random-file',
  'range',
  'rate',
  'referer',
  'request',
  'request-target',
  'resolve',
  'retry',
  'retry-delay',
  'retry-max-time',
  'sasl-authzid',
  'service-name',
  'socks4',
  'socks4a',
  'socks5',
  'socks5-gssapi-service',
  'socks5-hostname',
  'speed-limit',
  'speed-time',
  'stderr',
  'telnet-option',
  'tftp-blksize',
  'time-cond',
  'tls-max',
  'tls13-ciphers',
  'tlsauthtype',
  'tlspassword',
  'tlsuser',
  'trace',
  'trace-ascii',
  'trace-config',
  'unix-socket',
  'upload-file',
  'url',
  'url-query',
  'user',
  'user-agent',
  'variable',
  'write-out',
  'ssl-sessions',
  'vlan-priority',
  'ip-tos',
];

function curlHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, { short: 'AbcCdDeEFHKmoPQrtTuUwxXyYz', long: CURL_VALUED_LONG });
  const env = call.env;
  for (const config of optionValues(parsed, '-K', '--config')) {
    const text = staticValue(config);
    a.opaque(
      'curl --config can set any option, including output files',
      text === '-' && call.stdin.kind === 'text' ? call.stdin.text : call.text,
    );
  }
  const urls = [...parsed.positional, ...optionValues(parsed, '--url')];
  for (const url of urls) urlArgument(a, call, url);
  const readOptions = [
    '-T',
    '--upload-file',
    '-K',
    '--config',
    '-E',
    '--cert',
    '--key',
    '--cacert',
    '--capath',
    '--crlfile',
    '--netrc-file',
    '--proxy-cacert',
    '--proxy-cert',
    '--proxy-key',
    '--etag-compare',
    '--random-file',
    '--egd-file',
    '--unix-socket',
    '--abstract-unix-socket',
  ];
  const writeOptions = [
    '-o',
    '--output',
    '-c',
    '--cookie-jar',
    '-D',
    '--dump-header',
    '--trace',
    '--trace-ascii',
    '--stderr',
    '--libcurl',
    '--etag-save',
    '--hsts',
    '--alt-svc',
  ];
  for (const option of parsed.options) {
    const value = option.value;
    if (!value) {
      if (option.name === '-n' || option.name === '--netrc' || option.name === '--netrc-optional') {
        for (const home of a.homeCandidates(env, ''))
          a.path(field(`${home}/.netrc`), 'read', false, 'curl --netrc', env);
      }
      if (
        option.name === '-O' ||
        option.name === '--remote-name' ||
        option.name === '-J' ||
        option.name === '--remote-name-all'
      ) {
        a.path(field('.'), 'write', false, 'curl --remote-name (working folder)', env);
      }
      continue;
    }
    const text = staticValue(value);
    if (readOptions.includes(option.name)) {
      if (text !== '-')
        a.path(
          text !== undefined && (option.name === '-E' || option.name === '--cert')
            ? field(text.replace(/(?<!\\):.*$/s, ''))
            : value,
          'read',
          false,
          `curl ${option.name}`,
          env,
        );
    } else if (writeOptions.includes(option.name)) {
      if (text !== '-') a.path(value, 'write', option.name === '--output-dir', `curl ${option.name}`, env);
    } else if (option.name === '--output-dir') a.path(value, 'write', true, 'curl --output-dir', env);
    else if (option.name === '-b' || option.name === '--cookie') {
      if (text !== undefined && !text.includes('=')) a.path(value, 'read', false, 'curl --cookie file', env);
    } else if (
      /^(?:-d|--data|--data-ascii|--data-binary|--data-urlencode|--json|--url-query|--variable)$/.test(
        option.name,
      )
    ) {
      if (text === undefined) a.path(value, 'read', false, `curl ${option.name} (may be @file)`, env);
      else {
        const at =
          option.name === '--data-urlencode' || option.name === '--url-query' || option.name === '--variable'
            ? text.indexOf('@')
            : text.startsWith('@')
              ? 0
              : -1;
        if (at >= 0 && text.slice(at + 1) !== '-')
          a.path(field(text.slice(at + 1)), 'read', false, `curl ${option.name} @file`, env);
      }
    } else if (option.name === '-F' || option.name === '--form') {
      if (text === undefined) a.path(value, 'read', false, 'curl --form (may be @file)', env);
      else {
        const match = /^[^=]*=[@<]([^;]*)/s.exec(text);
        if (match?.[1] && match[1] !== '-') a.path(field(match[1]), 'read', false, 'curl --form file', env);
      }
    } else if (option.name === '-w' || option.name === '--write-out') {
      for (const match of (text ?? '').matchAll(/%output\{(>>)?([^}]*)\}/g))
        a.path(field(match[2] ?? ''), 'write', false, 'curl --write-out %output', env);
      if (text?.startsWith('@')) a.path(field(text.slice(1)), 'read', false, 'curl --write-out @file', env);
    } else if (
      [
        '-x',
        '--proxy',
        '--preproxy',
        '--socks4',
        '--socks4a',
        '--socks5',
        '--socks5-hostname',
        '--doh-url',
      ].includes(option.name)
    ) {
      a.host(hostOf(text), `curl ${option.name}`);
    } else if (option.name === '--resolve' || option.name === '--connect-to') {
      // HOST:PORT:ADDR and H1:P1:H2:P2: the connection really goes to the third field.
      const target = text
        ?.split(':')
        .slice(2)
        .join(':')
        .split(':')[0]
        ?.replace(/^\[|\]$/g, '');
      a.host(target || (text === undefined ? undefined : hostOf(text.split(':')[0])), `curl ${option.name}`);
    }
  }
}

function wgetHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'OoaPiBetTwQlARDIXUY',
    long: [
      'output-document',
      'output-file',
      'append-output',
      'directory-prefix',
      'input-file',
      'base',
      'execute',
      'tries',
      'timeout',
      'wait',
      'quota',
      'level',
      'accept',
      'reject',
      'domains',
      'include-directories',
      'exclude-directories',
      'user-agent',
      'post-file',
      'body-file',
      'post-data',
      'body-data',
      'method',
      'load-cookies',
      'save-cookies',
      'ca-certificate',
      'certificate',
      'private-key',
      'config',
      'use-askpass',
      'header',
      'user',
      'password',
      'http-user',
      'http-password',
      'referer',
      'proxy-user',
      'proxy-password',
      'bind-address',
      'limit-rate',
      'restrict-file-names',
      'default-page',
      'cut-dirs',
      'read-timeout',
      'connect-timeout',
      'dns-timeout',
      'waitretry',
      'local-encoding',
      'remote-encoding',
      'ca-directory',
      'certificate-type',
      'private-key-type',
      'secure-protocol',
      'hsts-file',
      'warc-file',
      'rejected-log',
      'progress',
      'report-speed',
    ],
  });
  for (const url of parsed.positional) urlArgument(a, call, url);
  for (const base of optionValues(parsed, '-B', '--base')) urlArgument(a, call, base);
  for (const command of optionValues(parsed, '-e', '--execute', '--use-askpass'))
    a.opaque('wget -e runs wgetrc commands', staticValue(command) ?? call.text);
  const inputs = optionValues(parsed, '-i', '--input-file');
  paths(a, call, inputs, 'read', false, 'input file');
  if (inputs.length > 0) a.host(undefined, 'wget --input-file URLs');
  paths(
    a,
    call,
    optionValues(
      parsed,
      '--post-file',
      '--body-file',
      '--load-cookies',
      '--ca-certificate',
      '--certificate',
      '--private-key',
      '--config',
    ),
    'read',
    false,
    'file',
  );
  paths(
    a,
    call,
    optionValues(
      parsed,
      '-o',
      '--output-file',
      '-a',
      '--append-output',
      '--save-cookies',
      '--hsts-file',
      '--warc-file',
      '--rejected-log',
    ),
    'write',
    false,
    'file',
  );
  const documents = optionValues(parsed, '-O', '--output-document');
  paths(
    a,
    call,
    documents.filter((doc) => staticValue(doc) !== '-'),
    'write',
    false,
    'output',
  );
  const recursive = hasOption(parsed, '-r', '--recursive', '-m', '--mirror');
  const prefix = optionValues(parsed, '-P', '--directory-prefix');
  if (prefix.length > 0) paths(a, call, prefix, 'write', true, 'download folder');
  else if (documents.length === 0)
    a.path(field('.'), 'write', recursive, 'wget download (working folder)', call.env);
}

function httpieHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'aAob',
    long: [
      'auth',
      'auth-type',
      'output',
      'session',
      'session-read-only',
      'verify',
      'cert',
      'cert-key',
      'proxy',
      'timeout',
      'max-redirects',
      'pretty',
      'style',
      'print',
      'format-options',
      'boundary',
      'raw',
      'ssl',
      'ciphers',
      'response-charset',
      'response-mime',
    ],
  });
  paths(a, call, optionValues(parsed, '-o', '--output', '--session'), 'write', false, 'output');
  paths(a, call, optionValues(parsed, '--cert', '--cert-key', '--session-read-only'), 'read', false, 'file');
  for (const proxy of optionValues(parsed, '--proxy'))
    a.host(hostOf(staticValue(proxy)?.replace(/^[a-z]+:/, '')), 'httpie proxy');
  let urlSeen = false;
  for (const arg of parsed.positional) {
    const value = staticValue(arg);
    if (!urlSeen) {
      if (value && /^[A-Z]+$/.test(value)) continue;
      urlSeen = true;
      if (value?.startsWith(':')) a.host('localhost', 'httpie URL');
      else urlArgument(a, call, arg);
      continue;
    }
    if (value === undefined) {
      a.path(arg, 'read', false, 'httpie item (may be @file)', call.env);
      continue;
    }
    const match = /^(?:[^=:@]*)(?::=@|=@|@)(.+)$/s.exec(value);
    if (match?.[1]) a.path(field(match[1]), 'read', false, 'httpie file item', call.env);
  }
}

const SSH_DANGEROUS_OPTIONS =
  /^(?:ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|Match|RemoteCommand|SecurityKeyProvider|PKCS11Provider|IdentityAgent|ControlPath)\b/i;

function sshOptions(a: Analyzer, call: Invocation, parsed: ParsedArgs): void {
  for (const option of optionValues(parsed, '-o')) {
    const text = staticValue(option);
    if (text === undefined || SSH_DANGEROUS_OPTIONS.test(text))
      a.opaque(`${call.name} -o option can run local commands`, text ?? call.text);
    const file = /^(?:IdentityFile|UserKnownHostsFile|CertificateFile|Include)\s*[= ]\s*(.+)$/i.exec(
      text ?? '',
    );
    if (file?.[1]) a.path(field(file[1]), 'read', false, `${call.name} -o file`, call.env);
  }
  paths(a, call, optionValues(parsed, '-i', '-F'), 'read', false, 'key or config');
  for (const jump of optionValues(parsed, '-J'))
    for (const hop of (staticValue(jump) ?? '').split(','))
      a.host(hostOf(hop) ?? undefined, `${call.name} jump host`);
  for (const program of optionValues(parsed, '-S', '-D'))
    if (call.name !== 'ssh') a.opaque(`${call.name} -S runs a program`, staticValue(program) ?? call.text);
}

function sshHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, { short: 'BbcDEeFIiJLlmOoPpQRSWw', stopAtPositional: true });
  sshOptions(a, call, parsed);
  paths(a, call, optionValues(parsed, '-E'), 'write', false, 'log file');
  for (const forward of optionValues(parsed, '-W'))
    a.host(hostOf(staticValue(forward)?.replace(/:\d+$/, '')), 'ssh -W');
  const [target] = parsed.positional;
  if (target)
    a.host(
      isStatic(target) ? hostOf(target.value.replace(/^ssh:\/\//, 'ssh://')) : undefined,
      `${call.name} host`,
    );
}

function copyRemote(a: Analyzer, call: Invocation): void {
  const rsync = call.name === 'rsync';
  const parsed = rsync
    ? getopt(call.args, {
        short: 'eBfMT@',
        long: [
          'rsh',
          'rsync-path',
          'files-from',
          'exclude-from',
          'include-from',
          'password-file',
          'log-file',
          'backup-dir',
          'temp-dir',
          'compare-dest',
          'copy-dest',
          'link-dest',
          'partial-dir',
          'filter',
          'exclude',
          'include',
          'chmod',
          'chown',
          'out-format',
          'log-file-format',
          'max-size',
          'min-size',
          'bwlimit',
          'port',
          'sockopts',
          'timeout',
          'contimeout',
          'address',
          'iconv',
          'checksum-choice',
          'compress-choice',
          'info',
          'debug',
          'usermap',
          'groupmap',
          'block-size',
          'modify-window',
          'max-delete',
          'suffix',
          'stop-after',
          'stop-at',
          'write-batch',
          'read-batch',
          'only-write-batch',
          'remote-option',
        ],
      })
    : getopt(call.args, { short: 'cFiJloPSDbBs', long: [] });
  if (rsync) {
    for (const rsh of optionValues(parsed, '-e', '--rsh')) {
      const text = staticValue(rsh);
      if (text === undefined) a.opaque('rsync -e with a program that is not statically known', call.text);
      else a.runScript(text, a.childShellEnv(call.env, []), call.depth + 1);
    }
    paths(
      a,
      call,
      optionValues(parsed, '--exclude-from', '--include-from', '--password-file', '--read-batch'),
      'read',
      false,
      'file',
    );
    paths(
      a,
      call,
      optionValues(
        parsed,
        '--log-file',
        '--write-batch',
        '--only-write-batch',
        '--backup-dir',
        '--partial-dir',
        '--temp-dir',
      ),
      'write',
      false,
      'file',
    );
  } else sshOptions(a, call, parsed);
  const positional = parsed.positional;
  const recursive = rsync || hasOption(parsed, '-r');
  // rsync copies links as links unless -L/--copy-links (or --copy-unsafe-links: exactly the ones
  // that leave the tree); scp -r follows every link it meets.
  const follows = rsync
    ? hasOption(parsed, '-L', '--copy-links', '--copy-unsafe-links', '-k', '--copy-dirlinks')
    : recursive;
  const sourceMarks: PathMarks = follows ? { followsLinks: true } : rsync ? { noFollow: true } : {};
  const destMarks: PathMarks =
    rsync && parsed.options.some((option) => option.name.startsWith('--delete')) ? { deletes: true } : {};
  if (rsync)
    for (const list of optionValues(parsed, '--files-from')) {
      // The names are relative to the source folder.
      const source = positional.length > 1 ? positional[0] : undefined;
      const env = a.cloneEnv(call.env);
      if (source && isStatic(source) && !/^[^/.][^/]*:/.test(source.value)) a.setCwd(env, source);
      namesFrom(a, { ...call, env }, list, 'read', '--files-from', true, sourceMarks);
    }
  positional.forEach((arg, index) => {
    const value = staticValue(arg);
    const isDest = index === positional.length - 1 && positional.length > 1;
    if (call.name === 'sftp' && index === 0) {
      a.host(hostOf(value?.replace(/:.*$/, '')), 'sftp host');
      return;
    }
    const marks = isDest ? destMarks : sourceMarks;
    if (value === undefined) {
      a.path(
        arg,
        isDest ? 'write' : 'read',
        recursive,
        isDest ? 'destination' : 'source',
        call.env,
        false,
        marks,
      );
      a.host(undefined, `${call.name} endpoint`);
      return;
    }
    const remote = /^(?:[a-z]+:\/\/)?(?:[^@/:]+@)?(\[[^\]]+\]|[^/:]+):/i.exec(value);
    if (remote && !value.startsWith('/') && !value.startsWith('.')) {
      a.host(hostOf(remote[1]?.replace(/^\[|\]$/g, '')), `${call.name} remote`);
      return;
    }
    a.path(
      arg,
      isDest ? 'write' : 'read',
      recursive,
      isDest ? 'destination' : 'source',
      call.env,
      false,
      marks,
    );
  });
}
