//! Every case of the corpus's `slsa-provenance/` through `vouch provenance verify`, with
//! the outcome its SOURCES.md states (slsa-verifier's and gh's regression expectations):
//! OK, or a failure at the step that matches upstream's error. Artifacts kept as `.sha256`
//! sidecars are verified in digest mode.
//!
//! Two kinds of case cannot end in OK offline, and the test pins what they end in instead:
//! bare DSSE envelopes that carry a certificate but no log entry (slsa-github-generator
//! v1, `misc/`) pass every other check and fail at `transparency` (upstream searches Rekor
//! online); GitHub's own Sigstore instance is not in the public-good root, so its bundle
//! fails at `chain` as SOURCES.md says it must without GitHub's root.

use std::path::Path;

use crate::support::{corpus, run, vouch};

const GENERIC: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml";
const EXAMPLE: &str = "github.com/slsa-framework/example-package";
const HOSTED: &str = "https://github.com/actions/runner/github-hosted";
/// npm's registry key for its publish attestations, as https://registry.npmjs.org/-/npm/v1/keys
/// serves it (keyid SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA): public data the
/// verifier supplies, as `npm audit signatures` does.
const NPM_KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==\n-----END PUBLIC KEY-----\n";

/// The artifact of a case: a file, or a `.sha256` sidecar (digests, one per line).
#[derive(Clone, Copy)]
enum Subject<'a> {
    File(&'a str),
    Sidecar(&'a str),
}

/// A pushed-tag provenance and the tag expectations it must meet and fail.
type TagCase = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// `base` followed by `extra`: a case's common arguments plus its own.
fn then<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

/// `args` with the value after flag `from` replaced by `to`.
fn replace<'a>(args: &[&'a str], from: &str, to: &'a str) -> Vec<&'a str> {
    let mut out = args.to_vec();
    let at = out.iter().position(|a| *a == from).expect("flag") + 1;
    out[at] = to;
    out
}

/// `Ok(())` or the step (`source`, `builder`, ...) the failure must be at.
type Expected = Result<(), &'static str>;

