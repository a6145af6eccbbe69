//! `vouch release verify` against a mock GitHub on loopback: a release whose assets
//! have provenance made in the test, one tampered, one with no attestation, one
//! attested only through the attestations API, one whose bundle is behind a
//! `bundle_url`; fetched online, downloaded then verified offline, and re-performed
//! from saved evidence.

use std::path::PathBuf;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::github::{CANARY, MockGitHub};
use crate::sigstore_fixtures::{
    BUILDER, dsse_bundle, key, key_id, pem, provenance_named, trusted_root,
};
use crate::support::{run, tempdir, vouch, write};

const TAG: &str = "v1.0.0";

/// The release's artifacts: (name, bytes built, bytes served, where its provenance is).
const ARTIFACTS: &[(&str, &str, &str, Where)] = &[
    ("app-linux", "linux build\n", "linux build\n", Where::Asset),
    (
        "app-mac",
        "mac build\n",
        "mac build, swapped\n",
        Where::Asset,
    ),
    (
        "app-windows.exe",
        "windows build\n",
        "windows build\n",
        Where::Nowhere,
    ),
    ("app-arm", "arm build\n", "arm build\n", Where::Api),
    (
        "app-riscv",
        "riscv build\n",
        "riscv build\n",
        Where::BundleUrl,
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Where {
    Asset,
    Nowhere,
    Api,
    BundleUrl,
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A CycloneDX SBOM of the app at `TAG`.
fn sbom() -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"timestamp": "2026-11-20T10:00:00Z",
            "component": {"type": "application", "bom-ref": "app", "name": "app", "version": "1.0.0", "purl": "pkg:cargo/app@1.0.0"}},
        "components": [{"type": "library", "bom-ref": "serde", "name": "serde", "version": "1.0.200", "purl": "pkg:cargo/serde@1.0.200"}]
    })
}

struct Release {
    gh: MockGitHub,
    /// The working directory: policy, keys, trusted root.
    work: tempfile::TempDir,
}

