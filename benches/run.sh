#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md.
#
#   benches/run.sh            # generate inputs into benches/data/ and measure
#
# Needs hyperfine and GNU time (`apt-get install hyperfine time`). Wall time is the
# hyperfine mean of 5 runs after 1 warm-up; peak memory is GNU time's maximum RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bin vouch
bench_exe() { # the executable of benches/$1.rs
  cargo bench --locked --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="'"$1"'" and m.get("executable"):
        print(m["executable"])'
}
BASE=$(bench_exe parse_baseline)
SIGSTORE_BENCH=$(bench_exe sigstore_verify)
VOUCH=target/release/vouch
DATA=benches/data
mkdir -p "$DATA"

[ -f "$DATA/big.sarif" ] || "$BASE" gen-sarif "$DATA/big.sarif" 100
[ -f "$DATA/big-grype.json" ] || "$BASE" gen-sca "$DATA/big-grype.json" 50000
printf 'version: 1\nsast:\n  fail_on: critical\n' > "$DATA/sast.yaml"
printf 'version: 1\nsca:\n  fail_on: critical\n' > "$DATA/sca.yaml"

peak() { /usr/bin/time -f '%M' "$@" >/dev/null 2>"$DATA/time.err" || true; tail -1 "$DATA/time.err"; }

