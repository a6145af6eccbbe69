//! `vouch evaluate`: re-perform an evaluation from a saved evidence directory, offline.
//!
//! Nothing is believed that can be derived: every file of the directory must match its
//! manifest, and the evidence is derived again from the saved inputs (the forge's
//! answers replayed from the transcript) with the run time and parameters the manifest
//! records. A saved `evidence.json` that disagrees with what its inputs give (a
//! vulnerability deleted, the collection time moved, results emptied) is refused, and
//! so is a policy that is not the one recorded. Then the policy (the saved one, or
//! `--policy` to re-apply a stricter one) is evaluated against the derived evidence.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::Outcome;
use super::output::{OutputSpec, parse_output_spec};
use super::verify::{LoadedPolicy, attestation_signers, report_and_conclude};
use crate::ci::Env;
use crate::collect::forge;
use crate::collect::record::{self, POLICY_FILE, SavedRun, paths};
use crate::collect::{FileInputs, collect};
use crate::evidence::Evidence;

/// Arguments of `vouch evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Evidence directory written by `vouch verify --evidence-out DIR`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Policy to evaluate against (default: the policy saved in DIR).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Report format, as for `vouch verify`.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = parse_output_spec)]
    pub formats: Vec<OutputSpec>,
    /// The signed detailed report of the run (`report.sigstore.json` of
    /// `vouch verify --attest-out`): DIR must be the evidence it names, byte for byte.
    /// Needs the signer (--key, or --certificate-identity with --certificate-oidc-issuer).
    #[arg(long, value_name = "FILE")]
    pub attestation: Option<PathBuf>,
    /// Who signed the attestation.
    #[command(flatten)]
    pub signer: super::attestation::SignerArgs,
}

/// Runs `vouch evaluate`.
pub fn run(args: &EvaluateArgs, env: &Env, stdout_is_tty: bool) -> anyhow::Result<Outcome> {
    match &args.attestation {
        Some(attestation) => check_signed_report(&args.dir, attestation, &args.signer)?,
        None if args.signer.load()?.is_some() => {
            bail!(
                "--key and --certificate-* name the signer of --attestation; give the signed report with --attestation FILE"
            )
        }
        None => {}
    }
    let saved = record::load(&args.dir)?;
    let recorded = LoadedPolicy::from_bytes(
        saved.policy.clone(),
        args.dir.join(POLICY_FILE).display().to_string(),
    )?;
    let derived = rederive(&saved, &recorded)?;
    if derived != saved.evidence {
        bail!(
            "{}: the saved evidence disagrees with what its inputs give ({}): it was edited, or written by another vouch (this is {}, the directory was written by {})",
            args.dir.join(record::EVIDENCE_FILE).display(),
            first_difference(&saved.evidence, &derived),
            env!("CARGO_PKG_VERSION"),
            saved.manifest.tool.version
        );
    }
    let loaded = match &args.policy {
        Some(path) => {
            let given = LoadedPolicy::resolve(Some(path))?;
            refuse_collection_changes(&recorded, &given)?;
            given
        }
        None => recorded,
    };
    loaded.policy.require_a_control(&loaded.name)?;
    if let Some(release) = &saved.manifest.run.release {
        // A release run: the same asset table, from the saved listing and digests.
        let report = super::release::release_report(&loaded, &derived, release);
        super::output::emit(&args.formats, &report, env, stdout_is_tty)?;
        std::mem::forget(derived);
        return Ok(match report.verdict {
            crate::verdict::Overall::Pass => Outcome::Pass,
            crate::verdict::Overall::Fail => Outcome::Fail,
        });
    }
    report_and_conclude(&loaded, derived, &args.formats, env, stdout_is_tty)
}

/// Refuses the directory unless the signed report names it: the report's signature
/// verifies with the signer given, and the `manifest.json` and `evidence.json` of DIR have
/// the sha256 it states (the manifest pins every other file; `record::load` checks those).
fn check_signed_report(
    dir: &std::path::Path,
    attestation: &std::path::Path,
    signer: &super::attestation::SignerArgs,
) -> anyhow::Result<()> {
    use crate::attest::report::{REPORT_PREDICATE_V1, SavedEvidence};
    use crate::report::escape::terminal;
    use sha2::{Digest, Sha256};
    let (policy, root) = signer.load()?.ok_or_else(|| {
        anyhow::anyhow!(
            "--attestation needs the signer: --key, or --certificate-identity with --certificate-oidc-issuer"
        )
    })?;
    let name = attestation.display().to_string();
    let bytes = crate::collect::input::read_json_file(attestation)
        .map_err(|e| anyhow::anyhow!("--attestation {name}: {e}"))?;
    let documents = crate::verify::attestation::read_attestations(&bytes)
        .map_err(|e| anyhow::anyhow!("--attestation {name}: {e}"))?;
    let [document] = documents.as_slice() else {
        bail!(
            "--attestation {name}: expected one signed report, the file holds {}",
            documents.len()
        );
    };
    let statement = crate::verify::vsa::verified_statement(&document.form, &policy, &root, None)
        .map_err(|e| {
            anyhow::anyhow!(
                "--attestation {name}: does not verify: {}",
                terminal(&e.to_string())
            )
        })?;
    if statement.predicate_type != REPORT_PREDICATE_V1 {
        bail!(
            "--attestation {name}: expected vouch's detailed report ({REPORT_PREDICATE_V1}), got predicate type `{}`",
            terminal(&statement.predicate_type)
        );
    }
    let stated: SavedEvidence = statement
        .predicate
        .get("evidence")
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--attestation {name}: the report names no evidence directory (the run had no --evidence-out)"
            )
        })
        .and_then(|value| {
            serde_json::from_value(value)
                .map_err(|e| anyhow::anyhow!("--attestation {name}: field `evidence`: {e}"))
        })?;
    for (file, wanted) in [
        (record::MANIFEST_FILE, &stated.manifest_sha256),
        (record::EVIDENCE_FILE, &stated.evidence_sha256),
    ] {
        let path = dir.join(file);
        let content = crate::collect::input::read_file(&path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let actual = hex::encode(Sha256::digest(&content));
        if !actual.eq_ignore_ascii_case(wanted) {
            bail!(
                "{}: sha256 {actual}, but the signed report {name} names {wanted}: this is not the evidence that was attested (it was edited or replaced)",
                path.display()
            );
        }
    }
    Ok(())
}