impl Release {
    /// The mock release: every artifact and its SBOM (but the Windows one's), the
    /// release-asset bundles, a checksum list; attestations API answers per digest.
    fn start() -> Release {
        let gh = MockGitHub::start();
        let work = tempdir();
        let uri = gh.server.uri();
        let host = uri.trim_start_matches("http://").to_string();
        let source = format!("{host}/acme/app");
        let (log, signer) = (key(1), key(2));
        write(
            work.path(),
            "trusted_root.json",
            &trusted_root(&log).to_string(),
        );
        write(work.path(), "signer.pub", &pem(&signer));
        write(
            work.path(),
            "vouch.yaml",
            &format!(
                "version: 1\nprovenance:\n  keys: [signer.pub]\n  trusted_root: trusted_root.json\n  builders:\n    - id: \"{BUILDER}\"\n      keys: [\"{}\"]\nsbom: {{}}\n",
                key_id(&signer)
            ),
        );
        let bundle = |name: &str, built: &str| {
            let statement = provenance_named(
                name,
                built.as_bytes(),
                &format!("{BUILDER}@refs/tags/v1.0.0"),
                &source,
                "refs/tags/v1.0.0",
            );
            dsse_bundle(&log, &signer, &statement)
        };
        let mut assets: Vec<(String, Vec<u8>)> = Vec::new();
        let mut sums = String::new();
        for (name, built, served, place) in ARTIFACTS {
            assets.push((name.to_string(), served.as_bytes().to_vec()));
            sums.push_str(&format!("{}  {name}\n", sha256(served.as_bytes())));
            if *name != "app-windows.exe" {
                assets.push((format!("{name}.cdx.json"), sbom().to_string().into_bytes()));
            }
            let digest = sha256(served.as_bytes());
            let api = format!("/repos/acme/app/attestations/sha256:{digest}");
            match place {
                Where::Asset => {
                    assets.push((
                        format!("{name}.sigstore.json"),
                        bundle(name, built).to_string().into_bytes(),
                    ));
                    gh.get(&api, 404, json!({"message": "Not Found"}));
                }
                Where::Nowhere => gh.get(&api, 404, json!({"message": "Not Found"})),
                Where::Api => gh.get(
                    &api,
                    200,
                    json!({"attestations": [{"bundle": bundle(name, built), "repository_id": 1}]}),
                ),
                Where::BundleUrl => {
                    let compressed = snap::raw::Encoder::new()
                        .compress_vec(bundle(name, built).to_string().as_bytes())
                        .unwrap();
                    gh.mount(
                        Mock::given(method("GET"))
                            .and(path(format!("/bundles/{name}")))
                            .respond_with(
                                ResponseTemplate::new(200)
                                    .insert_header("content-type", "application/x-snappy")
                                    .set_body_bytes(compressed),
                            ),
                    );
                    gh.get(
                        &api,
                        200,
                        json!({"attestations": [{"bundle": null, "repository_id": 1,
                            "bundle_url": format!("{uri}/bundles/{name}")}]}),
                    );
                }
            }
        }
        assets.push(("SHA256SUMS".into(), sums.into_bytes()));
        gh.get(
            "/repos/acme/app/releases/tags/v1.0.0",
            200,
            json!({"id": 7, "tag_name": TAG}),
        );
        let listing: Vec<Value> = assets
            .iter()
            .enumerate()
            .map(|(i, (name, bytes))| {
                json!({"id": 100 + i, "name": name, "size": bytes.len(), "state": "uploaded",
                    "url": format!("{uri}/repos/acme/app/releases/assets/{}", 100 + i)})
            })
            .collect();
        gh.get("/repos/acme/app/releases/7/assets", 200, json!(listing));
        for (i, (name, bytes)) in assets.iter().enumerate() {
            // As GitHub does: the API answers with a redirect to storage on another
            // host (here `localhost` for the API's `127.0.0.1`).
            let storage = uri.replace("127.0.0.1", "localhost");
            gh.mount(
                Mock::given(method("GET"))
                    .and(path(format!("/repos/acme/app/releases/assets/{}", 100 + i)))
                    .and(header("accept", "application/octet-stream"))
                    .respond_with(
                        ResponseTemplate::new(302).insert_header(
                            "location",
                            format!("{storage}/storage/{name}").as_str(),
                        ),
                    ),
            );
            gh.mount(
                Mock::given(method("GET"))
                    .and(path(format!("/storage/{name}")))
                    .respond_with(ResponseTemplate::new(200).set_body_bytes(bytes.clone())),
            );
        }
        Release { gh, work }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// Runs `vouch release verify acme/app@v1.0.0 ARGS` in the working directory.
    fn verify(&self, args: &[&str]) -> (i32, String, String) {
        run(vouch()
            .current_dir(self.work.path())
            .args(["release", "verify", "acme/app@v1.0.0", "--api-url"])
            .arg(self.gh.server.uri())
            .args(args)
            .env("GITHUB_TOKEN", CANARY))
    }
}

/// (name, status) of every asset in a JSON report.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["release"]["assets"]
        .as_array()
        .unwrap_or_else(|| panic!("no release section: {report}"))
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reasons(report: &Value, name: &str) -> String {
    report["release"]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .map(|a| a["reasons"].to_string())
        .unwrap_or_default()
}

fn expected() -> Vec<(String, String)> {
    [
        ("app-linux", "verified"),
        ("app-linux.cdx.json", "verified"),
        ("app-linux.sigstore.json", "verified"),
        ("app-mac", "unverified"),
        ("app-mac.cdx.json", "verified"),
        ("app-mac.sigstore.json", "verified"),
        ("app-windows.exe", "unverified"),
        ("app-arm", "verified"),
        ("app-arm.cdx.json", "verified"),
        ("app-riscv", "verified"),
        ("app-riscv.cdx.json", "verified"),
        ("SHA256SUMS", "not-covered"),
    ]
    .iter()
    .map(|(n, s)| (n.to_string(), s.to_string()))
    .collect()
}

#[test]
fn every_asset_gets_its_outcome_online_in_json_text_and_markdown() {
    let r = Release::start();
    let (code, stdout, stderr) = r.verify(&[
        "--format",
        "json",
        "--format",
        "text=report.txt",
        "--format",
        "markdown=report.md",
    ]);
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let errs = crate::support::errors(
        &crate::support::schema("schemas/report.schema.json"),
        &report,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(outcomes(&report), expected(), "{report:#}");
    assert!(reasons(&report, "app-mac").contains("provenance/missing"));
    let windows = reasons(&report, "app-windows.exe");
    assert!(
        windows.contains("provenance/missing") && windows.contains("no SBOM"),
        "{windows}"
    );
    assert_eq!(report["verdict"], "fail");

    let text = std::fs::read_to_string(r.path("report.txt")).unwrap();
    assert!(
        text.contains("acme/app@v1.0.0: 9 verified, 2 unverified, 1 not covered"),
        "{text}"
    );
    for (name, status) in expected() {
        assert!(
            text.lines()
                .any(|l| l.contains(&status) && l.trim_end().ends_with(name.as_str())),
            "text lacks {name} {status}:\n{text}"
        );
    }
    let markdown = std::fs::read_to_string(r.path("report.md")).unwrap();
    assert!(
        markdown
            .contains("**Release:** acme/app, tag v1.0.0: 9 verified, 2 unverified, 1 not covered"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| app\\-mac | artifact | ❌ unverified |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| app\\-riscv | artifact | ✅ verified |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| SHA256SUMS | checksums | ⚪ not covered |"),
        "{markdown}"
    );

    // The token went to the API and nowhere else: storage and bundle URLs never saw it.
    for request in r.gh.requests() {
        let auth = request
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        if request.url.path().starts_with("/repos/") {
            assert_eq!(
                auth.as_deref(),
                Some(format!("Bearer {CANARY}").as_str()),
                "{}",
                request.url
            );
        } else {
            assert_eq!(auth, None, "{} was sent the token", request.url);
        }
    }
    assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY) && !text.contains(CANARY));
}

#[test]
fn a_release_downloaded_then_verified_offline_gives_the_same_outcomes_and_evaluate_re_performs_it()
{
    let r = Release::start();
    let (online_code, online, _) = r.verify(&["--format", "json"]);
    let (code, stdout, stderr) = r.verify(&["--download-only", "dl"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(r.path("dl/app-linux").is_file() && r.path("dl/.vouch/release.json").is_file());
    let riscv = sha256(&std::fs::read(r.path("dl/app-riscv")).unwrap());
    assert!(
        r.path(&format!(
            "dl/.vouch/attestations/sha256-{riscv}.1.sigstore.json"
        ))
        .is_file()
    );
    // Offline: nothing is asked of the API (it names the forge the folder came from).
    let asked = r.gh.requests().len();
    let (code, stdout, stderr) = r.verify(&[
        "--dir",
        "dl",
        "--format",
        "json",
        "--evidence-out",
        "evidence",
    ]);
    assert_eq!(code, online_code, "{stderr}");
    assert_eq!(r.gh.requests().len(), asked, "--dir asked the API");
    let offline: Value = serde_json::from_str(&stdout).unwrap();
    let online: Value = serde_json::from_str(&online).unwrap();
    assert_eq!(outcomes(&offline), outcomes(&online));
    assert_eq!(outcomes(&offline), expected());

    let (code, stdout, stderr) = run(vouch()
        .current_dir(r.work.path())
        .args(["evaluate", "evidence", "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(again["release"], offline["release"]);
    assert_eq!(again["controls"], offline["controls"]);
}

#[test]
fn a_folder_edited_after_download_is_judged_on_what_it_holds() {
    let r = Release::start();
    let (code, _, stderr) = r.verify(&["--download-only", "dl"]);
    assert_eq!(code, 0, "{stderr}");
    // A binary swapped for another of the same length, and a file removed.
    std::fs::write(r.path("dl/app-linux"), "LINUX build\n").unwrap();
    std::fs::remove_file(r.path("dl/app-arm")).unwrap();
    let (code, stdout, stderr) = r.verify(&["--dir", "dl", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let status = |name: &str| {
        outcomes(&report)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
            .unwrap()
    };
    assert_eq!(
        status("app-linux"),
        "unverified",
        "{}",
        reasons(&report, "app-linux")
    );
    assert!(reasons(&report, "app-linux").contains("provenance/missing"));
    assert_eq!(status("app-arm"), "unverified");
    assert!(reasons(&report, "app-arm").contains("not in the release folder"));
    assert_eq!(status("app-riscv"), "verified");

    // The folder is refused when it claims another forge (whose host would name the
    // trusted source), holds a file its listing does not, or links out of itself.
    let refused = |edit: &dyn Fn(), undo: &dyn Fn(), expected: &str| {
        edit();
        let (code, stdout, stderr) = r.verify(&["--dir", "dl"]);
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        undo();
    };
    let record = r.path("dl/.vouch/release.json");
    let saved = std::fs::read_to_string(&record).unwrap();
    let host = serde_json::from_str::<Value>(&saved).unwrap()["host"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        &|| std::fs::write(&record, saved.replace(&host, "github.com")).unwrap(),
        &|| std::fs::write(&record, &saved).unwrap(),
        "was downloaded from github.com",
    );
    refused(
        &|| std::fs::write(r.path("dl/app-extra"), "x").unwrap(),
        &|| std::fs::remove_file(r.path("dl/app-extra")).unwrap(),
        "the release's listing does not: app-extra",
    );
    #[cfg(unix)]
    {
        let riscv = sha256(&std::fs::read(r.path("dl/app-riscv")).unwrap());
        let bundle = r.path(&format!(
            "dl/.vouch/attestations/sha256-{riscv}.1.sigstore.json"
        ));
        let secret = r.path("secret.json");
        std::fs::write(&secret, "{}").unwrap();
        let kept = std::fs::read(&bundle).unwrap();
        refused(
            &|| {
                std::fs::remove_file(&bundle).unwrap();
                std::os::unix::fs::symlink(&secret, &bundle).unwrap();
            },
            &|| {
                std::fs::remove_file(&bundle).unwrap();
                std::fs::write(&bundle, &kept).unwrap();
            },
            "is not a regular file",
        );
    }
}

#[test]
fn a_download_cut_short_resumes_with_a_range_and_one_longer_than_stated_is_refused() {
    let gh = MockGitHub::start();
    let uri = gh.server.uri();
    let body = b"0123456789abcdefghij".to_vec();
    gh.mount(
        Mock::given(method("GET"))
            .and(path("/storage/whole"))
            .and(header("range", "bytes=8-"))
            .respond_with(
                ResponseTemplate::new(206)
                    .insert_header("content-range", "bytes 8-19/20")
                    .set_body_bytes(body[8..].to_vec()),
            ),
    );
    gh.mount(
        Mock::given(method("GET"))
            .and(path("/storage/long"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 40])),
    );
    let dir = tempdir();
    let partial = dir.path().join(".vouch/partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("whole.part"), &body[..8]).unwrap();
    let downloader =
        vouch::collect::release::download::Downloader::new(&uri, Some(CANARY.into())).unwrap();
    let jobs = [
        vouch::collect::release::download::DownloadJob {
            name: "whole".into(),
            url: format!("{uri}/storage/whole"),
            size: 20,
        },
        vouch::collect::release::download::DownloadJob {
            name: "long".into(),
            url: format!("{uri}/storage/long"),
            size: 20,
        },
    ];
    let results = downloader.download_all(&jobs, dir.path(), 2, &|_| {});
    assert_eq!(results[0], Ok(()));
    assert_eq!(std::fs::read(dir.path().join("whole")).unwrap(), body);
    let refused = results[1].as_ref().unwrap_err();
    assert!(refused.contains("longer than the 20 bytes"), "{refused}");
    assert!(
        !dir.path().join("long").exists(),
        "nothing unverified lands in the folder"
    );
}

#[test]
fn an_asset_name_that_is_no_plain_file_name_is_never_written() {
    let gh = MockGitHub::start();
    let uri = gh.server.uri();
    gh.get(
        "/repos/acme/app/releases/tags/v1.0.0",
        200,
        json!({"id": 7, "tag_name": TAG}),
    );
    gh.get(
        "/repos/acme/app/releases/7/assets",
        200,
        json!([{"id": 1, "name": "../../escape", "size": 3, "state": "uploaded", "url": format!("{uri}/storage/x")}]),
    );
    let work = tempdir();
    let (code, stdout, stderr) = run(vouch()
        .current_dir(work.path())
        .args([
            "release",
            "verify",
            "acme/app@v1.0.0",
            "--api-url",
            &uri,
            "--format",
            "json",
        ])
        .env("GITHUB_TOKEN", CANARY));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("not a plain file name"), "{stderr}");
    assert!(!work.path().parent().unwrap().join("escape").exists());
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        outcomes(&report),
        [("../../escape".to_string(), "unverified".to_string())]
    );
}

#[test]
fn asset_names_equal_but_for_case_are_refused() {
    let gh = MockGitHub::start();
    let uri = gh.server.uri();
    gh.get(
        "/repos/acme/app/releases/tags/v1.0.0",
        200,
        json!({"id": 7, "tag_name": TAG}),
    );
    gh.get(
        "/repos/acme/app/releases/7/assets",
        200,
        json!([
            {"id": 1, "name": "tool", "size": 3, "state": "uploaded", "url": format!("{uri}/storage/a")},
            {"id": 2, "name": "TOOL", "size": 3, "state": "uploaded", "url": format!("{uri}/storage/b")}
        ]),
    );
    let work = tempdir();
    let (code, stdout, stderr) = run(vouch()
        .current_dir(work.path())
        .args(["release", "verify", "acme/app@v1.0.0", "--api-url", &uri])
        .env("GITHUB_TOKEN", CANARY));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("lists asset `TOOL` twice"), "{stderr}");
}

#[test]
fn attestations_on_a_later_page_of_the_api_are_found() {
    let r = Release::start();
    // The mock answers app-arm's digest with its bundle inline; move it to page 2.
    let digest = sha256(b"arm build\n");
    let api = format!("/repos/acme/app/attestations/sha256:{digest}");
    let page2 = format!("{}{api}?per_page=100&page=2", r.gh.server.uri());
    let (code, stdout, stderr) = r.verify(&["--download-only", "first"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let inline = std::fs::read(r.path(&format!(
        "first/.vouch/attestations/sha256-{digest}.1.sigstore.json"
    )))
    .unwrap();
    let bundle: Value = serde_json::from_slice(&inline).unwrap();
    r.gh.mount(
        Mock::given(method("GET"))
            .and(path(api.clone()))
            .and(wiremock::matchers::query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"attestations": [{"bundle": bundle}]})),
            )
            .with_priority(1),
    );
    r.gh.mount(
        Mock::given(method("GET"))
            .and(path(api))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", format!("<{page2}>; rel=\"next\"").as_str())
                    .set_body_json(json!({"attestations": []})),
            )
            .with_priority(2),
    );
    let (_, stdout, stderr) = r.verify(&["--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let status = outcomes(&report)
        .into_iter()
        .find(|(n, _)| n == "app-arm")
        .unwrap()
        .1;
    assert_eq!(status, "verified", "{}", reasons(&report, "app-arm"));
}

#[test]
fn an_sbom_of_other_bytes_fails_its_artifact_and_an_advisory_control_only_notes() {
    let r = Release::start();
    let (code, _, stderr) = r.verify(&["--download-only", "dl"]);
    assert_eq!(code, 0, "{stderr}");
    // app-linux's SBOM now names the sha256 of other bytes as its subject's; the
    // listing is edited to match, as a dishonest uploader's would be.
    let mut doc = sbom();
    doc["metadata"]["component"]["hashes"] =
        json!([{"alg": "SHA-256", "content": sha256(b"other bytes")}]);
    let text = doc.to_string();
    std::fs::write(r.path("dl/app-linux.cdx.json"), &text).unwrap();
    let record_path = r.path("dl/.vouch/release.json");
    let mut record: Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    for asset in record["assets"].as_array_mut().unwrap() {
        if asset["name"] == "app-linux.cdx.json" {
            asset["size"] = json!(text.len());
        }
    }
    std::fs::write(&record_path, record.to_string()).unwrap();
    let (code, stdout, stderr) = r.verify(&["--dir", "dl", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let why = reasons(&report, "app-linux");
    assert!(
        why.contains("SBOM app-linux.cdx.json: metadata.component states SHA-256"),
        "{why}"
    );
    let status = |report: &Value, name: &str| {
        outcomes(report)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
    };
    assert_eq!(status(&report, "app-linux"), "unverified");

    // The same with the sbom control advisory: the asset's outcome rests on
    // provenance, and what the SBOM check found is a note.
    let policy = std::fs::read_to_string(r.path("vouch.yaml"))
        .unwrap()
        .replace("sbom: {}", "sbom: {advisory: true}");
    std::fs::write(r.path("advisory.yaml"), policy).unwrap();
    let (_, stdout, stderr) = r.verify(&[
        "--dir",
        "dl",
        "--policy",
        "advisory.yaml",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(status(&report, "app-linux"), "verified");
    let asset = report["release"]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "app-linux")
        .unwrap();
    assert!(
        asset["notes"].to_string().contains("advisory (sbom)"),
        "{asset}"
    );
    // SBOM assets are covered by the sbom control alone: not covered when advisory.
    assert_eq!(status(&report, "app-linux.cdx.json"), "not-covered");
    assert_eq!(status(&report, "app-mac"), "unverified");
}

/// A VSA statement about `name` with `bytes`, from `verifier`, stating `result`.
fn vsa_statement(name: &str, bytes: &[u8], verifier: &str, result: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256(bytes)}}],
        "predicateType": "https://slsa.dev/verification_summary/v1",
        "predicate": {
            "verifier": {"id": verifier},
            "timeVerified": "2026-11-20T10:05:00Z",
            "resourceUri": "git+https://github.com/acme/app",
            "policy": {"uri": "https://verifier.example/policy"},
            "verificationResult": result,
            "verifiedLevels": ["SLSA_BUILD_LEVEL_2"]
        }
    })
}

#[test]
fn vsas_in_the_release_are_judged_per_artifact_against_the_trusted_verifiers() {
    const TRUSTED: &str = "https://verifier.example/vouch";
    let r = Release::start();
    let (code, _, stderr) = r.verify(&["--download-only", "dl"]);
    assert_eq!(code, 0, "{stderr}");
    let (log, signer) = (key(1), key(2));
    // As if uploaded with the release: the files and their listing entries.
    let record_path = r.path("dl/.vouch/release.json");
    let mut record: Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    for (artifact, verifier, result) in [
        ("app-linux", TRUSTED, "PASSED"),
        ("app-arm", "https://impostor.example/verifier", "PASSED"),
        ("app-riscv", TRUSTED, "FAILED"),
    ] {
        let bytes = std::fs::read(r.path(&format!("dl/{artifact}"))).unwrap();
        let statement = vsa_statement(artifact, &bytes, verifier, result);
        let text = dsse_bundle(&log, &signer, &statement).to_string();
        let name = format!("{artifact}.vsa.sigstore.json");
        std::fs::write(r.path(&format!("dl/{name}")), &text).unwrap();
        record["assets"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": name, "size": text.len()}));
    }
    std::fs::write(&record_path, record.to_string()).unwrap();
    let policy = |levels: &str| {
        let base = std::fs::read_to_string(r.path("vouch.yaml")).unwrap();
        std::fs::write(
            r.path("vsa.yaml"),
            format!(
                "{base}vsa:\n  verifiers:\n    - id: \"{TRUSTED}\"\n      keys: [\"{}\"]\n  verified_levels: [{levels}]\n",
                key_id(&signer)
            ),
        )
        .unwrap();
    };
    policy("SLSA_BUILD_LEVEL_1");
    let (code, stdout, stderr) =
        r.verify(&["--dir", "dl", "--policy", "vsa.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let status = |report: &Value, name: &str| {
        outcomes(report)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    };
    assert_eq!(
        status(&report, "app-linux"),
        "verified",
        "{}",
        reasons(&report, "app-linux")
    );
    assert_eq!(status(&report, "app-linux.vsa.sigstore.json"), "verified");
    for (name, code) in [
        ("app-arm", "vsa/untrusted-verifier"),
        ("app-riscv", "vsa/failed"),
        ("app-windows.exe", "vsa/missing"),
    ] {
        assert_eq!(status(&report, name), "unverified", "{name}");
        assert!(
            reasons(&report, name).contains(code),
            "{name}: {}",
            reasons(&report, name)
        );
    }
    let control = crate::support::control(&report, "vsa");
    assert!(
        control["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 of 5 artifact(s) vouched for"),
        "{control}"
    );

    // A level the VSA does not state.
    policy("SLSA_BUILD_LEVEL_3");
    let (_, stdout, _) = r.verify(&["--dir", "dl", "--policy", "vsa.yaml", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(reasons(&report, "app-linux").contains("vsa/missing-level"));

    // A verifier named without who signs for it trusts anyone who claims its id.
    let base = std::fs::read_to_string(r.path("vouch.yaml")).unwrap();
    std::fs::write(
        r.path("vsa.yaml"),
        format!("{base}vsa:\n  verifiers:\n    - id: \"{TRUSTED}\"\n"),
    )
    .unwrap();
    let (code, stdout, _) = r.verify(&["--dir", "dl", "--policy", "vsa.yaml", "--format", "json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status(&report, "app-linux"), "unverified");
    assert!(reasons(&report, "app-linux").contains("vsa/no-trusted-verifier"));
}

/// Writes a release of `n` artifacts of `size` bytes, each with release-asset
/// provenance and an SBOM, as a static GitHub API tree under `root/site` (asset URLs
/// start with `__BASE__`, the server's address) and the verifier's policy, key and
/// trusted root under `root/work`. `benches/release_verify.sh` serves the tree.
fn write_static_release(root: &std::path::Path, n: usize, size: usize) {
    let site = root.join("site");
    let work = root.join("work");
    let (log, signer) = (key(1), key(2));
    std::fs::create_dir_all(site.join("storage")).unwrap();
    std::fs::create_dir_all(site.join("repos/acme/app/releases/tags")).unwrap();
    std::fs::create_dir_all(site.join("repos/acme/app/releases/7")).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    write(&work, "trusted_root.json", &trusted_root(&log).to_string());
    write(&work, "signer.pub", &pem(&signer));
    write(
        &work,
        "vouch.yaml",
        &format!(
            "version: 1\nprovenance:\n  keys: [signer.pub]\n  trusted_root: trusted_root.json\n  builders:\n    - id: \"{BUILDER}\"\n      keys: [\"{}\"]\n  source:\n    repository: {}\nsbom: {{}}\n",
            key_id(&signer),
            crate::sigstore_fixtures::SOURCE
        ),
    );
    let mut listing = Vec::new();
    let mut add = |name: String, bytes: Vec<u8>| {
        std::fs::write(site.join("storage").join(&name), &bytes).unwrap();
        listing.push(
            json!({"id": 100 + listing.len(), "name": name, "size": bytes.len(),
            "state": "uploaded", "url": format!("__BASE__/storage/{name}")}),
        );
    };
    for i in 0..n {
        let name = format!("app-{i:02}");
        // Distinct bytes per asset, cheap to make.
        let mut bytes = vec![b'a' + (i % 26) as u8; size];
        bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let statement = provenance_named(
            &name,
            &bytes,
            &format!("{BUILDER}@refs/tags/v1.0.0"),
            crate::sigstore_fixtures::SOURCE,
            "refs/tags/v1.0.0",
        );
        add(
            format!("{name}.sigstore.json"),
            dsse_bundle(&log, &signer, &statement)
                .to_string()
                .into_bytes(),
        );
        add(format!("{name}.cdx.json"), sbom().to_string().into_bytes());
        add(name, bytes);
    }
    std::fs::write(
        site.join("repos/acme/app/releases/tags/v1.0.0"),
        json!({"id": 7, "tag_name": TAG}).to_string(),
    )
    .unwrap();
    std::fs::write(
        site.join("repos/acme/app/releases/7/assets"),
        json!(listing).to_string(),
    )
    .unwrap();
}

/// The benchmark's release, served from its static files: every asset verifies.
/// With VOUCH_BENCH_RELEASE=DIR set, writes the benchmark's release (VOUCH_BENCH_ASSETS
/// artifacts, default 50, of 1 MiB) to DIR instead, for `benches/release_verify.sh`.
#[test]
fn a_release_written_as_a_static_api_tree_verifies_every_asset() {
    if let Some(dir) = std::env::var_os("VOUCH_BENCH_RELEASE") {
        let n = std::env::var("VOUCH_BENCH_ASSETS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(50);
        write_static_release(std::path::Path::new(&dir), n, 1 << 20);
        return;
    }
    let root = tempdir();
    write_static_release(root.path(), 6, 4096);
    let gh = MockGitHub::start();
    let base = gh.server.uri();
    let site = root.path().join("site");
    for rel in [
        "repos/acme/app/releases/tags/v1.0.0",
        "repos/acme/app/releases/7/assets",
    ] {
        let text = std::fs::read_to_string(site.join(rel))
            .unwrap()
            .replace("__BASE__", &base);
        gh.get(
            &format!("/{rel}"),
            200,
            serde_json::from_str(&text).unwrap(),
        );
    }
    for entry in std::fs::read_dir(site.join("storage")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        gh.mount(
            Mock::given(method("GET"))
                .and(path(format!("/storage/{name}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_bytes(std::fs::read(entry.path()).unwrap()),
                ),
        );
    }
    // No attestations API answers: every lookup is a 404, as from a static server.
    let (code, stdout, stderr) = run(vouch().current_dir(root.path().join("work")).args([
        "release",
        "verify",
        "acme/app@v1.0.0",
        "--api-url",
        &base,
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let statuses = outcomes(&report);
    assert_eq!(statuses.len(), 18);
    assert!(
        statuses.iter().all(|(_, s)| s == "verified"),
        "{statuses:?}"
    );
}