fn check(
    root: &Path,
    attestation: &str,
    subjects: &[Subject<'_>],
    args: &[&str],
    expected: Expected,
    wrong: &mut Vec<String>,
) {
    let mut cmd = vouch();
    cmd.args(["provenance", "verify", "--attestation"])
        .arg(root.join(attestation));
    for subject in subjects {
        match subject {
            Subject::File(path) => {
                cmd.arg("--artifact").arg(root.join(path));
            }
            Subject::Sidecar(path) => {
                let text = std::fs::read_to_string(root.join(path)).expect("sidecar");
                let digests: Vec<&str> = text.lines().filter(|l| l.starts_with("sha")).collect();
                cmd.arg("--digest").arg(digests.join(","));
            }
        }
    }
    cmd.args(args);
    let (code, stdout, stderr) = run(&mut cmd);
    let got: Result<(), String> = match code {
        0 => Ok(()),
        1 => Err(stderr
            .split("does not verify: ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .unwrap_or("?")
            .trim()
            .to_string()),
        _ => Err(format!("exit {code}")),
    };
    let matches = match (&got, expected) {
        (Ok(()), Ok(())) => true,
        (Err(step), Err(want)) => step == want,
        _ => false,
    };
    if !matches {
        wrong.push(format!(
            "{attestation} {args:?}: expected {expected:?}, got {got:?}\n  {}{}",
            stdout.trim(),
            stderr.trim()
        ));
    }
}

#[test]
fn every_slsa_provenance_case_gives_the_stated_outcome() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("slsa-provenance");
    let npm_key_file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(npm_key_file.path(), NPM_KEY).expect("npm key");
    let npm_key = npm_key_file.path().to_str().unwrap();
    let mut wrong = Vec::new();
    let w = &mut wrong;

    // slsa-github-generator v2.1.0: Sigstore bundles v0.3.
    let dispatch = "gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl";
    let binary = [Subject::Sidecar(
        "gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.sha256",
    )];
    for builder in [
        GENERIC.to_string(),
        format!("{GENERIC}@v2.1.0"),
        format!("{GENERIC}@refs/tags/v2.1.0"),
    ] {
        check(
            &root,
            dispatch,
            &binary,
            &["--builder-id", &builder, "--source-uri", EXAMPLE],
            Ok(()),
            w,
        );
    }
    let base = ["--builder-id", GENERIC, "--source-uri", EXAMPLE];
    check(
        &root,
        dispatch,
        &binary,
        &then(&base, &["--source-branch", "main"]),
        Ok(()),
        w,
    );
    check(
        &root,
        dispatch,
        &binary,
        &then(&base, &["--source-branch", "master"]),
        Err("source"),
        w,
    );
    check(
        &root,
        dispatch,
        &binary,
        &then(&base, &["--source-tag", "v1.2.3"]),
        Err("source"),
        w,
    );
    check(
        &root,
        dispatch,
        &binary,
        &then(&base, &["--source-versioned-tag", "v1"]),
        Err("source"),
        w,
    );
    let not_trusted =
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml";
    check(
        &root,
        dispatch,
        &binary,
        &["--builder-id", not_trusted, "--source-uri", EXAMPLE],
        Err("builder"),
        w,
    );
    for source in [
        "github.com/slsa-framework/example-packageA",
        "github.com/slsa-framework/example",
        "github.com/other/example-package",
    ] {
        check(
            &root,
            dispatch,
            &binary,
            &["--builder-id", GENERIC, "--source-uri", source],
            Err("source"),
            w,
        );
    }
    check(
        &root,
        dispatch,
        &binary,
        &["--source-uri", EXAMPLE],
        Err("builder"),
        w,
    );

    // (attestation, versioned tags that match, versioned tags that do not, exact tags that do not)
    let tag_cases: [TagCase; 3] = [
        (
            "gha_generic/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl",
            &["v13", "v13.0", "v13.0.30"],
            &["v13.0.29", "v13.0.31", "v13.1", "v12.9", "v2", "v0"],
            &["v13.0.29", "v13.0", "v13"],
        ),
        (
            "gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl",
            &["v14", "v14.0"],
            &["v14.1", "v13", "v15", "v13.2", "v0"],
            &[],
        ),
        (
            "gha_generic/v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl",
            &["v14.2", "v14"],
            &[
                "v14.2.1", "v14.2.3", "v14.1", "v14.1.1", "v14.3.1", "v13", "v15", "v15.1",
            ],
            &[],
        ),
    ];
    for (attestation, versioned_ok, versioned_bad, exact_bad) in tag_cases {
        check(&root, attestation, &binary, &base, Ok(()), w);
        for v in versioned_ok {
            check(
                &root,
                attestation,
                &binary,
                &then(&base, &["--source-versioned-tag", v]),
                Ok(()),
                w,
            );
        }
        for v in versioned_bad {
            check(
                &root,
                attestation,
                &binary,
                &then(&base, &["--source-versioned-tag", v]),
                Err("source"),
                w,
            );
        }
        for v in exact_bad {
            check(
                &root,
                attestation,
                &binary,
                &then(&base, &["--source-tag", v]),
                Err("source"),
                w,
            );
        }
    }
    check(
        &root,
        "gha_generic/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl",
        &binary,
        &then(&base, &["--source-tag", "v13.0.30"]),
        Ok(()),
        w,
    );

    // slsa-github-generator v1.10.0: bare envelopes, no log entry inside.
    let old_binary = [Subject::Sidecar(
        "gha_generic/v1.10.0/binary-linux-amd64-workflow_dispatch.sha256",
    )];
    for attestation in [
        "gha_generic/v1.10.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl",
        "gha_generic/v1.10.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl",
    ] {
        check(
            &root,
            attestation,
            &old_binary,
            &base,
            Err("transparency"),
            w,
        );
        check(
            &root,
            attestation,
            &old_binary,
            &then(&base, &["--source-branch", "master"]),
            Err("source"),
            w,
        );
        check(
            &root,
            attestation,
            &old_binary,
            &["--builder-id", not_trusted, "--source-uri", EXAMPLE],
            Err("builder"),
            w,
        );
    }

    // misc/: multi-subject, annotated tag, workflow inputs, untrusted builders.
    let first = Subject::File("misc/binary-linux-amd64-multi-subject-first");
    let second = Subject::File("misc/binary-linux-amd64-multi-subject-second");
    for attestation in [
        "misc/binary-linux-amd64-multi-subject-first.intoto.jsonl",
        "misc/binary-linux-amd64-multi-subject-second.intoto.jsonl",
    ] {
        // The builder is at refs/heads/main: a tagged-builder-only verifier rejects it.
        check(
            &root,
            attestation,
            &[Subject::File("misc/binary-linux-amd64-multi-subject-first")],
            &base,
            Err("builder"),
            w,
        );
        check(
            &root,
            attestation,
            &[first, second],
            &then(&base, &["--allow-untagged-builder"]),
            Err("transparency"),
            w,
        );
        check(
            &root,
            attestation,
            &[Subject::File("misc/annotated-tag.intoto.jsonl")],
            &then(&base, &["--allow-untagged-builder"]),
            Err("digest"),
            w,
        );
    }
    let annotated = [Subject::File("misc/annotated-tag")];
    let asraa = [
        "--builder-id",
        GENERIC,
        "--source-uri",
        "github.com/asraa/slsa-on-github-test",
    ];
    check(
        &root,
        "misc/annotated-tag.intoto.jsonl",
        &annotated,
        &then(&asraa, &["--source-versioned-tag", "v1.5.0"]),
        Err("transparency"),
        w,
    );
    check(
        &root,
        "misc/annotated-tag.intoto.jsonl",
        &annotated,
        &then(
            &asraa,
            &[
                "--source-versioned-tag",
                "v1.5.0",
                "--source-branch",
                "main",
            ],
        ),
        Err("exit 2"),
        w,
    );
    check(
        &root,
        "misc/annotated-tag.intoto.jsonl",
        &annotated,
        &then(&asraa, &["--source-branch", "main"]),
        Err("source"),
        w,
    );
    let inputs = [Subject::File("misc/workflow-inputs")];
    let laurent = [
        "--builder-id",
        GENERIC,
        "--source-uri",
        "github.com/laurentsimon/slsa-on-github-test",
    ];
    check(
        &root,
        "misc/workflow-inputs.intoto.jsonl",
        &inputs,
        &then(
            &laurent,
            &[
                "--input",
                "release_version=(for example, 0.1.0)",
                "--input",
                "some_bool=true",
                "--input",
                "some_integer=123",
            ],
        ),
        Err("transparency"),
        w,
    );
    check(
        &root,
        "misc/workflow-inputs.intoto.jsonl",
        &inputs,
        &then(&laurent, &["--input", "some_integer=321"]),
        Err("source"),
        w,
    );
    check(
        &root,
        "misc/workflow-inputs.intoto.jsonl",
        &inputs,
        &then(&laurent, &["--input", "missing_input=x"]),
        Err("source"),
        w,
    );
    check(
        &root,
        "misc/binary-linux-amd64-untrusted-builder.intoto.jsonl",
        &[Subject::Sidecar(
            "misc/binary-linux-amd64-untrusted-builder.sha256",
        )],
        &[
            "--builder-id",
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml",
        ],
        Err("builder"),
        w,
    );
    // Signed by a certificate no public-good Fulcio CA issued (upstream: ErrorRekorSearch).
    let fork = [
        "--builder-id",
        "https://github.com/asraa/slsa-github-generator/.github/workflows/builder_go_slsa3.yml",
        "--allow-untagged-builder",
    ];
    check(
        &root,
        "misc/binary-linux-amd64-expired-cert.intoto.jsonl",
        &[Subject::Sidecar(
            "misc/binary-linux-amd64-expired-cert.sha256",
        )],
        &fork,
        Err("chain"),
        w,
    );
    check(
        &root,
        "misc/binary-linux-amd64-no-tlog-upload.intoto.jsonl",
        &[Subject::Sidecar(
            "misc/binary-linux-amd64-expired-cert.sha256",
        )],
        &fork,
        Err("chain"),
        w,
    );

    // npm: a publish attestation (npm's key) plus SLSA provenance (keyless), sha512 subjects.
    let gundam = [Subject::Sidecar(
        "npm/gha/gundam-visor-cli-v1-tag.tgz.sha256",
    )];
    let gundam_args = [
        "--key",
        npm_key,
        "--builder-id",
        HOSTED,
        "--source-uri",
        "github.com/ramonpetgrave64/gundam-visor",
        "--package-name",
        "gundam-visor",
        "--package-version",
        "1.0.1",
    ];
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &gundam_args,
        Ok(()),
        w,
    );
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &replace(
            &gundam_args,
            "--builder-id",
            "https://github.com/actions/runner",
        ),
        Err("builder"),
        w,
    );
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &replace(&gundam_args, "--package-version", "1.0.2"),
        Err("digest"),
        w,
    );
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &replace(&gundam_args, "--package-name", "gundam-visorS"),
        Err("digest"),
        w,
    );
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &replace(
            &gundam_args,
            "--source-uri",
            "github.com/ramonpetgrave64/gundam-visorS",
        ),
        Err("source"),
        w,
    );
    for broken in [
        "npm/gha/gundam-visor-cli-v1-tag-invalidsigprov.tgz.json",
        "npm/gha/gundam-visor-cli-v1-tag-invalidsigpub.tgz.json",
    ] {
        check(&root, broken, &gundam, &gundam_args, Err("transparency"), w);
    }
    let goggles = [Subject::Sidecar(
        "npm/gha/supreme-googles-cli-v02-tag.tgz.sha256",
    )];
    for builder in [HOSTED, "https://github.com/actions/runner"] {
        let args = [
            "--key",
            npm_key,
            "--builder-id",
            builder,
            "--source-uri",
            "github.com/trishankatdatadog/supreme-goggles",
            "--package-name",
            "@trishankatdatadog/supreme-goggles",
            "--package-version",
            "1.0.5",
        ];
        check(
            &root,
            "npm/gha/supreme-googles-cli-v02-tag.tgz.json",
            &goggles,
            &args,
            Ok(()),
            w,
        );
    }
    let goggles_args = [
        "--key",
        npm_key,
        "--builder-id",
        HOSTED,
        "--package-name",
        "@trishankatdatadog/supreme-goggles",
        "--package-version",
        "1.0.5",
    ];
    check(
        &root,
        "npm/gha/supreme-googles-cli-v02-tag.tgz.json",
        &goggles,
        &replace(&goggles_args, "--package-version", "1.0.4"),
        Err("digest"),
        w,
    );
    check(
        &root,
        "npm/gha/supreme-googles-cli-v02-tag.tgz.json",
        &goggles,
        &replace(
            &goggles_args,
            "--package-name",
            "@trishankatdatadog/supreme-goggleS",
        ),
        Err("digest"),
        w,
    );
    for broken in [
        "npm/gha/supreme-googles-cli-v02-tag-invalidsigprov.tgz.json",
        "npm/gha/supreme-googles-cli-v02-tag-invalidsigpub.tgz.json",
    ] {
        check(
            &root,
            broken,
            &goggles,
            &goggles_args,
            Err("transparency"),
            w,
        );
    }
    // Without npm's key the publish attestation cannot be verified.
    check(
        &root,
        "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
        &gundam,
        &["--builder-id", HOSTED],
        Err("key"),
        w,
    );

    // Bazel Central Registry: Statement v1, provenance v1, GitHub's buildtype.
    let module = [Subject::Sidecar("bcr/MODULE.bazel.sha256")];
    let publish = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
    check(
        &root,
        "bcr/MODULE.bazel.intoto.jsonl",
        &module,
        &[
            "--builder-id",
            publish,
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ],
        Ok(()),
        w,
    );
    check(
        &root,
        "bcr/MODULE.bazel.intoto.jsonl",
        &module,
        &["--source-uri", "github.com/aspect-build/rules_lint"],
        Err("builder"),
        w,
    );
    let ruleset = "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml";
    let tarball = [Subject::Sidecar("bcr/rules_lint-v1.3.1.tar.gz.sha256")];
    check(
        &root,
        "bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl",
        &tarball,
        &[
            "--builder-id",
            ruleset,
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ],
        Ok(()),
        w,
    );
    check(
        &root,
        "bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl",
        &tarball,
        &["--source-uri", "github.com/aspect-build/rules_lint"],
        Err("builder"),
        w,
    );
    check(
        &root,
        "bcr/MODULE-wrong-signer.bazel.intoto.jsonl",
        &[Subject::Sidecar("bcr/MODULE-wrong-signer.bazel.sha256")],
        &[
            "--builder-id",
            publish,
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ],
        Err("builder"),
        w,
    );

    // GitHub artifact attestations (gh attestation verify).
    let sigstore_js = [Subject::Sidecar(
        "github-attestations/sigstore-js-2.1.0.tgz.sha256",
    )];
    let release = [
        "--builder-id",
        HOSTED,
        "--source-uri",
        "github.com/sigstore/sigstore-js",
    ];
    check(
        &root,
        "github-attestations/sigstore-js-2.1.0-bundle.json",
        &sigstore_js,
        &release,
        Ok(()),
        w,
    );
    check(
        &root,
        "github-attestations/sigstore-js-2.1.0_with_2_bundles.jsonl",
        &sigstore_js,
        &release,
        Ok(()),
        w,
    );
    check(
        &root,
        "github-attestations/sigstore-js-2.1.0_with_2_bundles.jsonl",
        &sigstore_js,
        &[
            &release[..],
            &[
                "--trusted-root",
                root.join("github-attestations/trusted_root.json")
                    .to_str()
                    .unwrap(),
            ],
        ]
        .concat(),
        Ok(()),
        w,
    );
    check(
        &root,
        "github-attestations/sigstore-js-2.1.0-bundle.json",
        &sigstore_js,
        &[
            "--builder-id",
            HOSTED,
            "--source-uri",
            "github.com/sigstore/fakerepo",
        ],
        Err("source"),
        w,
    );
    // The corrupted signature no longer matches the log entry.
    check(
        &root,
        "github-attestations/sigstoreBundle-invalid-signature.json",
        &sigstore_js,
        &release,
        Err("transparency"),
        w,
    );
    // This attestation names its own workflow (on a branch) as the builder.
    let custom = [
        "--builder-id",
        "https://github.com/too-legit/attest/.github/workflows/integration.yml",
        "--allow-untagged-builder",
        "--source-uri",
        "github.com/too-legit/attest",
    ];
    check(
        &root,
        "github-attestations/custom-issuer.sigstore.json",
        &[Subject::File("github-attestations/custom-issuer-artifact")],
        &[
            &custom[..],
            &[
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com/hammer-time",
            ],
        ]
        .concat(),
        Ok(()),
        w,
    );
    check(
        &root,
        "github-attestations/custom-issuer.sigstore.json",
        &[Subject::File("github-attestations/custom-issuer-artifact")],
        &custom,
        Err("identity"),
        w,
    );
    check(
        &root,
        "github-attestations/reusable-workflow-attestation.sigstore.json",
        &[Subject::Sidecar(
            "github-attestations/reusable-workflow-artifact.sha256",
        )],
        &[
            "--builder-id",
            HOSTED,
            "--source-uri",
            "github.com/malancas/attest-demo",
        ],
        Ok(()),
        w,
    );
    let wheel = [Subject::Sidecar(
        "github-attestations/github_provenance_demo-0.0.12-py3-none-any.whl.sha256",
    )];
    check(
        &root,
        "github-attestations/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl",
        &wheel,
        &["--builder-id", HOSTED],
        Err("transparency"),
        w,
    );
    check(
        &root,
        "github-attestations/github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl",
        &wheel,
        &["--builder-id", HOSTED],
        Err("parse"),
        w,
    );
    check(
        &root,
        "github-attestations/github_provenance_demo-0.0.12-py3-none-any-bundle-missing-verification-material.jsonl",
        &wheel,
        &["--builder-id", HOSTED],
        Err("parse"),
        w,
    );

    // Certificate identities, as gh's --cert-identity-regex.
    for (regex, expected) in [
        ("^https://github.com/sigstore/", Ok(())),
        ("^https://github.com/fakeowner/", Err("identity")),
    ] {
        check(
            &root,
            "github-attestations/sigstore-js-2.1.0-bundle.json",
            &sigstore_js,
            &[&release[..], &["--certificate-identity-regexp", regex]].concat(),
            expected,
            w,
        );
    }
    check(
        &root,
        "github-attestations/custom-issuer.sigstore.json",
        &[Subject::File("github-attestations/custom-issuer-artifact")],
        &[
            &custom[..],
            &[
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com/hammer-time",
                "--certificate-identity",
                "https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main",
            ],
        ]
        .concat(),
        Ok(()),
        w,
    );

    assert!(
        wrong.is_empty(),
        "{} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// slsa-verifier's bundle tests and gh's v0.1 bundle: signature, certificate and log only
/// (the library's `verify_statement`), as upstream tests them.
#[test]
fn slsa_verifier_bundle_cases_verify_or_fail_at_the_stated_step() {
    use vouch::verify::attestation::read_attestations;
    use vouch::verify::provenance::{ProvenanceSigner, verify_statement};
    use vouch::verify::trust_root::TrustedRoot;
    let Some(corpus) = corpus() else { return };
    let root = TrustedRoot::public_good().unwrap();
    let dir = corpus.join("slsa-provenance");
    let cases: [(&str, Result<(), &str>); 7] = [
        ("bundle/valid.intoto.sigstore", Ok(())),
        ("bundle/valid-v0.3.intoto.sigstore", Ok(())),
        ("bundle/mismatch-tlog.intoto.sigstore", Err("transparency")),
        ("bundle/invalid-set.intoto.sigstore", Err("transparency")),
        // Upstream's case is disabled because the SET check fails first; any rejection is right.
        ("bundle/invalid-dsse-sig.intoto.sigstore", Err("parse")),
        // Not asserted upstream: parse and inspect (a draft provenance v1 predicate).
        ("bundle/attestation.intoto.sigstore", Ok(())),
        // gh rejects v0.1 by its own policy; v0.1 is a valid Sigstore bundle version (the
        // conformance suite's happy-path-v0.1), so vouch verifies it.
        (
            "github-attestations/sigstore-js-2.1.0-bundle-v0.1.json",
            Ok(()),
        ),
    ];
    let mut wrong = Vec::new();
    for (file, expected) in cases {
        let documents = read_attestations(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        for document in &documents {
            let got = verify_statement(document, &ProvenanceSigner::default_keyless(), &root);
            let matches = match (&got, expected) {
                (Ok(_), Ok(())) => true,
                (Err(error), Err(step)) => error.step.as_str() == step,
                _ => false,
            };
            if !matches {
                wrong.push(format!(
                    "{file}: expected {expected:?}, got {:?}",
                    got.map(|s| s.predicate_type)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The cosign-attached provenance of a container image in an OCI layout, and a
/// key-signed VSA.
#[test]
fn container_provenance_and_the_vsa_give_the_stated_outcomes() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("slsa-provenance");
    let mut wrong = Vec::new();
    let w = &mut wrong;
    let image = [Subject::Sidecar(
        "gha_generic_container/v2.1.0/container_workflow_dispatch.digest",
    )];
    let layout = "gha_generic_container/v2.1.0/container_workflow_dispatch";
    let container = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";
    let base = ["--builder-id", container, "--source-uri", EXAMPLE];
    check(
        &root,
        layout,
        &image,
        &then(&base, &["--source-branch", "main"]),
        Ok(()),
        w,
    );
    check(
        &root,
        layout,
        &image,
        &then(&base, &["--source-branch", "master"]),
        Err("source"),
        w,
    );
    check(
        &root,
        layout,
        &image,
        &then(&base, &["--source-tag", "v1.2.3"]),
        Err("source"),
        w,
    );
    check(
        &root,
        layout,
        &image,
        &[
            "--builder-id",
            container,
            "--source-uri",
            "github.com/slsa-framework/example-packageA",
        ],
        Err("source"),
        w,
    );
    check(
        &root,
        layout,
        &[Subject::Sidecar("bcr/MODULE.bazel.sha256")],
        &base,
        Err("digest"),
        w,
    );

    let vsa = |key_id: &str| {
        let mut cmd = vouch();
        cmd.args(["vsa", "verify", "--attestation"])
            .arg(root.join("vsa/gce/v1/gke-gce-pre.bcid-vsa.jsonl"))
            .arg("--key")
            .arg(root.join("vsa/gce/v1/vsa_signing_public_key.pem"))
            .args(["--key-id", key_id])
            .args(["--subject-digest", "gce_image_id:8970095005306000053"])
            .args([
                "--verifier-id",
                "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1",
            ])
            .args([
                "--resource-uri",
                "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre",
            ])
            .args([
                "--verified-level",
                "BCID_L1",
                "--verified-level",
                "SLSA_BUILD_LEVEL_2",
            ]);
        run(&mut cmd)
    };
    let (code, stdout, stderr) = vsa("keystore://76574:prod:vsa_signing_public_key");
    if code != 0 {
        w.push(format!("VSA with its key id: {stdout}{stderr}"));
    }
    for key_id in ["", "my_key_id"] {
        let (code, _, stderr) = vsa(key_id);
        if code != 1 || !stderr.contains("signature:") {
            w.push(format!(
                "VSA with key id `{key_id}` must fail at the signature: {stderr}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The provenance control on real GitHub attestations: identities and Fulcio extensions
/// from the policy apply to the signing certificate.
#[test]
fn the_provenance_control_applies_identities_and_certificate_extensions() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("slsa-provenance/github-attestations");
    let work = crate::support::tempdir();
    let run_with = |extension: &str| {
        let policy = format!(
            "version: 1\nprovenance:\n  issuers: [\"https://token.actions.githubusercontent.com/hammer-time\"]\n  identities: [\"^https://github.com/too-legit/\"]\n  certificate_extensions: {{{extension}}}\n  builders:\n    - id: \"https://github.com/too-legit/attest/.github/workflows/*.yml\"\n      allow_untagged: true\n  source: {{repository: github.com/too-legit/attest}}\n"
        );
        let path = crate::support::write(work.path(), "vouch.yaml", &policy);
        let (code, stdout, stderr) = run(vouch()
            .args(["verify", "--format", "json", "--policy"])
            .arg(&path)
            .arg("--artifact")
            .arg(dir.join("custom-issuer-artifact"))
            .arg("--attestation")
            .arg(dir.join("custom-issuer.sigstore.json")));
        assert_ne!(code, 2, "{stderr}");
        (code, crate::support::json(&stdout))
    };
    let (code, report) = run_with("source-repository-owner-uri: https://github.com/too-legit");
    assert_eq!(code, 0, "{report}");
    let (code, report) = run_with("runner-environment: self-hosted");
    assert_eq!(code, 1);
    assert_eq!(
        crate::support::codes(&report, "provenance"),
        ["provenance/missing", "provenance/rejected-attestation"]
    );
}
