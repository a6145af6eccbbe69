#!/usr/bin/env bash
# vouch checks its own release, the release workflow's last step:
#   .github/scripts/self-verify.sh DIR OWNER/REPO TAG
#
# DIR holds the Linux x86_64 binary of the release and SHA256SUMS, as published. The
# binary, checked against SHA256SUMS first, then runs `vouch release verify` on the
# whole release as GitHub serves it: every asset downloaded, every binary's provenance
# (release assets and GitHub's attestations API) and SBOM (complete against
# Cargo.lock) checked under .github/release-policy.yaml, each asset reported. The
# token (GH_TOKEN or GITHUB_TOKEN) needs `contents: read` and `attestations: read`.
# VOUCH_TRUSTED_ROOT selects another Sigstore root and VOUCH_API_URL another API
# (the tests use their own); the report is written to DIR/../self-verify.md.
set -euo pipefail
dir="${1:?usage: self-verify.sh DIR OWNER/REPO TAG}"
repository="${2:?usage: self-verify.sh DIR OWNER/REPO TAG}"
tag="${3:?usage: self-verify.sh DIR OWNER/REPO TAG}"
policy="${VOUCH_RELEASE_POLICY:-.github/release-policy.yaml}"
binary="vouch-x86_64-unknown-linux-musl"
# The binary that does the checking is itself checked first, against the list the
# release publishes (the rest of the release is vouch's to check).
(cd "$dir" && grep -E "^[0-9a-f]{64}  $binary\$" SHA256SUMS | sha256sum --check --strict --quiet)
vouch="$dir/$binary"
chmod +x "$vouch"
args=(release verify "$repository@$tag" --policy "$policy" --subject-name vouch
  --lockfile Cargo.lock --format text --format "markdown=$dir/../self-verify.md")
if [ -n "${VOUCH_TRUSTED_ROOT:-}" ]; then args+=(--trusted-root "$VOUCH_TRUSTED_ROOT"); fi
if [ -n "${VOUCH_API_URL:-}" ]; then args+=(--api-url "$VOUCH_API_URL"); fi
"$vouch" "${args[@]}"
