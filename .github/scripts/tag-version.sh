#!/usr/bin/env bash
# The release version of a tag: .github/scripts/tag-version.sh TAG [CARGO_TOML]
#
# Prints MAJOR.MINOR.PATCH for a tag vMAJOR.MINOR.PATCH, and refuses a tag whose version
# is not the package version in Cargo.toml: the binaries, their SBOMs (which name the
# package version) and the Action's table must all say the same.
set -euo pipefail
tag="${1:?usage: tag-version.sh TAG [CARGO_TOML]}"
manifest="${2:-Cargo.toml}"
tag="${tag#refs/tags/}"
if ! [[ "$tag" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  echo "tag-version.sh: '$tag' is not a release tag (vMAJOR.MINOR.PATCH)" >&2
  exit 2
fi
version="${BASH_REMATCH[1]}"
# The first `version =` of the [package] table.
package="$(awk '/^\[/ { in_pkg = ($0 == "[package]") } in_pkg && /^version[ \t]*=/ { gsub(/.*=[ \t]*"|".*/, ""); print; exit }' "$manifest")"
if [ "$package" != "$version" ]; then
  echo "tag-version.sh: tag $tag, but $manifest says version ${package:-nothing}" >&2
  exit 1
fi
echo "$version"
