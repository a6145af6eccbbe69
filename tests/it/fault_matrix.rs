//! The fault matrix: every forge route vouch reads × every way a forge misbehaves.
//! A transient fault is retried to the clean verdict; a persistent one makes the control
//! that needed the route an `error` (exit 1), never a pass, and always within the
//! forge deadline.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::github::{
    HEAD, MockGitHub, POLICY, check_run, mount_checks, mount_clean_history, mount_good_protection,
    range,
};
use super::support::status;

/// A route vouch calls, and the control that cannot be judged without it.
struct Route {
    name: &'static str,
    method: &'static str,
    path: String,
    owner: &'static str,
}

fn routes() -> Vec<Route> {
    let get = |name, path: String, owner| Route {
        name,
        method: "GET",
        path,
        owner,
    };
    vec![
        // Classic protection alone enforces every branch setting of the policy, so
        // without the rules branch protection is still proven; the required checks are
        // named only in the ruleset, so those become unknown.
        get(
            "rules for the branch",
            "/repos/acme/ledger/rules/branches/main".into(),
            "required-checks",
        ),
        get(
            "ruleset (bypass actors)",
            "/repos/acme/ledger/rulesets/42".into(),
            "branch-protection",
        ),
        // Rulesets enforce every branch setting, so classic protection decides only
        // which checks the branch requires (the required-checks control names none).
        get(
            "classic protection",
            "/repos/acme/ledger/branches/main/protection".into(),
            "required-checks",
        ),
        get(
            "check runs",
            format!("/repos/acme/ledger/commits/{HEAD}/check-runs"),
            "required-checks",
        ),
        get(
            "commit statuses",
            format!("/repos/acme/ledger/commits/{HEAD}/status"),
            "required-checks",
        ),
        Route {
            name: "GraphQL history",
            method: "POST",
            path: "/graphql".into(),
            owner: "peer-review",
        },
    ]
}

/// How a forge can misbehave, and whether retrying should get past it.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Unauthorized,
    Forbidden,
    RateLimited403,
    NotFound,
    TooManyRequests,
    ServerErrorPersistent,
    BadGatewayOnce,
    SlowerThanTheDeadline,
    TruncatedJson,
    DroppedConnectionOnce,
    WrongShape,
}

impl Fault {
    fn transient(self) -> bool {
        matches!(
            self,
            Fault::RateLimited403
                | Fault::TooManyRequests
                | Fault::BadGatewayOnce
                | Fault::DroppedConnectionOnce
        )
    }

    /// The faulty answer, and how many times it is given (`None`: always).
    fn response(self) -> (ResponseTemplate, Option<u64>) {
        let message = |status: u16, text: &str| {
            ResponseTemplate::new(status).set_body_json(json!({"message": text}))
        };
        let reset = (time::OffsetDateTime::now_utc().unix_timestamp() + 1).to_string();
        match self {
            Fault::Unauthorized => (message(401, "Bad credentials"), None),
            Fault::Forbidden => (message(403, "Resource not accessible by integration"), None),
            Fault::RateLimited403 => (
                message(403, "API rate limit exceeded")
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset.as_str()),
                Some(1),
            ),
            Fault::NotFound => (message(404, "Not Found"), None),
            Fault::TooManyRequests => (
                message(429, "slow down").insert_header("retry-after", "1"),
                Some(1),
            ),
            Fault::ServerErrorPersistent => (message(500, "boom"), None),
            Fault::BadGatewayOnce => (message(502, "bad gateway"), Some(1)),
            Fault::SlowerThanTheDeadline => (
                ResponseTemplate::new(200)
                    .set_body_json(json!({}))
                    .set_delay(Duration::from_secs(30)),
                None,
            ),
            Fault::TruncatedJson => (
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"total_count": 1, "check_"#, "application/json"),
                None,
            ),
            // A declared length the body never reaches: the server closes mid-body.
            Fault::DroppedConnectionOnce => (
                ResponseTemplate::new(200)
                    .set_body_raw("{\"total", "application/json")
                    .insert_header("content-length", "4096"),
                Some(1),
            ),
            Fault::WrongShape => (ResponseTemplate::new(200).set_body_json(json!({})), None),
        }
    }
}

/// Seconds the runs give the forge; the slow fault must end within it (plus start-up).
const DEADLINE: u64 = 4;

fn run_with_fault(route: &Route, fault: Fault) -> (i32, Value, Duration) {
    let gh = MockGitHub::start();
    let (template, times) = fault.response();
    let mut mock = Mock::given(method(route.method))
        .and(path(route.path.clone()))
        .respond_with(template)
        .with_priority(1);
    if let Some(n) = times {
        mock = mock.up_to_n_times(n);
    }
    gh.mount(mock);
    mount_good_protection(&gh);
    mount_clean_history(&gh);
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let started = Instant::now();
    let deadline = DEADLINE.to_string();
    let (code, report, _) = gh.verify(
        POLICY,
        &["--range", &range(), "--forge-deadline", &deadline],
    );
    (code, report, started.elapsed())
}

fn check(fault: Fault) {
    for route in routes() {
        let (code, report, took) = run_with_fault(&route, fault);
        let context = format!("{} × {fault:?}: {report}", route.name);
        assert!(
            took < Duration::from_secs(DEADLINE + 6),
            "{context}: took {took:?}"
        );
        if fault.transient() {
            assert_eq!(code, 0, "retried to the clean verdict: {context}");
            for id in ["branch-protection", "peer-review", "required-checks"] {
                assert_eq!(status(&report, id), "pass", "{id}: {context}");
            }
        } else {
            assert_eq!(code, 1, "{context}");
            assert_eq!(status(&report, route.owner), "error", "{context}");
        }
    }
}

macro_rules! fault_tests {
    ($($name:ident => $fault:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check($fault);
            }
        )*
    };
}

fault_tests! {
    every_route_fails_closed_on_401 => Fault::Unauthorized,
    every_route_fails_closed_on_403 => Fault::Forbidden,
    every_route_waits_out_a_403_rate_limit => Fault::RateLimited403,
    every_route_fails_closed_on_404 => Fault::NotFound,
    every_route_waits_out_a_429_retry_after => Fault::TooManyRequests,
    every_route_fails_closed_on_a_persistent_500 => Fault::ServerErrorPersistent,
    every_route_retries_a_502_once => Fault::BadGatewayOnce,
    every_route_fails_closed_within_the_deadline_when_too_slow => Fault::SlowerThanTheDeadline,
    every_route_fails_closed_on_truncated_json => Fault::TruncatedJson,
    every_route_retries_a_dropped_connection => Fault::DroppedConnectionOnce,
    every_route_fails_closed_on_a_200_of_the_wrong_shape => Fault::WrongShape,
}
