#!/usr/bin/env bash
# Records a release's binaries in the Action's table:
#   .github/scripts/pin-action.sh VERSION SHA256SUMS [TABLE]
#
# Appends `<sha256>  vVERSION/<binary>` for each vouch binary in the release's
# SHA256SUMS (not its SBOMs or attestations) to TABLE (default action/releases.sha256),
# the trust anchor action/install.sh checks every download against. Running it again
# for the same release changes nothing; a release already pinned with other digests is
# refused, since a table line is never rewritten.
set -euo pipefail
version="${1:?usage: pin-action.sh VERSION SHA256SUMS [TABLE]}"
sums="${2:?usage: pin-action.sh VERSION SHA256SUMS [TABLE]}"
table="${3:-action/releases.sha256}"
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "pin-action.sh: '$version' is not a release version (MAJOR.MINOR.PATCH)" >&2
  exit 2
fi
touch "$table"
added=0
while read -r sha name rest; do
  name="${name#\*}"
  case "$name" in
    vouch-*.cdx.json | vouch-*.sigstore.json | vouch-*.intoto.jsonl) continue ;;
    vouch-*) ;;
    *) continue ;;
  esac
  if ! [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || [ -n "$rest" ]; then
    echo "pin-action.sh: $sums: not a sha256sum line for $name" >&2
    exit 1
  fi
  key="v$version/$name"
  existing="$(awk -v k="$key" '$2 == k { print $1 }' "$table")"
  if [ "$existing" = "$sha" ]; then
    continue
  elif [ -n "$existing" ]; then
    echo "pin-action.sh: $key is pinned already with sha256 $existing, not $sha: refusing to rewrite it" >&2
    exit 1
  fi
  printf '%s  %s\n' "$sha" "$key" >>"$table"
  added=$((added + 1))
done <"$sums"
if [ "$added" -eq 0 ] && ! grep -q "  v$version/" "$table"; then
  echo "pin-action.sh: $sums names no vouch binary" >&2
  exit 1
fi
echo "pinned $added binaries of v$version in $table"