/// Refuses a `--policy` that changes what collection decided: who may sign an
/// attestation (issuers, identities, certificate extensions, keys), the trusted root,
/// and which files were read (artifact and attestation globs). Signatures were checked
/// when the evidence was collected, so such a policy would silently not apply; the
/// trust map, expected source and every threshold are re-applied.
fn refuse_collection_changes(recorded: &LoadedPolicy, given: &LoadedPolicy) -> anyhow::Result<()> {
    let collection = |p: &LoadedPolicy| {
        p.policy.provenance.as_ref().filter(|s| s.enabled).map(|s| {
            format!(
                "{:?}",
                (
                    &s.issuers,
                    &s.identities,
                    &s.certificate_extensions,
                    &s.keys,
                    &s.trusted_root,
                    &s.artifacts,
                    &s.attestations,
                )
            )
        })
    };
    if collection(recorded) != collection(given) {
        bail!(
            "{}: its provenance section changes how the evidence was collected (issuers, identities, certificate_extensions, keys, trusted_root, artifacts or attestations), which `vouch evaluate` cannot re-apply to signatures checked when the run was made; run `vouch verify` with this policy instead",
            given.name
        );
    }
    Ok(())
}

/// The evidence the saved inputs give, collected as the original run collected it.
fn rederive(saved: &SavedRun, policy: &LoadedPolicy) -> anyhow::Result<Evidence> {
    let run = &saved.manifest.run;
    let inputs = FileInputs {
        sarif: paths(&run.inputs.sarif),
        sca: paths(&run.inputs.sca),
        vex: paths(&run.inputs.vex),
        sbom: paths(&run.inputs.sbom),
        lockfile: paths(&run.inputs.lockfile),
        artifact: paths(&run.inputs.artifact),
        attestation: paths(&run.inputs.attestation),
        key_files: paths(&run.inputs.keys),
        trusted_root: run.inputs.trusted_root.as_ref().map(PathBuf::from),
        attestation_signers: attestation_signers(&policy.policy)?,
        source: saved.source.clone(),
    };
    let mut evidence = collect(&inputs, run.context.clone(), saved.manifest.collected_at)?;
    evidence.expected_subject = run.expected_subject.clone();
    if let Some(f) = &run.forge {
        let Some(spec) = forge::registry::by_name(&f.kind) else {
            bail!("manifest: forge `{}` is not one vouch reads", f.kind);
        };
        let transcript = saved.transcript.clone().unwrap_or_default();
        let mut session = (spec.replay)(f, transcript)?;
        let (forge_evidence, alerts) = forge::collect(
            session.as_mut(),
            &f.kind,
            &f.api_url,
            &f.repository,
            &f.request,
            &|_| {},
        );
        evidence.forge = Some(forge_evidence);
        evidence.sast.extend(alerts);
    }
    if let Some(g) = &run.git {
        // The clone's answers, replayed: the comparisons are derived again from them.
        let Some(Ok(changes)) = evidence.forge.as_ref().and_then(|f| f.changes.as_ref()) else {
            bail!(
                "manifest: a clone was read, but the saved forge answers give no changes to compare"
            );
        };
        let mut replay = crate::collect::git::runner::ReplayGit::new(
            saved.git_transcript.clone().unwrap_or_default(),
        );
        let compared = crate::collect::git::compare(&mut replay, &g.git_dir, g.explicit, changes);
        if replay.unasked() > 0 {
            bail!(
                "git-transcript.json: {} recorded git command(s) were never asked when re-performing: the transcript does not belong to this evidence",
                replay.unasked()
            );
        }
        evidence.git = Some(compared);
    }
    Ok(evidence)
}

/// The first top-level field (and, for lists, the first entry) where `a` and `b`
/// differ, for the refusal message.
fn first_difference(a: &Evidence, b: &Evidence) -> String {
    let (Ok(a), Ok(b)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return "they differ".into();
    };
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "they differ".into();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x == y {
            continue;
        }
        if let (Some(serde_json::Value::Array(x)), Some(serde_json::Value::Array(y))) = (x, y) {
            let index = x
                .iter()
                .zip(y.iter())
                .position(|(p, q)| p != q)
                .unwrap_or(x.len().min(y.len()));
            return format!("`{key}[{index}]` differs");
        }
        return format!("`{key}` differs");
    }
    "they differ".into()
}
