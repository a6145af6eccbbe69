//! The OIDC identity token keyless signing needs: found in the environment, never passed
//! on the command line (where it would land in shell history and process lists).
//!
//! * GitHub Actions mints one on request: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore`
//!   with `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`. The two variables exist
//!   only with `permissions: id-token: write`. GitHub's tokens live minutes, so one is
//!   minted right before the Fulcio call.
//! * GitLab CI and anything else hand the job a token in `SIGSTORE_ID_TOKEN` (GitLab:
//!   `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`).
//!
//! The token is parsed only to read its claims (issuer, identity, expiry): Fulcio checks
//! its signature. Its text never reaches a log, a report or an error message.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::ci::Env;

/// The audience Sigstore's Fulcio accepts.
pub const AUDIENCE: &str = "sigstore";

/// Where the token comes from.
#[derive(Clone)]
pub enum TokenSource {
    /// Minted by GitHub Actions on request.
    GithubActions {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (a secret).
        bearer: String,
    },
    /// Given in `SIGSTORE_ID_TOKEN` (or by `sign-bundle --identity-token`).
    Given(String),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::GithubActions { .. } => f.write_str("TokenSource::GithubActions"),
            TokenSource::Given(_) => f.write_str("TokenSource::Given"),
        }
    }
}

/// Why no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// Inside GitHub Actions without the permission to mint tokens.
    #[error(
        "--keyless in GitHub Actions needs an OIDC token, and this job cannot mint one: ACTIONS_ID_TOKEN_REQUEST_URL is not set; give the job `permissions: id-token: write`"
    )]
    GithubPermission,
    /// Nowhere to get one.
    #[error(
        "--keyless needs an OIDC identity token and found none: in GitHub Actions give the job `permissions: id-token: write`; in GitLab CI declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`; elsewhere set SIGSTORE_ID_TOKEN"
    )]
    None,
    /// Minting failed.
    #[error("minting the GitHub Actions OIDC token failed: {0}")]
    Mint(String),
    /// Not a JWT, or claims missing.
    #[error("the OIDC token is not usable: {0}")]
    Malformed(String),
    /// Expired.
    #[error("the OIDC token expired at {0} (Unix time); mint a fresh one")]
    Expired(i64),
}

/// Finds where the token comes from.
pub fn find(env: &Env) -> Result<TokenSource, OidcError> {
    if let Some(token) = env.sigstore_id_token() {
        return Ok(TokenSource::Given(token.to_string()));
    }
    if let Some((url, bearer)) = env.github_oidc_request() {
        return Ok(TokenSource::GithubActions {
            url: url.to_string(),
            bearer: bearer.to_string(),
        });
    }
    if env.in_github_actions() {
        return Err(OidcError::GithubPermission);
    }
    Err(OidcError::None)
}

/// A token and the claims vouch reads from it.
#[derive(Clone)]
pub struct IdentityToken {
    jwt: String,
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `email`, when the token carries one (CI tokens do not).
    pub email: Option<String>,
    /// `exp`, Unix seconds.
    pub expires: Option<i64>,
    /// The claims that name a CI workflow (GitHub `job_workflow_ref`, GitLab
    /// `ci_config_ref_uri`), for the identity Fulcio puts in the certificate.
    pub workflow: Option<String>,
}

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token itself.
        f.debug_struct("IdentityToken")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    email: Option<String>,
    exp: Option<i64>,
    job_workflow_ref: Option<String>,
    ci_config_ref_uri: Option<String>,
}

impl IdentityToken {
    /// Reads a JWT's claims (its signature is Fulcio's to check). `now` is Unix seconds.
    pub fn parse(jwt: &str, now: i64) -> Result<Self, OidcError> {
        let jwt = jwt.trim();
        let mut parts = jwt.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcError::Malformed(
                "not a JWT (three dot-separated parts)".into(),
            ));
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| OidcError::Malformed("the payload is not base64url".into()))?;
        let claims: Claims = serde_json::from_slice(&bytes)
            .map_err(|e| OidcError::Malformed(format!("the claims are not JSON: {e}")))?;
        let issuer = claims
            .iss
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OidcError::Malformed("no `iss` claim".into()))?;
        let subject = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OidcError::Malformed("no `sub` claim".into()))?;
        if let Some(exp) = claims.exp
            && exp <= now
        {
            return Err(OidcError::Expired(exp));
        }
        Ok(IdentityToken {
            jwt: jwt.to_string(),
            issuer,
            subject,
            email: claims.email.filter(|s| !s.is_empty()),
            expires: claims.exp,
            workflow: claims
                .job_workflow_ref
                .map(|r| format!("https://github.com/{r}"))
                .or_else(|| claims.ci_config_ref_uri.map(|r| format!("https://{r}"))),
        })
    }

    /// The raw token, for the Fulcio request only.
    pub fn secret(&self) -> &str {
        &self.jwt
    }

    /// The identity Fulcio is expected to certify: the e-mail, the CI workflow, else `sub`.
    pub fn expected_identity(&self) -> &str {
        self.email
            .as_deref()
            .or(self.workflow.as_deref())
            .unwrap_or(&self.subject)
    }
}

#[cfg(test)]
pub(crate) fn test_jwt(claims: &serde_json::Value) -> String {
    let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.{}",
        part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        part(claims),
        URL_SAFE_NO_PAD.encode(b"not-checked-here")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ci_token_without_email_is_read_and_its_workflow_is_the_identity() {
        let jwt = test_jwt(&serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sigstore",
            "exp": 2_000_000_000,
            "job_workflow_ref": "acme/app/.github/workflows/release.yml@refs/heads/main"
        }));
        let token = IdentityToken::parse(&jwt, 1_900_000_000).unwrap();
        assert_eq!(token.issuer, "https://token.actions.githubusercontent.com");
        assert_eq!(
            token.expected_identity(),
            "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
        );
        assert!(!format!("{token:?}").contains(&jwt));
        assert_eq!(
            IdentityToken::parse(&jwt, 2_000_000_001).unwrap_err(),
            OidcError::Expired(2_000_000_000)
        );
        let email = test_jwt(
            &serde_json::json!({"iss": "https://accounts.example.com", "sub": "1", "email": "a@example.com"}),
        );
        assert_eq!(
            IdentityToken::parse(&email, 0).unwrap().expected_identity(),
            "a@example.com"
        );
        for bad in [
            "",
            "a.b",
            "a.!!.c",
            &test_jwt(&serde_json::json!({"sub": "x"})),
        ] {
            assert!(
                matches!(IdentityToken::parse(bad, 0), Err(OidcError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_token_is_found_where_each_ci_puts_it() {
        let env = |vars: &[(&str, &str)]| Env::from_pairs(vars.iter().copied());
        assert!(matches!(
            find(&env(&[("SIGSTORE_ID_TOKEN", "x.y.z")])),
            Ok(TokenSource::Given(_))
        ));
        assert!(matches!(
            find(&env(&[
                ("GITHUB_ACTIONS", "true"),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://t/?x=1"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "bearer-secret"),
            ])),
            Ok(TokenSource::GithubActions { .. })
        ));
        let err = find(&env(&[("GITHUB_ACTIONS", "true")])).unwrap_err();
        assert!(err.to_string().contains("id-token: write"), "{err}");
        let err = find(&env(&[])).unwrap_err();
        assert!(err.to_string().contains("SIGSTORE_ID_TOKEN"), "{err}");
    }
}
