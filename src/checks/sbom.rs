//! SBOM control: every SBOM given is valid CycloneDX of an allowed version and format,
//! is about the artifact the run is about, lists every locked package (and nothing
//! the lockfiles lack), carries the fields and NTIA minimum elements the policy asks
//! for, and contains no denied license or banned component.

mod completeness;
pub mod license;
pub mod ntia;
mod purl;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{CheckOutput, Code, Control, Finding, FindingSubject, Section};
use crate::evidence::sbom::{Component, ExpectedSubject, LockedPackage, Sbom};
use crate::evidence::{Evidence, Location};
use crate::policy::Policy;
use crate::policy::sections::{GlobPattern, NonEmpty, RequiredField, SbomFormatName, yes};
use license::{LicenseList, Verdict};

/// SBOM settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Oldest CycloneDX spec version accepted (`1.2` to `1.7`).
    #[serde(default = "default_min_spec")]
    pub min_spec_version: SpecVersion,
    /// Formats accepted (`cyclonedx-json`, `cyclonedx-xml`); empty: both.
    #[serde(default)]
    pub formats: Vec<SbomFormatName>,
    /// Fields every component must have: `purl`, `version`, `hashes`, `licenses`,
    /// `supplier`.
    #[serde(default)]
    pub required_fields: Vec<RequiredField>,
    /// License policy.
    #[serde(default)]
    pub licenses: LicensePolicy,
    /// Components that must not be shipped, by purl glob, each with the reason.
    #[serde(default)]
    pub banned: Vec<BannedComponent>,
    /// Lowest acceptable NTIA minimum-elements score, 0 to 1 (1: every component has
    /// supplier, name, version, purl and a dependency relationship, and the SBOM has an
    /// author and a timestamp). Absent: scored and reported, not gated.
    #[serde(default)]
    pub min_ntia_score: Option<Fraction>,
    /// `metadata.component` must be present (and match the subject the run is about,
    /// from `--subject-name`/`--subject-version` or the CI tag).
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub require_subject: bool,
    /// A `--lockfile` must be given, so completeness is always checked.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub require_lockfile: bool,
    /// Development-only packages (npm `dev: true`) must be in the SBOM too.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub include_dev_dependencies: bool,
}

fn default_min_spec() -> SpecVersion {
    SpecVersion("1.4".into())
}

impl Default for SbomPolicy {
    fn default() -> Self {
        SbomPolicy {
            enabled: true,
            advisory: false,
            min_spec_version: default_min_spec(),
            formats: Vec::new(),
            required_fields: Vec::new(),
            licenses: LicensePolicy::default(),
            banned: Vec::new(),
            min_ntia_score: None,
            require_subject: true,
            require_lockfile: false,
            include_dev_dependencies: false,
        }
    }
}

impl Section for SbomPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// License allow and deny lists, as SPDX license ids (optionally `WITH` an exception)
/// or `LicenseRef-` ids.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LicensePolicy {
    /// When not empty, every component's licenses must be satisfiable from these alone
    /// (`MIT OR GPL-3.0-only` passes if `MIT` is listed); a component without a license
    /// then fails.
    #[serde(default)]
    pub allow: Vec<SpdxExpression>,
    /// Licenses no component may be shipped under (a choice avoiding them is fine).
    #[serde(default)]
    pub deny: Vec<SpdxExpression>,
}

/// A component that must not ship.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BannedComponent {
    /// Glob over the component's purl (`pkg:npm/event-stream@3.3.6`, `pkg:cargo/openssl@*`).
    pub purl: GlobPattern,
    /// Why (shown in reports).
    pub reason: NonEmpty,
}

