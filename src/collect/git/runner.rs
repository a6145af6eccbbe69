//! Running `git`, live or from a transcript.
//!
//! [`LiveGit`] runs the machine's `git` on the clone, bounded in time and output, and
//! records every command with its answer; [`ReplayGit`] gives a re-performance the same
//! answers in the same order, so `vouch evaluate` derives the git evidence again
//! instead of believing it (as the forge transcript does for the forge).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How long all of a run's git commands may take together.
pub const GIT_DEADLINE: Duration = Duration::from_secs(120);
/// Most bytes of standard output one command may give (a tree's path list is far less).
pub const MAX_GIT_OUTPUT: u64 = 16 << 20;
/// Most bytes of a command's standard error kept for its error message.
const MAX_GIT_STDERR: u64 = 4 << 10;

/// What a git command answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitOutput {
    /// Exit status.
    pub status: i32,
    /// Standard output (paths that are not UTF-8 are kept lossily, the same way live and
    /// replayed).
    pub stdout: String,
    /// The start of standard error, for messages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

/// Runs git commands on one clone.
pub trait Git {
    /// Runs `git ARGS` with `stdin`; `Err` when git could not be run to completion
    /// (not found, killed at the deadline, output over the limit).
    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String>;

    /// Runs `git ARGS` in the verified store: a repository holding only objects that
    /// came through `git fetch` from the borrowed one, so that git re-hashed every one
    /// of them on the way (git does not check that an object read from a clone's
    /// object directory is what its name says). There, [`BORROWED`] names the borrowed
    /// store as a fetch source.
    fn run_verified(&mut self, args: &[&str]) -> Result<GitOutput, String>;
}

/// The borrowed store, as a fetch source for a command run in the verified store.
pub const BORROWED: &str = "./repo";

/// Every command of one run and its answer, in order (`git-transcript.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitTranscript {
    /// Commands in the order they ran.
    pub exchanges: Vec<GitExchange>,
}

/// One command and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitExchange {
    /// Arguments after `git` (the fixed safety options left out).
    pub args: Vec<String>,
    /// What was written to its standard input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<GitOutput>,
    /// Why it did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Run in the verified store ([`Git::run_verified`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
}

/// The machine's `git` on a clone, which is untrusted input.
///
/// A clone's own configuration and files can make git run programs (a merge driver or
/// a clean filter named in `.git/config` and selected by `.git/info/attributes`, an
/// `ssh` command for a lazy fetch in a partial clone) or read other objects than the
/// ones named (replace refs, `info/grafts`). So the clone is asked only `rev-parse`
/// questions about itself; everything that reads objects runs in a scratch bare
/// repository of vouch's own that borrows the clone's object directory as an
/// alternate: no configuration, attributes, refs or grafts of the clone's apply, and
/// the objects git writes (the re-merged trees) land in the scratch, never the clone.
/// The user's own git configuration is left out too (it could hold a merge driver),
/// so a re-merge gives the same tree on every machine.
pub struct LiveGit {
    dir: PathBuf,
    deadline: Instant,
    /// Holds the isolated repository (`repo`) and an empty home directory.
    scratch: tempfile::TempDir,
    /// Whether the isolated repository is set up; why not, when it could not be.
    isolated: Option<Result<(), String>>,
    /// The clone's object format, once known.
    format: String,
    /// Whether the verified store is set up; why not, when it could not be.
    verified: Option<Result<(), String>>,
    transcript: GitTranscript,
}

/// Questions the clone itself is asked (its location, object format, shallowness):
/// `rev-parse` reads configuration and refs but never objects, drivers or filters.
const ASKED_OF_THE_CLONE: &str = "rev-parse";

