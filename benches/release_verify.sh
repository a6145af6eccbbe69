#!/usr/bin/env bash
# `vouch release verify` on a release of 50 artifacts (1 MiB each, each with
# release-asset provenance and an SBOM: 150 assets), served by a static loopback
# HTTP server as the GitHub API would answer, timed with hyperfine: online
# (list, download, look up attestations, verify), download only, and offline on the
# downloaded folder (`--dir`: verification alone).
#
#   benches/release_verify.sh [BINARY] [ARTIFACTS]     # default target/release/vouch, 50
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-target/release/vouch}")"
artifacts="${2:-50}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# The release is made by the test suite's own fixture code (keys, bundles, SBOMs).
VOUCH_BENCH_RELEASE="$work/release" VOUCH_BENCH_ASSETS="$artifacts" \
  cargo test --locked --quiet --test it -- --exact \
  release_verify::a_release_written_as_a_static_api_tree_verifies_every_asset >/dev/null
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
sed -i "s|__BASE__|$base|g" "$work/release/site/repos/acme/app/releases/7/assets"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/release/site" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "$base/storage/" >/dev/null && break; sleep 0.1; done
cd "$work/release/work"
verify=("$binary" release verify acme/app@v1.0.0 --api-url "$base" --format json=/dev/null)
echo "binary: $binary; $artifacts artifacts, $(find "$work/release/site/storage" -type f | wc -l) assets, $(du -sh "$work/release/site/storage" | cut -f1)"
"$binary" release verify acme/app@v1.0.0 --api-url "$base" --download-only dl >/dev/null 2>&1
"$binary" release verify acme/app@v1.0.0 --dir dl --format text | head -3
hyperfine --warmup 1 --runs 10 -i \
  -n online "${verify[*]}" \
  -n download-only --prepare "rm -rf dl2" "${verify[*]} --download-only dl2" \
  -n offline "${verify[*]} --dir dl"