measure() { # name, file, command...
  local name=$1 file=$2; shift 2
  hyperfine --warmup 1 --runs 5 -i --export-json "$DATA/h.json" "$*" >/dev/null 2>&1
  local mean
  mean=$(python3 -c 'import json;print("%.3f"%json.load(open("'"$DATA"'/h.json"))["results"][0]["mean"])')
  local kb
  kb=$(peak "$@")
  local size=0 f
  # Several inputs (a VEX document and its report, a lockfile and its SBOM): the
  # ratio is to their sum.
  for f in ${file//:/ }; do size=$((size + $(stat -c %s "$f"))); done
  python3 -c "print('| $name | %.1f MB | $mean s | %.0f MB | %.2f× |' % ($size/1e6, $kb/1024, $kb*1024/$size))"
}

echo "| run | input | wall (mean of 5) | peak RSS | peak / input size |"
echo "|---|---|---|---|---|"
measure "serde_json::Value parse (baseline)" "$DATA/big.sarif" "$BASE" baseline "$DATA/big.sarif"
measure "serde_json IgnoredAny scan (lower bound)" "$DATA/big.sarif" "$BASE" baseline-skip "$DATA/big.sarif"
measure "vouch verify --sarif (SAST gate, json report)" "$DATA/big.sarif" "$VOUCH" verify --policy "$DATA/sast.yaml" --sarif "$DATA/big.sarif" --format json=/dev/null
measure "serde_json::Value parse (baseline)" "$DATA/big-grype.json" "$BASE" baseline "$DATA/big-grype.json"
measure "serde_json IgnoredAny scan (lower bound)" "$DATA/big-grype.json" "$BASE" baseline-skip "$DATA/big-grype.json"
measure "vouch verify --sca (SCA gate, json report)" "$DATA/big-grype.json" "$VOUCH" verify --policy "$DATA/sca.yaml" --sca "$DATA/big-grype.json" --format json=/dev/null

# SBOM control (issue 4): generated CycloneDX 1.6 SBOMs with dependencies and the
# Cargo.lock pinning exactly their packages, at three sizes to show the curve.
for n in 2000 20000 100000; do
  [ -f "$DATA/sbom-$n.cdx.json" ] || "$BASE" gen-sbom "$DATA/sbom-$n.cdx.json" "$DATA/sbom-$n.lock" "$n"
done
echo
echo "| run | input | wall (mean of 5) | peak RSS | peak / input size |"
echo "|---|---|---|---|---|"
for n in 2000 20000 100000; do
  measure "serde_json::Value parse, $n components (baseline)" "$DATA/sbom-$n.cdx.json" "$BASE" baseline "$DATA/sbom-$n.cdx.json"
  measure "vouch sbom check --lockfile, $n components" "$DATA/sbom-$n.cdx.json" "$VOUCH" sbom check "$DATA/sbom-$n.cdx.json" --lockfile "$DATA/sbom-$n.lock" --format json=/dev/null
done

# Fail-closed work of issue 10: the inputs that were quadratic (VEX statements,
# exceptions x results, Cargo.lock dependency entries) and peak memory per reader.
[ -f "$DATA/vex-30000.json" ] || python3 benches/gen_scaling.py "$DATA"
printf 'version: 1\nsca:\n  fail_on: critical\n' > "$DATA/sca-critical.yaml"
printf 'version: 1\nsbom:\n  require_subject: false\n' > "$DATA/sbom-any.yaml"
printf 'version: 1\nsast:\n  fail_on: low\n' > "$DATA/sast-low.yaml"
echo
echo "| run | input | wall (mean of 5) | peak RSS | peak / input size |"
echo "|---|---|---|---|---|"
measure "30,000 VEX statements over 30,000 advisories" "$DATA/vex-30000.json" "$VOUCH" verify --policy "$DATA/sca-critical.yaml" --sca "$DATA/audit-30000.json" --vex "$DATA/vex-30000.json" --format json=/dev/null
measure "200 path exceptions over 10,000 SARIF results" "$DATA/results-10000.sarif" "$VOUCH" verify --policy "$DATA/exceptions-200.yaml" --sarif "$DATA/results-10000.sarif" --format json=/dev/null
measure "Cargo.lock of 20,000 packages (60,000 dependency entries) + SBOM" "$DATA/Cargo-20000.lock" "$VOUCH" verify --policy "$DATA/sbom-any.yaml" --sbom "$DATA/sbom-cargo-20000.cdx.json" --lockfile "$DATA/Cargo-20000.lock" --format json=/dev/null
measure "CycloneDX JSON, 20,000 components" "$DATA/sbom-cargo-20000.cdx.json" "$VOUCH" verify --policy "$DATA/sbom-any.yaml" --sbom "$DATA/sbom-cargo-20000.cdx.json" --format json=/dev/null
measure "CycloneDX XML, 20,000 components" "$DATA/sbom-20000.cdx.xml" "$VOUCH" verify --policy "$DATA/sbom-any.yaml" --sbom "$DATA/sbom-20000.cdx.xml" --format json=/dev/null
measure "SARIF 10,000 failing results, all five reports" "$DATA/results-10000.sarif" "$VOUCH" verify --policy "$DATA/sast-low.yaml" --sarif "$DATA/results-10000.sarif" --format json=/dev/null --format sarif=/dev/null --format junit=/dev/null --format markdown=/dev/null --format text=/dev/null

# Peak memory against the input size (issue 10: at most 4x), on inputs large enough
# that the process's own 10 MB do not dominate: python3 benches/gen_memory.py.
[ -f "$DATA/sbom-full-100000.cdx.json" ] || python3 benches/gen_memory.py "$DATA"
five="--format json=/dev/null --format sarif=/dev/null --format junit=/dev/null --format markdown=/dev/null --format text=/dev/null"
echo
echo "| run | input | wall (mean of 5) | peak RSS | peak / input size |"
echo "|---|---|---|---|---|"
for f in sbom-full-100000.cdx.json sbom-full-100000.cdx.xml sbom-min-200000.cdx.json sbom-min-200000.cdx.xml; do
  measure "$f" "$DATA/$f" "$VOUCH" verify --policy "$DATA/sbom-any.yaml" --sbom "$DATA/$f" --format json=/dev/null
done
measure "results-200000.sarif, JSON report" "$DATA/results-200000.sarif" "$VOUCH" verify --policy "$DATA/sast-low.yaml" --sarif "$DATA/results-200000.sarif" --format json=/dev/null
# shellcheck disable=SC2086
measure "results-200000.sarif, all five reports" "$DATA/results-200000.sarif" "$VOUCH" verify --policy "$DATA/sast-low.yaml" --sarif "$DATA/results-200000.sarif" $five

# The reference validator, cyclonedx-python-lib (what cyclonedx-py validates with), on
# the same files, once each: it takes minutes at 20,000 components.
if [ ! -x "$DATA/venv/bin/python" ]; then
  python3 -m venv "$DATA/venv"
  "$DATA/venv/bin/pip" install -q "cyclonedx-python-lib[json-validation]==11.12.0"
fi
echo
echo "| validator | components | wall (1 run) | peak RSS |"
echo "|---|---|---|---|"
# PY_SIZES=2000 skips the 20,000-component run (about 13 minutes).
for n in ${PY_SIZES:-2000 20000}; do
  /usr/bin/time -f '%e %M' "$DATA/venv/bin/python" benches/cyclonedx_py_validate.py "$DATA/sbom-$n.cdx.json" 2>"$DATA/time.err" >/dev/null || true
  read -r secs kb < <(tail -1 "$DATA/time.err")
  python3 -c "print('| cyclonedx-python-lib 11.12.0 (JSON schema, 1.6) | $n | %.1f s | %.0f MB |' % ($secs, $kb/1024))"
done

# Sigstore bundle verification (issue 5): the sigstore-conformance happy paths that
# sigstore-python can verify, cycled to 100 bundles in one process, offline, for both
# tools; and one pass over the distinct bundles (no repeats, so nothing is remembered).
CASES=${VOUCH_CORPUS:-../shared/corpus}/sigstore-conformance/assets/bundle-verify
if [ ! -x "$DATA/sigstore-venv/bin/python" ]; then
  python3 -m venv "$DATA/sigstore-venv"
  "$DATA/sigstore-venv/bin/pip" install -q "sigstore==4.5.1"
fi
SIGPY="$DATA/sigstore-venv/bin/python"
"$SIGPY" benches/sigstore_py_verify.py "$CASES" --probe >"$DATA/sigstore-happy.txt" 2>"$DATA/sigstore-probe.err"
DISTINCT=$(wc -w <"$DATA/sigstore-happy.txt")
echo
echo "($DISTINCT distinct happy-path bundles; left out: $(grep -c 'cannot verify' "$DATA/sigstore-probe.err" || true), see $DATA/sigstore-probe.err)"
echo
echo "| verifier | bundles | wall (mean of 10) | peak RSS |"
echo "|---|---|---|---|"
for n in 100 "$DISTINCT"; do
  for tool in vouch sigstore-python; do
    if [ "$tool" = vouch ]; then cmd=("$SIGSTORE_BENCH" "$CASES" "$n" "$DATA/sigstore-happy.txt"); label="vouch (benches/sigstore_verify.rs)"
    else cmd=("$SIGPY" benches/sigstore_py_verify.py "$CASES" "$n" "$DATA/sigstore-happy.txt"); label="sigstore-python 4.5.1"; fi
    hyperfine -N --warmup 2 --runs 10 --export-json "$DATA/h.json" "${cmd[*]}" >/dev/null 2>&1
    mean=$(python3 -c 'import json;print("%.1f"%(1000*json.load(open("'"$DATA"'/h.json"))["results"][0]["mean"]))')
    kb=$(peak "${cmd[@]}")
    python3 -c "print('| $label | $n | $mean ms | %.0f MB |' % ($kb/1024))"
  done
done

# Every reader against its input (issue 10: at most 4x), each input 20-80 MB:
# python3 benches/gen_readers.py (the SCA reports grow the repository's own fixtures).
[ -f "$DATA/reader-cargo-audit.json" ] || python3 benches/gen_readers.py "$DATA"
printf 'version: 1\nsbom:\n  require_subject: false\n  require_lockfile: true\n' > "$DATA/sbom-lock.yaml"
echo
echo "| reader | input | wall (mean of 5) | peak RSS | peak / input size |"
echo "|---|---|---|---|---|"
for f in cargo-audit grype trivy osv-scanner gitlab-dependency-scanning pip-audit npm-audit govulncheck; do
  measure "$f" "$DATA/reader-$f.json" "$VOUCH" verify --policy "$DATA/sca-critical.yaml" --sca "$DATA/reader-$f.json" --format json=/dev/null
done
measure "OpenVEX (with the cargo-audit report it waives)" "$DATA/reader-openvex.json:$DATA/reader-cargo-audit.json" "$VOUCH" verify --policy "$DATA/sca-critical.yaml" --sca "$DATA/reader-cargo-audit.json" --vex "$DATA/reader-openvex.json" --format json=/dev/null
measure "Cargo.lock, 200,000 packages (with its SBOM)" "$DATA/reader-Cargo.lock:$DATA/reader-Cargo.lock.cdx.json" "$VOUCH" verify --policy "$DATA/sbom-lock.yaml" --sbom "$DATA/reader-Cargo.lock.cdx.json" --lockfile "$DATA/reader-Cargo.lock" --format json=/dev/null
measure "package-lock.json, 200,000 packages (with its SBOM)" "$DATA/reader-package-lock.json:$DATA/reader-package-lock.cdx.json" "$VOUCH" verify --policy "$DATA/sbom-lock.yaml" --sbom "$DATA/reader-package-lock.cdx.json" --lockfile "$DATA/reader-package-lock.json" --format json=/dev/null
measure "policy, 60,000 exceptions" "$DATA/reader-policy.yaml" "$VOUCH" policy check "$DATA/reader-policy.yaml"
