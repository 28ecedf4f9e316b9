#!/bin/sh
# Builds libceros-secure-enclave.dylib (arm64 + x86_64) for agent/src/keystore/secure-enclave.ts.
# Run on macOS 11+ with the Xcode command line tools: agent/native/macos/build.sh [out-dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../../../dist"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for arch in arm64 x86_64; do
  swiftc -O -emit-library -module-name CerosSecureEnclave \
    -target "$arch-apple-macos11" \
    -Xlinker -install_name -Xlinker @rpath/libceros-secure-enclave.dylib \
    -o "$work/libceros-secure-enclave-$arch.dylib" "$here/CerosSecureEnclave.swift"
done
lipo -create -output "$out/libceros-secure-enclave.dylib" \
  "$work/libceros-secure-enclave-arm64.dylib" "$work/libceros-secure-enclave-x86_64.dylib"
# Apple silicon refuses to load unsigned code: an ad-hoc signature is enough for dlopen.
codesign --force --sign - "$out/libceros-secure-enclave.dylib"
echo "built $out/libceros-secure-enclave.dylib"
