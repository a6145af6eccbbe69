#!/usr/bin/env bash
# Generates, with an independent tool, what tests/it/sbom_cargo.rs checks vouch against:
# a CycloneDX SBOM of this project (cargo-cyclonedx) and its resolved dependency graph
# (`cargo metadata`), into target/sbom-test/. Uses the crates.io registry, so it runs
# before the tests (the tests themselves stay off the network).
#
#   cargo install cargo-cyclonedx --locked --version 0.5.9   # once
#   tests/generate-cargo-sbom.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/sbom-test
mkdir -p "$out"
# cargo-cyclonedx writes beside Cargo.toml; work in a copy of the manifest and lockfile
# so the source tree is left alone.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Cargo.toml Cargo.lock "$work/"
mkdir -p "$work/src" "$work/benches"
touch "$work/src/lib.rs" "$work/src/main.rs"
for bench in benches/*.rs; do touch "$work/$bench"; done
(cd "$work" && cargo cyclonedx --format json --spec-version 1.5 --target all --quiet)
cp "$work/vouch.cdx.json" "$out/vouch.cdx.json"
(cd "$work" && cargo metadata --format-version 1 --locked) > "$out/cargo-metadata.json"
echo "wrote $out/vouch.cdx.json and $out/cargo-metadata.json"
