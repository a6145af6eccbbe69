#!/usr/bin/env bash
# The GitHub Action's install step (action/install.sh) in a simulated runner, timed
# with hyperfine: cold (empty tool cache, the binary downloaded from a loopback HTTP
# server) and warm (from the tool cache, hashed again).
#
#   benches/action_install.sh [BINARY]     # default target/dist/vouch
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-target/dist/vouch}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
case "$(uname -m)" in
  aarch64) arch=ARM64 target=aarch64-unknown-linux-musl ;;
  *) arch=X64 target=x86_64-unknown-linux-musl ;;
esac
mkdir -p "$work/action" "$work/serve/v9.9.9" "$work/temp" "$work/cache"
cp action/install.sh "$work/action/"
cp "$binary" "$work/serve/v9.9.9/vouch-$target"
printf '%s  v9.9.9/vouch-%s\n' "$(sha256sum "$binary" | cut -d' ' -f1)" "$target" >"$work/action/releases.sha256"
port=$((20000 + RANDOM % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/serve" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
export RUNNER_OS=Linux RUNNER_ARCH="$arch" RUNNER_TEMP="$work/temp" RUNNER_TOOL_CACHE="$work/cache"
export GITHUB_OUTPUT="$work/output" GITHUB_PATH="$work/path" GITHUB_ACTION_REF=v9
export VOUCH_RELEASE_URL="http://127.0.0.1:$port"
echo "binary: $binary, $(wc -c <"$binary") bytes"
hyperfine --warmup 1 --runs 10 --prepare "rm -rf '$work/cache/vouch'" -n cold "bash $work/action/install.sh"
hyperfine --warmup 1 --runs 20 -n warm "bash $work/action/install.sh"
