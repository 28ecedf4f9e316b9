/**
 * `GET /install.sh`: a POSIX sh installer with this edge's URL (and optionally an organization)
 * baked in. It picks the build for the machine, checks its SHA-256 against the hash baked into the
 * script (both come from the same edge over the same connection), installs `ceros`, and leaves
 * `install.json` in the ceros home so the first `ceros claude` starts enrollment on its own.
 */
export const INSTALL_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const;

/** Single-quotes a value for sh: the only character that needs care inside '...' is ' itself. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function renderInstallScript(input: {
  edgeUrl: string;
  org: string | null;
  builds: readonly { target: string; sha256: string }[];
}): string {
  const hashes = input.builds
    .filter((b) => /^[a-z0-9-]+$/.test(b.target) && /^[0-9a-f]{64}$/.test(b.sha256))
    .map((b) => `    ${b.target}) echo ${b.sha256} ;;`)
    .join('\n');
  const installJson = JSON.stringify(
    input.org ? { edgeUrl: input.edgeUrl, org: input.org } : { edgeUrl: input.edgeUrl },
  );
  return `#!/bin/sh
# ceros installer from ${input.edgeUrl.replace(/[^\x20-\x7e]/g, '?')}
# Usage: curl -fsSL <this url> | sh    (set CEROS_INSTALL_DIR to choose where ceros goes)
set -eu

EDGE_URL=${shQuote(input.edgeUrl)}
INSTALL_JSON=${shQuote(installJson)}

fail() { printf 'ceros install: %s\\n' "$1" >&2; exit 1; }

expected_sha256() {
  case "$1" in
${hashes}
    *) echo '' ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else fail 'cannot check the download: no sha256sum, shasum or openssl found'
  fi
}

download() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else fail 'cannot download: neither curl nor wget is installed'
  fi
}

main() {
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) fail "cannot install on $(uname -s): ceros supports Linux and macOS" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "cannot install on $(uname -m): ceros supports x64 and arm64" ;;
  esac
  target="$os-$arch"
  want=$(expected_sha256 "$target")
  [ -n "$want" ] || fail "cannot install: this edge has no ceros build for $target"

  if [ -n "\${CEROS_INSTALL_DIR:-}" ]; then dir=$CEROS_INSTALL_DIR
  elif [ "$(id -u)" = 0 ]; then dir=/usr/local/bin
  else dir="$HOME/.local/bin"
  fi

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t ceros)
  trap 'rm -rf "$tmp"' EXIT INT TERM
  download "$EDGE_URL/download/$target/ceros" "$tmp/ceros" || fail "cannot download ceros for $target from $EDGE_URL"
  got=$(sha256_of "$tmp/ceros")
  [ "$got" = "$want" ] || fail "cannot install: the download's SHA-256 is $got, expected $want"

  mkdir -p "$dir" || fail "cannot create $dir"
  chmod 755 "$tmp/ceros"
  mv -f "$tmp/ceros" "$dir/ceros" || fail "cannot write $dir/ceros (set CEROS_INSTALL_DIR to a folder you can write)"

  home=\${CEROS_HOME:-$HOME/.ceros}
  (umask 077 && mkdir -p "$home" && printf '%s\\n' "$INSTALL_JSON" > "$home/install.json")

  printf 'Installed ceros to %s/ceros\\n' "$dir"
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) printf 'Add it to your PATH:  export PATH="%s:$PATH"\\n' "$dir" ;;
  esac
  printf 'Next: run "ceros claude" - it opens %s to enroll this device on first use.\\n' "$EDGE_URL"
}

main "$@"
`;
}