impl LiveGit {
    /// A runner on `dir`, its deadline starting now.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        let scratch = tempfile::tempdir()?;
        std::fs::create_dir(scratch.path().join("home"))?;
        Ok(LiveGit {
            dir: dir.to_path_buf(),
            deadline: Instant::now() + GIT_DEADLINE,
            scratch,
            isolated: None,
            format: String::new(),
            verified: None,
            transcript: GitTranscript::default(),
        })
    }

    /// The commands run so far and their answers.
    pub fn take_transcript(&mut self) -> GitTranscript {
        std::mem::take(&mut self.transcript)
    }

    fn repo(&self) -> PathBuf {
        self.scratch.path().join("repo")
    }

    fn verified_repo(&self) -> PathBuf {
        self.scratch.path().join("verified")
    }

    /// `git init --bare` of a scratch repository in the clone's object format.
    fn init(&self, repo: &Path, format: &str) -> Result<(), String> {
        let out = self
            .git()
            .args(["init", "--quiet", "--bare"])
            .arg(format!("--object-format={format}"))
            .arg(repo)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git init of a scratch repository failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    }

    /// `git` with an environment of vouch's making: no variable a CI job, a hook or the
    /// user set (`GIT_DIR`, `GIT_CONFIG_PARAMETERS`, `GIT_REPLACE_REF_BASE`, …) and
    /// no system or user configuration or attributes.
    fn git(&self) -> Command {
        let mut command = Command::new("git");
        command.env_clear();
        for kept in ["PATH", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP"] {
            if let Some(value) = std::env::var_os(kept) {
                command.env(kept, value);
            }
        }
        let home = self.scratch.path().join("home");
        command
            .env("HOME", &home)
            .env("USERPROFILE", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", home.join("none"))
            .env("GIT_ATTR_NOSYSTEM", "1")
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_GRAFT_FILE", home.join("none"))
            .env("GIT_NO_LAZY_FETCH", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            // No fsmonitor daemon is started, nothing pages.
            .args(["--no-pager", "-c", "core.fsmonitor=false"]);
        command
    }

    /// Sets up the isolated repository once the clone's object directory and format
    /// are known (the answer to [`probe`](super::probe)'s `rev-parse`).
    fn isolate(&mut self, answer: &str) -> Result<(), String> {
        let mut lines = answer.lines();
        let (Some(objects), Some(format)) = (lines.next(), lines.next()) else {
            return Err(format!("git rev-parse answered `{}`", answer.trim()));
        };
        if !matches!(format, "sha1" | "sha256") {
            return Err(format!(
                "the clone's object format `{format}` is not one vouch reads"
            ));
        }
        // An alternates file holds one path per line; a quoted line means something else.
        if objects.is_empty() || objects.starts_with('"') || objects.contains('\r') {
            return Err(format!(
                "the clone's object directory `{objects}` cannot be borrowed"
            ));
        }
        let repo = self.repo();
        self.init(&repo, format)?;
        self.format = format.to_string();
        std::fs::write(
            repo.join("objects").join("info").join("alternates"),
            format!("{objects}\n"),
        )
        .map_err(|e| format!("cannot write the scratch repository: {e}"))
    }

    fn execute(
        &mut self,
        args: &[&str],
        stdin: Option<&str>,
        verified: bool,
    ) -> Result<GitOutput, String> {
        let remaining = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                format!(
                    "the {} s allowed for reading the clone ran out",
                    GIT_DEADLINE.as_secs()
                )
            })?;
        let mut command = self.git();
        if verified {
            if self.isolated != Some(Ok(())) {
                return Err("the verified store is asked before the clone was probed".into());
            }
            if self.verified.is_none() {
                let format = self.format.clone();
                self.verified = Some(self.init(&self.verified_repo(), &format));
            }
            if let Some(Err(why)) = &self.verified {
                return Err(why.clone());
            }
            // Relative to the scratch: `BORROWED` is the borrowed store. The borrowed
            // store serves by object id (it has no refs) over the file protocol.
            command
                .current_dir(self.scratch.path())
                .args(["-c", "protocol.file.allow=always"])
                .args(["-c", "uploadpack.allowAnySHA1InWant=true"])
                .arg("--git-dir")
                .arg(self.verified_repo());
        } else if args.first() == Some(&ASKED_OF_THE_CLONE) {
            // Whoever owns the clone, it is only read (`safe.directory` is honoured
            // from the command line, never from the clone).
            command
                .args(["-c", "safe.directory=*", "-C"])
                .arg(&self.dir);
            // The repository is the directory named, never one above it: a `.git`
            // someone else planted in a parent folder would otherwise be found (and,
            // with `safe.directory`, believed) when the directory is none.
            if let Some(parent) = std::fs::canonicalize(&self.dir)
                .ok()
                .and_then(|d| d.parent().map(Path::to_path_buf))
            {
                command.env("GIT_CEILING_DIRECTORIES", parent);
            }
        } else {
            match &self.isolated {
                Some(Ok(())) => {}
                Some(Err(why)) => return Err(why.clone()),
                None => {
                    return Err(format!(
                        "git {}: the clone was not probed first",
                        args.first().unwrap_or(&"")
                    ));
                }
            }
            // The clone's commit-graph and multi-pack index are files it could forge:
            // what is read here is only a plan, verified through the verified store,
            // but it should not be steered by them either.
            command
                .args(["-c", "core.commitGraph=false"])
                .args(["-c", "core.multiPackIndex=false"])
                .arg("--git-dir")
                .arg(self.repo());
        }
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        own_process_group(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let feeder = stdin.map(|text| {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            let text = text.to_string();
            std::thread::spawn(move || {
                // A git that exits early closes the pipe; its status says why.
                let _ = std::io::Write::write_all(&mut pipe, text.as_bytes());
            })
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        // The readers report through channels, so that nothing below waits without a
        // limit: a process that keeps a pipe open is abandoned at the deadline.
        let (out_tx, out_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = stdout.take(MAX_GIT_OUTPUT + 1).read_to_end(&mut bytes);
            let _ = out_tx.send(read.map(|_| bytes));
        });
        let (err_tx, err_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut stderr = stderr;
            let _ = (&mut stderr).take(MAX_GIT_STDERR).read_to_end(&mut bytes);
            // Drain the rest so git never blocks on a full pipe.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            let _ = err_tx.send(bytes);
        });
        let started = Instant::now();
        let stdout = out_rx.recv_timeout(remaining).ok().and_then(Result::ok);
        let too_long = |bytes: &[u8]| bytes.len() as u64 > MAX_GIT_OUTPUT;
        let mut stopped = stdout.is_none() || stdout.as_deref().is_some_and(too_long);
        let status = if stopped {
            kill(&mut child);
            child.wait().ok()
        } else {
            match wait_until(&mut child, remaining.saturating_sub(started.elapsed())) {
                Some(status) => Some(status),
                None => {
                    stopped = true;
                    kill(&mut child);
                    child.wait().ok()
                }
            }
        };
        let stderr = err_rx.recv_timeout(GRACE).unwrap_or_default();
        drop(feeder);
        let name = args.first().unwrap_or(&"");
        let stdout = match stdout {
            Some(stdout) if too_long(&stdout) => {
                return Err(format!("git {name} wrote more than {MAX_GIT_OUTPUT} bytes"));
            }
            Some(_) if stopped => {
                return Err(format!(
                    "git {name} was stopped: the {} s allowed for reading the clone ran out",
                    GIT_DEADLINE.as_secs()
                ));
            }
            Some(stdout) => stdout,
            None if Instant::now() >= self.deadline => {
                return Err(format!(
                    "git {name} was stopped: the {} s allowed for reading the clone ran out",
                    GIT_DEADLINE.as_secs()
                ));
            }
            None => return Err("cannot read git's output".to_string()),
        };
        let status = status.ok_or_else(|| format!("git {name} did not finish"))?;
        Ok(GitOutput {
            // A signal is no exit status; -1 is not one git uses.
            status: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
        })
    }
}

