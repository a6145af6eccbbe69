//! Verifies sigstore-conformance happy-path bundles N times in one process, for the
//! side-by-side with sigstore-python in BENCHMARKS.md (`benches/run.sh` runs both on the
//! same list under hyperfine and GNU time).
//!
//!     sigstore_verify CASES_DIR N LIST
//!
//! Each verification reads and parses the bundle and the artifact again, as a user
//! verifying N release assets would; trusted roots are loaded once per file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use vouch::cli::sigstore::verify;
use vouch::verify::artifact::Artifact;
use vouch::verify::identity::IdentityPolicy;
use vouch::verify::keys::PublicKey;
use vouch::verify::sigstore::SignerPolicy;
use vouch::verify::trust_root::TrustedRoot;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (root, n, list) = match args.as_slice() {
        [_, root, n, list, ..] => (PathBuf::from(root), n.parse::<usize>().expect("N"), list),
        _ => {
            eprintln!("usage: sigstore_verify CASES_DIR N LIST");
            std::process::exit(2);
        }
    };
    let cases: Vec<PathBuf> = std::fs::read_to_string(list)
        .expect("list")
        .split_whitespace()
        .map(|name| root.join(name))
        .collect();
    let public_good = TrustedRoot::public_good().expect("embedded root");
    let mut roots: HashMap<PathBuf, TrustedRoot> = HashMap::new();
    for i in 0..n {
        let case = &cases[i % cases.len()];
        let trusted = case.join("trusted_root.json");
        let root_for_case = if trusted.is_file() {
            roots.entry(case.clone()).or_insert_with(|| {
                TrustedRoot::from_json(&std::fs::read(&trusted).unwrap()).unwrap()
            })
        } else {
            &public_good
        };
        if let Err(error) = verify_case(&root, case, root_for_case) {
            eprintln!("{}: {error}", case.display());
            std::process::exit(1);
        }
    }
    eprintln!("verified {n} bundles");
}

fn verify_case(
    cases: &Path,
    case: &Path,
    root: &TrustedRoot,
) -> Result<(), vouch::verify::VerifyError> {
    let read = |name: &str, default: &str| {
        std::fs::read_to_string(case.join(name))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| default.to_string())
    };
    let policy = if case.join("key.pub").is_file() {
        SignerPolicy::Key(PublicKey::from_pem(&read("key.pub", "")).expect("key"))
    } else {
        SignerPolicy::Identity(IdentityPolicy::exact(
            &read("identity", IDENTITY),
            &read("issuer", ISSUER),
        ))
    };
    let artifact_path = if case.join("artifact").is_file() {
        case.join("artifact")
    } else {
        cases.join("a.txt")
    };
    let artifact = Artifact::from_file(&artifact_path)?;
    let bundle = std::fs::read(case.join("bundle.sigstore.json")).expect("bundle");
    verify(&bundle, &artifact, &policy, root).map(|_| ())
}
