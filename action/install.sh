#!/usr/bin/env bash
# Installs vouch for the GitHub Action (action.yml's first step).
#
# The trust anchor is action/releases.sha256, committed beside this script by the
# release workflow (.github/scripts/pin-action.sh): one line per release binary,
# `<sha256>  v<version>/vouch-<target>[.exe]`. A binary is used only when its sha256
# matches that table, whether it was just downloaded or found in the tool cache (it is
# hashed again on every run); a mismatch stops the job before anything runs. Because
# the table is the anchor, the download location (VOUCH_RELEASE_URL) may be a mirror.
#
# Which release: VOUCH_VERSION (the `version` input) or else the action's own ref
# (GITHUB_ACTION_REF). `1.2.3`/`v1.2.3` is that release, and must be in the table;
# `v1`/`v1.2` is the newest release of the table it matches; a commit SHA is the
# newest release of the table (the release workflow commits the table, so a pinned
# commit names its release); `source`, a branch, or a ref the table does not know
# builds vouch from the action's checkout with `cargo install --locked`, saying so.
#
# Environment: the runner's RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE,
# GITHUB_OUTPUT, GITHUB_PATH, GITHUB_ACTION_PATH, GITHUB_ACTION_REF.
# Output: `path`, the vouch binary to run, and `version`, what was installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
table="${VOUCH_RELEASE_TABLE:-$here/releases.sha256}"
base_url="${VOUCH_RELEASE_URL:-https://github.com/vouch-dev/vouch/releases/download}"
base_url="${base_url%/}"

say() { printf 'vouch: %s\n' "$*"; }
fail() {
  printf '::error title=vouch install::%s\n' "$*"
  exit 1
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The release asset for this runner.
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=".exe"
asset="vouch-${target}${exe}"

# The table's releases for this target, newest first: "<version> <sha256>". (Readers of
# it take the first line they want without exiting early, which would break the pipe.)
releases() {
  [ -n "$target" ] && [ -f "$table" ] || return 0
  awk -v a="$asset" '
    # No regex intervals: mawk (the awk of Debian) lacks them.
    NF == 2 && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ {
      n = split($2, p, "/")
      if (n == 2 && p[2] == a && p[1] ~ /^v[0-9]+\.[0-9]+\.[0-9]+$/) print substr(p[1], 2), $1
    }' "$table" | sort -t. -k1,1nr -k2,2nr -k3,3nr
}

requested="${VOUCH_VERSION:-}"
origin="version input"
if [ -z "$requested" ]; then
  requested="${GITHUB_ACTION_REF:-}"
  origin="action ref"
fi

line=""
plain="${requested#v}"
if [ -z "$requested" ] || [ "$requested" = source ]; then
  :
elif [[ "$requested" =~ ^[0-9a-f]{40}$ ]]; then
  line="$(releases | awk 'NR == 1')"
elif [[ "$plain" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  line="$(releases | awk -v v="$plain" '$1 == v && !n++')"
  if [ -z "$line" ] && [ "$origin" = "version input" ] && [ -n "$target" ]; then
    fail "vouch $requested is not in the action's release table: use an action ref that knows it (@v${plain%%.*}), or version: source"
  fi
elif [[ "$plain" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  line="$(releases | awk -v p="$plain." 'index($1 ".", p) == 1 && !n++')"
fi
version="${line%% *}"
want="${line##* }"

out() { printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:-/dev/null}"; }

if [ -z "$version" ]; then
  why="'${requested:-}' ($origin) names no release in the action's table"
  [ "$requested" = source ] && why="version: source"
  [ -z "$target" ] && why="no release binary is built for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
  say "$why: building from source with cargo install --locked (several minutes; needs a Rust toolchain)"
  command -v cargo >/dev/null 2>&1 || fail "cargo is not installed: add a Rust toolchain step, or use a released version"
  root="${RUNNER_TEMP:?RUNNER_TEMP is not set}/vouch-source"
  cargo install --locked --quiet --path "${GITHUB_ACTION_PATH:-$here}/.." --root "$root"
  bin="$root/bin/vouch${exe}"
  "$bin" --version
  printf '%s\n' "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
  out path "$bin"
  out version source
  exit 0
fi

# The tool cache, laid out as @actions/tool-cache does: <tool>/<version>/<arch>, with
# <arch>.complete once the directory is whole.
arch="$(printf '%s' "${RUNNER_ARCH}" | tr '[:upper:]' '[:lower:]')"
cache="${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}/vouch/$version/$arch"
bin="$cache/vouch${exe}"

if [ -f "$cache.complete" ] && [ -f "$bin" ]; then
  got="$(sha256_of "$bin")"
  if [ "$got" != "$want" ]; then
    fail "the cached $bin has sha256 $got, not $want as the release table says: not running it (remove $cache to download it again)"
  fi
  say "vouch $version ($target) from the tool cache, sha256 $got"
else
  tmp="${RUNNER_TEMP:?RUNNER_TEMP is not set}/vouch-download.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  url="$base_url/v$version/$asset"
  say "downloading $url"
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 \
    --connect-timeout 20 --max-time 300 -o "$tmp/$asset" "$url" ||
    fail "could not download $url"
  got="$(sha256_of "$tmp/$asset")"
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    fail "$asset from $url has sha256 $got, not $want as the release table says: not running it"
  fi
  rm -rf "$cache" "$cache.complete"
  mkdir -p "$cache"
  mv "$tmp/$asset" "$bin"
  rm -rf "$tmp"
  chmod +x "$bin"
  : >"$cache.complete"
  say "installed vouch $version ($target), sha256 $got"
fi

"$bin" --version
printf '%s\n' "$cache" >>"${GITHUB_PATH:-/dev/null}"
out path "$bin"
out version "$version"