/// How long a killed git's standard error is waited for.
const GRACE: Duration = Duration::from_secs(2);

/// Waits for `child` for at most `limit`; `None` when it is still running.
fn wait_until(child: &mut std::process::Child, limit: Duration) -> Option<ExitStatus> {
    let end = Instant::now() + limit;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < end => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            _ => return None,
        }
    }
}

/// Puts git in a process group of its own, so that stopping it stops what it started.
#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_: &mut Command) {}

/// Stops git and (on Unix) every process of its group.
fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group git leads
        // (made by `own_process_group`); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

impl LiveGit {
    fn record(
        &mut self,
        args: &[&str],
        stdin: Option<&str>,
        verified: bool,
        result: &Result<GitOutput, String>,
    ) {
        self.transcript.exchanges.push(GitExchange {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: stdin.map(str::to_string),
            output: result.as_ref().ok().cloned(),
            error: result.as_ref().err().cloned(),
            verified,
        });
    }
}

impl Git for LiveGit {
    fn run_verified(&mut self, args: &[&str]) -> Result<GitOutput, String> {
        let result = self.execute(args, None, true);
        self.record(args, None, true, &result);
        result
    }

    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String> {
        let result = self.execute(args, stdin, false);
        // The isolated repository is made from the probe's answer.
        if args == super::PROBE
            && let Ok(out) = &result
            && out.status == 0
            && self.isolated.is_none()
        {
            let isolated = self.isolate(&out.stdout);
            self.isolated = Some(isolated);
        }
        self.record(args, stdin, false, &result);
        result
    }
}

/// Answers from a transcript, in order; a command that is not the next one recorded
/// is refused (the evidence would not be derived the way it was).
pub struct ReplayGit {
    exchanges: std::vec::IntoIter<GitExchange>,
}

impl ReplayGit {
    /// A replay of `transcript`.
    pub fn new(transcript: GitTranscript) -> Self {
        ReplayGit {
            exchanges: transcript.exchanges.into_iter(),
        }
    }
}

impl ReplayGit {
    /// How many recorded commands were never asked (a whole replay asks them all; any
    /// left over mean the transcript was not made by this evidence's run).
    pub fn unasked(&self) -> usize {
        self.exchanges.len()
    }
}

impl Git for ReplayGit {
    fn run_verified(&mut self, args: &[&str]) -> Result<GitOutput, String> {
        self.answer(args, None, true)
    }

    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String> {
        self.answer(args, stdin, false)
    }
}

impl ReplayGit {
    fn answer(
        &mut self,
        args: &[&str],
        stdin: Option<&str>,
        verified: bool,
    ) -> Result<GitOutput, String> {
        let wanted = format!("git {}", args.join(" "));
        let Some(next) = self.exchanges.next() else {
            return Err(format!(
                "the git transcript has no answer for `{wanted}`: it is incomplete"
            ));
        };
        if next.args != args || next.stdin.as_deref() != stdin || next.verified != verified {
            return Err(format!(
                "the git transcript answers `git {}` where `{wanted}` was asked: it does not belong to this evidence",
                next.args.join(" ")
            ));
        }
        match (next.output, next.error) {
            (Some(output), None) => Ok(output),
            (None, Some(error)) => Err(error),
            _ => Err(format!(
                "the git transcript's answer to `{wanted}` has both an output and an error, or neither"
            )),
        }
    }
}
