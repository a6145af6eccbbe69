#!/usr/bin/env bash
# Builds one release binary: .github/scripts/build-release.sh TARGET [DIST]
#
# Writes DIST/vouch-TARGET (vouch-TARGET.exe on Windows), built with Cargo.toml's dist
# profile (stripped, whole-program LTO, one codegen unit). Linux targets are musl, linked
# statically so one binary runs on any distribution; musl-gcc (Debian's musl-tools)
# compiles the C in aws-lc-sys and ring for them.
set -euo pipefail
target="${1:?usage: build-release.sh TARGET [DIST]}"
dist="${2:-dist}"

case "$target" in
  *-linux-musl)
    if ! command -v musl-gcc >/dev/null 2>&1; then
      sudo apt-get update -qq
      sudo apt-get install -y -qq musl-tools
    fi
    # The C compiler and linker for the musl target.
    export "CC_${target//-/_}=musl-gcc"
    ;;
  *-pc-windows-msvc | *-apple-darwin) ;;
  *)
    echo "build-release.sh: no release build is defined for $target" >&2
    exit 2
    ;;
esac

rustup target add "$target"
cargo build --profile dist --locked --target "$target" --bin vouch

exe=""
case "$target" in *-windows-*) exe=".exe" ;; esac
mkdir -p "$dist"
cp "target/$target/dist/vouch$exe" "$dist/vouch-$target$exe"
# Fail the build rather than ship a binary that does not start on its own runner.
"$dist/vouch-$target$exe" --version
size=$(wc -c <"$dist/vouch-$target$exe" | tr -d ' ')
echo "built $dist/vouch-$target$exe: $size bytes"
