#!/usr/bin/env bash
# Runs `vouch verify` for the GitHub Action (action.yml's second step).
#
# Every input arrives in the environment (VOUCH_*), set by action.yml, and becomes an
# argument here: never spliced into shell text, never word-split or globbed. List
# inputs take one entry per line. Outputs (GITHUB_OUTPUT): verdict (`pass`, `fail`, or
# `error` when vouch could not produce a report), report-path, sarif-path,
# evidence-path, and with attest other than none attestation-path and
# attestation-ids (the GitHub attestation ids, comma-separated, with publish: github).
# The exit status is vouch's own, so a failed gate fails the job.
set -euo pipefail

vouch="${VOUCH_BIN:-vouch}"
out() { printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:-/dev/null}"; }
die() {
  printf '::error title=vouch::%s\n' "$*"
  out verdict error
  exit 2
}

args=()
case "${VOUCH_VERBOSITY:-0}" in
  0 | "") ;;
  1) args+=(-v) ;;
  2) args+=(-vv) ;;
  *) die "verbosity must be 0, 1 or 2, not '${VOUCH_VERBOSITY}'" ;;
esac
args+=(verify)

# `--flag value` for a single-valued input, when it is set.
one() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
# `--flag value` for each non-empty line of a list input (surrounding blanks trimmed).
each() {
  local flag="$1" line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    if [ -n "$line" ]; then args+=("$flag" "$line"); fi
  done <<<"$2"
}

# A policy is optional: without one vouch takes vouch.yaml in the workspace, or its
# built-in default.
one --policy "${VOUCH_POLICY:-}"
each --sarif "${VOUCH_SARIF:-}"
each --sca "${VOUCH_SCA:-}"
each --vex "${VOUCH_VEX:-}"
each --sbom "${VOUCH_SBOM:-}"
each --lockfile "${VOUCH_LOCKFILE:-}"
each --artifact "${VOUCH_ARTIFACT:-}"
each --attestation "${VOUCH_ATTESTATION:-}"
one --trusted-root "${VOUCH_TRUSTED_ROOT:-}"
one --forge "${VOUCH_FORGE:-}"
one --api-url "${VOUCH_API_URL:-}"
one --repo "${VOUCH_REPO:-}"
one --branch "${VOUCH_BRANCH:-}"
one --commit "${VOUCH_COMMIT:-}"
one --range "${VOUCH_RANGE:-}"
one --git-dir "${VOUCH_GIT_DIR:-}"
one --subject-name "${VOUCH_SUBJECT_NAME:-}"
one --subject-version "${VOUCH_SUBJECT_VERSION:-}"
one --evidence-out "${VOUCH_EVIDENCE_OUT:-}"
each --format "${VOUCH_FORMATS:-}"
if [ -n "${VOUCH_SARIF_OUT:-}" ]; then args+=(--format "sarif=$VOUCH_SARIF_OUT"); fi
# The JSON report is always written: the outputs are read from it.
report="${VOUCH_JSON_OUT:-}"
if [ -z "$report" ]; then report="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vouch-report.json"; fi
args+=(--format "json=$report")

case "${VOUCH_ATTEST:-none}" in
  none | "") ;;
  key)
    if [ -z "${VOUCH_SIGN_KEY:-}" ]; then die "attest: key needs the sign-key input"; fi
    args+=(--attest-out "${VOUCH_ATTEST_OUT:-vouch-attestations}" --sign-key "$VOUCH_SIGN_KEY")
    out attestation-path "${VOUCH_ATTEST_OUT:-vouch-attestations}"
    ;;
  keyless)
    args+=(--attest-out "${VOUCH_ATTEST_OUT:-vouch-attestations}" --keyless)
    out attestation-path "${VOUCH_ATTEST_OUT:-vouch-attestations}"
    ;;
  *) die "attest must be none, keyless or key, not '${VOUCH_ATTEST}'" ;;
esac
each --publish "${VOUCH_PUBLISH:-}"

rm -f "$report"
status=0
"$vouch" "${args[@]}" || status=$?

out report-path "$report"
if [ -n "${VOUCH_SARIF_OUT:-}" ]; then out sarif-path "$VOUCH_SARIF_OUT"; fi
if [ -n "${VOUCH_EVIDENCE_OUT:-}" ]; then out evidence-path "$VOUCH_EVIDENCE_OUT"; fi

# The verdict and the published attestation ids, from the report.
python=""
for p in python3 python; do
  if command -v "$p" >/dev/null 2>&1; then python="$p" && break; fi
done
verdict=error
ids=""
if [ -f "$report" ] && [ -n "$python" ]; then
  read -r verdict ids < <("$python" - "$report" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
v = r.get("verdict")
ids = [i for p in ((r.get("attestation") or {}).get("published") or [])
       if p.get("target") == "github" for i in p.get("ids", [])]
print(v if v in ("pass", "fail") else "error", ",".join(ids) or "-")
PY
  )
  [ "$ids" = - ] && ids=""
elif [ -f "$report" ]; then
  # Without python the exit status says it: 0 pass, 1 fail (which also covers a failed
  # publish), anything else error.
  case "$status" in 0) verdict=pass ;; 1) verdict=fail ;; esac
  echo "::warning title=vouch::no python3 on this runner: attestation-ids is not read from the report"
fi
out verdict "${verdict:-error}"
case "${VOUCH_ATTEST:-none}" in
  key | keyless) out attestation-ids "$ids" ;;
esac
exit "$status"