/// A CycloneDX spec version vouch can validate.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(description = "CycloneDX spec version: 1.2 to 1.7.")]
pub struct SpecVersion(#[schemars(regex(pattern = r"^1\.[2-7]$"))] pub String);

impl<'de> Deserialize<'de> for SpecVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let known: Vec<&str> = crate::collect::files::sbom::schema::supported_versions().collect();
        if known.contains(&s.as_str()) {
            Ok(SpecVersion(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{s}` is not a CycloneDX spec version vouch knows ({})",
                known.join(", ")
            )))
        }
    }
}

fn version_number(v: &str) -> (u32, u32) {
    let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
    (major.parse().unwrap_or(0), minor.parse().unwrap_or(0))
}

/// An SPDX license expression that parses.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    description = "An SPDX license id or expression (`MIT`, `Apache-2.0 WITH LLVM-exception`, `LicenseRef-acme`)."
)]
pub struct SpdxExpression(#[schemars(length(min = 1))] pub String);

impl<'de> Deserialize<'de> for SpdxExpression {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let expr = crate::collect::files::sbom::parse_expression(&s).map_err(|e| {
            serde::de::Error::custom(format!("`{s}` is not an SPDX license id: {}", e.reason))
        })?;
        // One license per entry: `A AND B` on a deny list would deny each, `A OR B` on
        // an allow list would allow each, and neither is what the line seems to say.
        if expr.requirements().count() != 1 {
            return Err(serde::de::Error::custom(format!(
                "`{s}`: list one license per entry (optionally `WITH` an exception)"
            )));
        }
        Ok(SpdxExpression(s))
    }
}

/// A number from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, JsonSchema)]
pub struct Fraction(#[schemars(range(min = 0.0, max = 1.0))] pub f64);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Fraction(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not between 0 and 1"
            )))
        }
    }
}

/// The SBOM control.
pub struct SbomCheck;

code!(
    NO_EVIDENCE,
    "sbom/no-evidence",
    Error,
    "The control is enabled but no SBOM was given.",
    "Pass the SBOM with `--sbom FILE` (CycloneDX JSON or XML)."
);
code!(
    UNREADABLE,
    "sbom/unreadable",
    Error,
    "An SBOM could not be read as CycloneDX at all.",
    "Give a CycloneDX JSON or XML document; the message says what was wrong."
);
code!(
    EMPTY,
    "sbom/empty",
    Error,
    "An SBOM lists no component, so it is no evidence of what the artifact contains: every completeness, license and NTIA rule would hold vacuously.",
    "Give the SBOM generated from the build, with its components; an SBOM of nothing describes nothing."
);
code!(
    EMPTY_LOCKFILE,
    "sbom/empty-lockfile",
    Error,
    "A lockfile lists no package, so completeness against it proves nothing.",
    "Give the lockfile the build resolved (`Cargo.lock`, `package-lock.json`), not an empty one."
);
code!(
    INVALID,
    "sbom/invalid",
    Violation,
    "The SBOM breaks the CycloneDX schema of its version or a rule the schema cannot express (unique bom-refs, resolvable dependencies, valid purls, SPDX licenses, hash lengths).",
    "Regenerate the SBOM with a conforming tool, or fix the field named in the message."
);
code!(
    SPEC_TOO_OLD,
    "sbom/spec-too-old",
    Violation,
    "The SBOM uses a CycloneDX version older than the policy's `min_spec_version`.",
    "Generate the SBOM with a newer CycloneDX spec version."
);
code!(
    FORMAT_NOT_ALLOWED,
    "sbom/format-not-allowed",
    Violation,
    "The SBOM's serialization is not among the policy's `formats`.",
    "Publish the SBOM in an allowed format."
);
code!(
    NO_SUBJECT,
    "sbom/no-subject",
    Violation,
    "The SBOM does not say what it describes (`metadata.component` is missing).",
    "Have the generator record the component the SBOM is about."
);
code!(
    SUBJECT_MISMATCH,
    "sbom/subject-mismatch",
    Violation,
    "The SBOM describes another artifact (name or version) than the one this run is about.",
    "Attach the SBOM generated for this release."
);
code!(
    NO_LOCKFILE,
    "sbom/no-lockfile",
    Error,
    "The policy requires completeness against a lockfile but none was given.",
    "Pass the lockfile with `--lockfile Cargo.lock` (or `package-lock.json`)."
);
code!(
    UNREADABLE_LOCKFILE,
    "sbom/unreadable-lockfile",
    Error,
    "A lockfile could not be read, so completeness cannot be checked.",
    "Give a `Cargo.lock` or a `package-lock.json` (v2/v3)."
);
code!(
    MISSING_COMPONENT,
    "sbom/missing-component",
    Violation,
    "A package the lockfile pins is not in the SBOM at any version.",
    "Regenerate the SBOM from the same build as the lockfile."
);
code!(
    PHANTOM_COMPONENT,
    "sbom/phantom-component",
    Violation,
    "The SBOM lists a package of a locked ecosystem that no lockfile contains.",
    "Regenerate the SBOM from the same build as the lockfile; an SBOM that lists what is not shipped is not about this artifact."
);
code!(
    VERSION_MISMATCH,
    "sbom/version-mismatch",
    Violation,
    "A package is locked at one version and listed at another.",
    "Regenerate the SBOM from the same build as the lockfile."
);
code!(
    PURL_DISAGREES,
    "sbom/purl-disagrees",
    Violation,
    "A component's version field says something else than its package URL, which is what completeness and bans match on.",
    "Regenerate the SBOM so that `version` and the purl's version agree."
);
code!(
    UNIDENTIFIED_COMPONENT,
    "sbom/unidentified-component",
    Violation,
    "A library has no (parseable) package URL, so it cannot be matched against the lockfile or the ban list.",
    "Have the generator record a purl for every library."
);
code!(
    MISSING_FIELD,
    "sbom/missing-field",
    Violation,
    "A component lacks a field the policy requires.",
    "Configure the generator to record the field (purl, version, hashes, licenses, supplier)."
);
code!(
    LICENSE_DENIED,
    "sbom/license-denied",
    Violation,
    "A component can only be used under a license the policy denies.",
    "Replace the component, or get a waiver from whoever owns license compliance."
);
code!(
    LICENSE_NOT_ALLOWED,
    "sbom/license-not-allowed",
    Violation,
    "A component's licenses cannot be satisfied from the allow list (or it declares none).",
    "Replace the component, record its license, or add the license to `sbom.licenses.allow`."
);
code!(
    BANNED_COMPONENT,
    "sbom/banned-component",
    Violation,
    "The SBOM contains a component the policy bans.",
    "Remove or replace the component."
);
code!(
    NTIA_BELOW_MINIMUM,
    "sbom/ntia-below-minimum",
    Violation,
    "The SBOM's NTIA minimum-elements score is below the policy's `min_ntia_score`.",
    "Have the generator record supplier, version, purl and dependencies for every component, and an author and timestamp for the SBOM."
);

static CODES: [&Code; 21] = [
    &NO_EVIDENCE,
    &UNREADABLE,
    &EMPTY,
    &EMPTY_LOCKFILE,
    &INVALID,
    &SPEC_TOO_OLD,
    &FORMAT_NOT_ALLOWED,
    &NO_SUBJECT,
    &SUBJECT_MISMATCH,
    &NO_LOCKFILE,
    &UNREADABLE_LOCKFILE,
    &MISSING_COMPONENT,
    &PHANTOM_COMPONENT,
    &VERSION_MISMATCH,
    &PURL_DISAGREES,
    &UNIDENTIFIED_COMPONENT,
    &MISSING_FIELD,
    &LICENSE_DENIED,
    &LICENSE_NOT_ALLOWED,
    &BANNED_COMPONENT,
    &NTIA_BELOW_MINIMUM,
];

impl Control for SbomCheck {
    type Section = SbomPolicy;
    const ID: &'static str = "sbom";
    const TITLE: &'static str = "SBOM";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&SbomPolicy> {
        policy.sbom.as_ref()
    }

    fn evaluate(p: &SbomPolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        if evidence.sbom.is_empty() {
            out.findings
                .push(NO_EVIDENCE.finding("no SBOM was given (use --sbom FILE)"));
            out.summary = "no SBOM".into();
            return out;
        }
        let mut locked: Vec<&LockedPackage> = Vec::new();
        for l in &evidence.lockfiles {
            match &l.observed {
                Ok(lock) if lock.packages.is_empty() => out.findings.push(
                    EMPTY_LOCKFILE
                        .finding(format!("{}: the lockfile lists no package", l.source))
                        .with_location(Some(file(&l.source, None))),
                ),
                Ok(lock) => locked.extend(lock.packages.iter()),
                Err(gap) => out.findings.push(
                    UNREADABLE_LOCKFILE
                        .finding(gap.to_string())
                        .with_location(Some(file(&l.source, None))),
                ),
            }
        }
        if p.require_lockfile && evidence.lockfiles.is_empty() {
            out.findings.push(NO_LOCKFILE.finding(
                "the policy requires completeness against a lockfile (require_lockfile) but no --lockfile was given",
            ));
        }
        let allow = LicenseList::new(p.licenses.allow.iter().map(|e| e.0.as_str()));
        let deny = LicenseList::new(p.licenses.deny.iter().map(|e| e.0.as_str()));
        let banned: Vec<(globset::GlobMatcher, &BannedComponent)> =
            p.banned.iter().map(|b| (b.purl.matcher(), b)).collect();
        let mut summaries = Vec::new();
        for s in &evidence.sbom {
            match &s.observed {
                Err(gap) => {
                    out.findings.push(
                        UNREADABLE
                            .finding(gap.to_string())
                            .with_location(Some(file(&s.source, None))),
                    );
                    summaries.push(format!("{}: unreadable", s.source));
                }
                Ok(sbom) if sbom.components.is_empty() => {
                    out.findings.push(
                        EMPTY
                            .finding(format!(
                                "{}: CycloneDX {} with no component (`components` is empty or absent)",
                                s.source, sbom.spec_version
                            ))
                            .with_location(Some(file(&s.source, None))),
                    );
                    summaries.push(format!("{}: no component", s.source));
                }
                Ok(sbom) => {
                    let judge = Judge {
                        p,
                        source: &s.source,
                        sbom,
                        allow: &allow,
                        deny: &deny,
                        banned: &banned,
                    };
                    summaries.push(judge.run(
                        &locked,
                        !locked.is_empty(),
                        evidence.expected_subject.as_ref(),
                        &mut out.findings,
                    ));
                }
            }
        }
        super::sort_findings(&mut out.findings);
        out.summary = summaries.join("; ");
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.sbom.len() + evidence.lockfiles.len()
    }
}

fn file(path: &str, line: Option<u64>) -> Location {
    Location {
        path: path.into(),
        // A line past 32 bits is in no file vouch reads: left out rather than wrapped.
        line: line.and_then(|l| u32::try_from(l).ok()),
        column: None,
        end_line: None,
    }
}

/// One SBOM under one policy.
struct Judge<'a> {
    p: &'a SbomPolicy,
    source: &'a str,
    sbom: &'a Sbom,
    allow: &'a LicenseList,
    deny: &'a LicenseList,
    banned: &'a [(globset::GlobMatcher, &'a BannedComponent)],
}

impl Judge<'_> {
    /// Appends the SBOM's findings; returns its one-line summary.
    fn run(
        &self,
        locked: &[&LockedPackage],
        have_lockfile: bool,
        expected: Option<&ExpectedSubject>,
        findings: &mut Vec<Finding>,
    ) -> String {
        let (p, sbom) = (self.p, self.sbom);
        // Each purl parsed once, for completeness, identity and bans.
        let purls: Vec<Option<purl::Purl>> = sbom
            .components
            .iter()
            .map(|c| c.purl.as_deref().and_then(purl::Purl::parse))
            .collect();
        for problem in &sbom.problems {
            findings.push(
                INVALID
                    .finding(format!("{}: {}", problem.location, problem.message))
                    .with_location(Some(file(self.source, problem.line))),
            );
        }
        if version_number(&sbom.spec_version) < version_number(&p.min_spec_version.0) {
            findings.push(
                SPEC_TOO_OLD
                    .finding(format!(
                        "CycloneDX {} is older than the policy's minimum {}",
                        sbom.spec_version, p.min_spec_version.0
                    ))
                    .with_location(Some(file(self.source, None))),
            );
        }
        let format = sbom.format.as_str();
        if !p.formats.is_empty() && !p.formats.iter().any(|f| f.0 == format) {
            findings.push(
                FORMAT_NOT_ALLOWED
                    .finding(format!(
                        "{format} is not among the allowed formats ({})",
                        p.formats.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                    ))
                    .with_location(Some(file(self.source, None))),
            );
        }
        self.subject(expected, findings);
        if have_lockfile {
            let gaps = completeness::compare(sbom, &purls, locked, p.include_dev_dependencies);
            for pkg in &gaps.missing {
                findings.push(
                    MISSING_COMPONENT
                        .finding(format!(
                            "{} {} ({} source) is locked but not in the SBOM (expected {})",
                            pkg.name, pkg.version, pkg.source, pkg.purl
                        ))
                        .with_location(Some(file(self.source, None)))
                        .with_subject(FindingSubject {
                            id: Some(pkg.purl.clone()),
                            package: Some(pkg.name.clone()),
                            version: Some(pkg.version.clone()),
                            ..Default::default()
                        }),
                );
            }
            for c in &gaps.phantoms {
                findings.push(
                    PHANTOM_COMPONENT
                        .finding(format!(
                            "{} at {} is in no lockfile",
                            c.display(),
                            c.location
                        ))
                        .with_location(Some(file(self.source, c.line.map(u64::from))))
                        .with_subject(component_subject(c)),
                );
            }
            for (pkg, c) in &gaps.mismatched {
                findings.push(
                    VERSION_MISMATCH
                        .finding(format!(
                            "{} is locked at {} but the SBOM lists {} at {}",
                            pkg.name,
                            pkg.version,
                            c.version.as_deref().unwrap_or("no version"),
                            c.location
                        ))
                        .with_location(Some(file(self.source, c.line.map(u64::from))))
                        .with_subject(component_subject(c)),
                );
            }
        }
        for (c, purl) in sbom.components.iter().zip(&purls) {
            self.component(c, purl.as_ref(), have_lockfile, findings);
        }

        let score = ntia::score(sbom);
        if let Some(min) = p.min_ntia_score
            && score.overall + 1e-9 < min.0
        {
            let lacking: Vec<String> = ntia::COMPONENT_ELEMENTS
                .iter()
                .zip(score.missing_per_element)
                .filter(|(_, n)| *n > 0)
                .map(|(e, n)| format!("{e} missing in {n}"))
                .chain(
                    score
                        .missing_document
                        .iter()
                        .map(|e| format!("no SBOM {e}")),
                )
                .collect();
            findings.push(
                NTIA_BELOW_MINIMUM
                    .finding(format!(
                        "NTIA minimum elements score {:.2} is below {:.2}: {}",
                        score.overall,
                        min.0,
                        lacking.join("; ")
                    ))
                    .with_location(Some(file(self.source, None))),
            );
        }
        format!(
            "{}: CycloneDX {} ({}), {} component(s), {} problem(s); NTIA score {:.2} ({} of {} components complete){}",
            self.source,
            sbom.spec_version,
            format,
            sbom.components.len(),
            sbom.problems.len(),
            score.overall,
            score.complete_components,
            score.components,
            if have_lockfile {
                let unique: std::collections::HashSet<&str> =
                    locked.iter().map(|p| p.purl.as_str()).collect();
                format!("; checked against {} locked package(s)", unique.len())
            } else {
                "; no lockfile, completeness not checked".into()
            }
        )
    }

    fn subject(&self, expected: Option<&ExpectedSubject>, findings: &mut Vec<Finding>) {
        let Some(subject) = &self.sbom.metadata.component else {
            if self.p.require_subject {
                findings.push(
                    NO_SUBJECT
                        .finding("metadata.component is missing")
                        .with_location(Some(file(self.source, None))),
                );
            }
            return;
        };
        let Some(expected) = expected.filter(|_| self.p.require_subject) else {
            return;
        };
        if let Some(name) = &expected.name {
            let full = match subject.group() {
                Some(g) if !g.is_empty() => format!("{g}/{}", subject.name),
                _ => subject.name.to_string(),
            };
            if !name.eq_ignore_ascii_case(&subject.name) && !name.eq_ignore_ascii_case(&full) {
                findings.push(
                    SUBJECT_MISMATCH
                        .finding(format!(
                            "the SBOM is about {:?}, the run about {name:?} ({})",
                            subject.name, expected.origin
                        ))
                        .with_location(Some(file(self.source, subject.line.map(u64::from)))),
                );
            }
        }
        if let Some(version) = &expected.version {
            let bare = |v: &str| v.strip_prefix('v').unwrap_or(v).to_string();
            if subject.version.as_deref().map(bare) != Some(bare(version)) {
                findings.push(
                    SUBJECT_MISMATCH
                        .finding(format!(
                            "the SBOM is about version {}, the run about {version} ({})",
                            subject.version.as_deref().unwrap_or("(none)"),
                            expected.origin
                        ))
                        .with_location(Some(file(self.source, subject.line.map(u64::from)))),
                );
            }
        }
    }

    fn component(
        &self,
        c: &Component,
        purl: Option<&purl::Purl>,
        have_lockfile: bool,
        findings: &mut Vec<Finding>,
    ) {
        let at = || Some(file(self.source, c.line.map(u64::from)));
        match purl {
            Some(p) => {
                if let (Some(pv), Some(v)) = (p.version(), c.version.as_deref())
                    && pv != v
                {
                    findings.push(
                        PURL_DISAGREES
                            .finding(format!(
                                "{} at {}: version {v:?}, but its purl says {pv:?}",
                                c.name, c.location
                            ))
                            .with_location(at())
                            .with_subject(component_subject(c)),
                    );
                }
            }
            // Without a purl a library escapes completeness and bans: say so when
            // either is being checked.
            None if matches!(c.kind.as_str(), "library" | "framework" | "")
                && (have_lockfile || !self.banned.is_empty()) =>
            {
                findings.push(
                    UNIDENTIFIED_COMPONENT
                        .finding(format!(
                            "{} at {} has {}",
                            c.display(),
                            c.location,
                            if c.purl.is_some() {
                                "a purl that does not parse"
                            } else {
                                "no purl"
                            }
                        ))
                        .with_location(at())
                        .with_subject(component_subject(c)),
                );
            }
            None => {}
        }
        for field in &self.p.required_fields {
            let present = match field.0 {
                "purl" => c.purl.is_some(),
                "version" => c.version.as_deref().is_some_and(|v| !v.is_empty()),
                "hashes" => !c.hashes().is_empty(),
                "licenses" => !c.licenses().is_empty(),
                _ => c.supplier().is_some(),
            };
            if !present {
                findings.push(
                    MISSING_FIELD
                        .finding(format!(
                            "{} at {} has no {}",
                            c.display(),
                            c.location,
                            field.0
                        ))
                        .with_location(at())
                        .with_subject(component_subject(c)),
                );
            }
        }
        match license::judge(c.licenses(), self.allow, self.deny) {
            Verdict::Acceptable => {}
            Verdict::Denied(names) => findings.push(
                LICENSE_DENIED
                    .finding(format!(
                        "{} is licensed only under denied terms: {}",
                        c.display(),
                        names.join(", ")
                    ))
                    .with_location(at())
                    .with_subject(component_subject(c)),
            ),
            Verdict::NotAllowed(why) => findings.push(
                LICENSE_NOT_ALLOWED
                    .finding(format!("{}: {why}", c.display()))
                    .with_location(at())
                    .with_subject(component_subject(c)),
            ),
        }
        // Matched on the purl as written and in its canonical forms (no qualifiers or
        // subpath, namespace decoded and encoded), so `?vcs_url=…` or `%40scope` cannot
        // slip a banned package through.
        let forms: Vec<String> = match (&c.purl, purl) {
            (Some(raw), Some(p)) => {
                let version = p.version().map(|v| format!("@{v}")).unwrap_or_default();
                let mut forms = vec![raw.to_string()];
                match p.namespace() {
                    Some(ns) => {
                        forms.push(format!("pkg:{}/{ns}/{}{version}", p.ty(), p.name()));
                        forms.push(format!(
                            "pkg:{}/{}/{}{version}",
                            p.ty(),
                            ns.replace('@', "%40"),
                            p.name()
                        ));
                    }
                    None => forms.push(format!("pkg:{}/{}{version}", p.ty(), p.name())),
                }
                forms
            }
            (Some(raw), None) => vec![raw.to_string()],
            _ => Vec::new(),
        };
        if let Some(purl) = forms.first()
            && let Some((_, ban)) = self
                .banned
                .iter()
                .find(|(m, _)| forms.iter().any(|f| m.is_match(f)))
        {
            findings.push(
                BANNED_COMPONENT
                    .finding(format!(
                        "{purl} is banned ({}): {}",
                        ban.purl.as_str(),
                        ban.reason.0
                    ))
                    .with_location(at())
                    .with_subject(component_subject(c)),
            );
        }
    }
}

fn component_subject(c: &Component) -> FindingSubject {
    FindingSubject {
        id: c.purl.clone(),
        package: Some(c.name.clone()),
        version: c.version.clone(),
        ..Default::default()
    }
}
