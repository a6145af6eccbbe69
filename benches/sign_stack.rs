//! What signing costs: `vouch verify` unsigned against the same run signed keyless on
//! the loopback Sigstore of the tests (`tests/it/sigstore_stack.rs`: Fulcio, Rekor v1,
//! TSA), with the requests each signed run makes. Run by `benches/run.sh` (or
//! `cargo bench --bench sign_stack`); figures go to BENCHMARKS.md.
//!
//! Three measures per run: wall time; vouch's own CPU time (user + system of the child,
//! from `getrusage(RUSAGE_CHILDREN)`; the services run in this process, so none of
//! their work is in it); and the services' answering time (summed in the mock). What
//! signing adds of vouch's own time is the CPU difference; the wall difference beyond
//! it and the services' time is loopback HTTP and waiting.

#[path = "../tests/it/sigstore_stack.rs"]
#[allow(dead_code)]
mod sigstore_stack;

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time (user + system) of every child waited for so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes the struct it is given and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One run's figures.
struct Took {
    wall: Duration,
    cpu: Duration,
    services: Duration,
}

fn main() {
    let stack = sigstore_stack::Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |name: &str, text: String| {
        let path = root.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let trusted_root = write(
        "trusted_root.json",
        stack.authority.trusted_root().to_string(),
    );
    let signing_config = write("signing_config.json", stack.signing_config().to_string());
    let policy = write("vouch.yaml", "version: 1\nsbom: {}\n".into());
    let artifact = write("ledger-1.0.tar.gz", "the release artifact".into());
    let sbom = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/evidence/ledger.cdx.json"
    );
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    let token = sigstore_stack::token(exp);
    let run = |signed: Option<usize>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.env_clear()
            .arg("verify")
            .arg("--policy")
            .arg(&policy)
            .arg("--sbom")
            .arg(sbom)
            .arg("--artifact")
            .arg(&artifact)
            .args(["--repo", "acme/ledger", "--format", "json=/dev/null"]);
        if let Some(i) = signed {
            cmd.env("SIGSTORE_ID_TOKEN", &token)
                .arg("--keyless")
                .arg("--signing-config")
                .arg(&signing_config)
                .arg("--trusted-root")
                .arg(&trusted_root)
                .arg("--attest-out")
                .arg(root.join(format!("out-{i}")));
        }
        let (cpu, services) = (children_cpu(), stack.service_time());
        let start = Instant::now();
        let out = cmd.output().unwrap();
        let wall = start.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Took {
            wall,
            cpu: children_cpu() - cpu,
            services: stack.service_time() - services,
        }
    };
    run(None);
    run(Some(usize::MAX));
    let before = stack.requests().len();
    let mut unsigned = Vec::new();
    let mut signed = Vec::new();
    for i in 0..RUNS {
        unsigned.push(run(None));
        signed.push(run(Some(i)));
    }
    let requests = stack.requests()[before..].to_vec();
    let per_run =
        |p: &str| requests.iter().filter(|(_, path)| path == p).count() as f64 / RUNS as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let of = |runs: &[Took], f: fn(&Took) -> Duration| median(runs.iter().map(f).collect());
    let wall = (of(&unsigned, |t| t.wall), of(&signed, |t| t.wall));
    let cpu = (of(&unsigned, |t| t.cpu), of(&signed, |t| t.cpu));
    let services = of(&signed, |t| t.services);
    println!("runs: {RUNS} each, interleaved; medians");
    println!(
        "wall: unsigned {:.1} ms, signed keyless (2 bundles) {:.1} ms, difference {:.1} ms",
        ms(wall.0),
        ms(wall.1),
        ms(wall.1) - ms(wall.0)
    );
    println!(
        "vouch's own CPU: unsigned {:.1} ms, signed {:.1} ms, signing adds {:.1} ms",
        ms(cpu.0),
        ms(cpu.1),
        ms(cpu.1) - ms(cpu.0)
    );
    println!(
        "services answering (Fulcio, Rekor, TSA) per signed run: {:.1} ms",
        ms(services)
    );
    println!(
        "requests per signed run: Fulcio {} , Rekor {} , TSA {}",
        per_run("/api/v2/signingCert"),
        per_run("/api/v1/log/entries"),
        per_run("/api/v1/timestamp")
    );
}
