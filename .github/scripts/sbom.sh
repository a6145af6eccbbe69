#!/usr/bin/env bash
# The SBOM of each release binary: .github/scripts/sbom.sh DIST TARGET...
#
# cargo-cyclonedx (0.5.9, pinned) describes the dependency graph cargo resolves for
# each TARGET from Cargo.lock, which is what that binary links; written beside it as
# DIST/vouch-TARGET[.exe].cdx.json, so a verifier pairs the two by name.
set -euo pipefail
dist="${1:?usage: sbom.sh DIST TARGET...}"
shift
[ "$#" -gt 0 ] || { echo "usage: sbom.sh DIST TARGET..." >&2; exit 2; }
if ! command -v cargo-cyclonedx >/dev/null 2>&1; then
  cargo install cargo-cyclonedx --locked --version 0.5.9 --quiet
fi
mkdir -p "$dist"
for target in "$@"; do
  cargo cyclonedx --format json --spec-version 1.5 --target "$target" --quiet
  exe=""
  case "$target" in *-windows-*) exe=".exe" ;; esac
  mv vouch.cdx.json "$dist/vouch-$target$exe.cdx.json"
  echo "wrote $dist/vouch-$target$exe.cdx.json"
done
