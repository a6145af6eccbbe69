#!/usr/bin/env bash
# SHA256SUMS of a release: .github/scripts/checksums.sh DIST
#
# One `sha256sum` line for every file in DIST but SHA256SUMS itself, sorted by name,
# so `sha256sum -c SHA256SUMS` checks a download.
set -euo pipefail
dist="${1:?usage: checksums.sh DIST}"
cd "$dist"
files=()
while IFS= read -r f; do
  [ "$f" = SHA256SUMS ] || files+=("$f")
done < <(find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "checksums.sh: $dist holds no file" >&2
  exit 1
fi
sha256sum -- "${files[@]}" >SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
cat SHA256SUMS
