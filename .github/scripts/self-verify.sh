#!/usr/bin/env bash
# vouch checks its own release, the release workflow's last step:
#   .github/scripts/self-verify.sh DIST VERSION
#
# DIST holds the release as published: vouch-TARGET[.exe] binaries, their SBOMs
# (vouch-TARGET[.exe].cdx.json), their provenance (vouch-TARGET[.exe].sigstore.json)
# and SHA256SUMS. The Linux x86_64 binary, checked against SHA256SUMS first, verifies
# every binary's provenance and SBOM (complete against Cargo.lock) under
# .github/release-policy.yaml. VOUCH_TRUSTED_ROOT selects another Sigstore root (the
# tests use their own); the report is written to DIST/../self-verify.md.
set -euo pipefail
dist="${1:?usage: self-verify.sh DIST VERSION}"
version="${2:?usage: self-verify.sh DIST VERSION}"
policy="${VOUCH_RELEASE_POLICY:-.github/release-policy.yaml}"
(cd "$dist" && sha256sum --check --strict --quiet SHA256SUMS)
vouch="$dist/vouch-x86_64-unknown-linux-musl"
chmod +x "$vouch"

args=(verify --policy "$policy" --subject-name vouch --subject-version "${version#v}"
  --lockfile Cargo.lock --format text --format "markdown=$dist/../self-verify.md")
if [ -n "${VOUCH_TRUSTED_ROOT:-}" ]; then args+=(--trusted-root "$VOUCH_TRUSTED_ROOT"); fi
binaries=0
for f in "$dist"/vouch-*; do
  case "$f" in
    *.cdx.json | *.sigstore.json | *.intoto.jsonl) continue ;;
  esac
  for companion in "$f.sigstore.json" "$f.cdx.json"; do
    if [ ! -f "$companion" ]; then
      echo "self-verify.sh: $companion is missing" >&2
      exit 1
    fi
  done
  args+=(--artifact "$f" --attestation "$f.sigstore.json" --sbom "$f.cdx.json")
  binaries=$((binaries + 1))
done
if [ "$binaries" -eq 0 ]; then
  echo "self-verify.sh: $dist holds no vouch binary" >&2
  exit 1
fi
"$vouch" "${args[@]}"
