#!/bin/sh
# CI: install the software TPM stack (if missing) and run the keystore tests, TPM tests included,
# against swtpm. The TPM tests fail rather than skip when swtpm is missing, so CI must run this.
#   Debian 12 / Ubuntu 22.04: swtpm libtss2-fapi1 libtss2-tcti-swtpm0 (libtss2-rc0 comes along)
#   Ubuntu 24.04 renamed the libraries for the 64-bit time_t transition: libtss2-fapi1t64 ...
set -eu
cd "$(dirname "$0")/.."

have_stack() {
  command -v swtpm >/dev/null 2>&1 &&
    ldconfig -p | grep -q 'libtss2-fapi\.so\.1 ' &&
    ldconfig -p | grep -q 'libtss2-tcti-swtpm\.so\.0 '
}

if ! have_stack; then
  sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends swtpm libtss2-fapi1 libtss2-tcti-swtpm0 ||
    $sudo apt-get install -y -q --no-install-recommends swtpm libtss2-fapi1t64 libtss2-tcti-swtpm0t64
fi
have_stack || { echo 'ci-tpm: swtpm or libtss2-fapi is still missing after install' >&2; exit 1; }

swtpm --version
npx bun test agent/src/keystore
