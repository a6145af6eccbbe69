//! Running `git`, live or from a transcript.
//!
//! [`LiveGit`] runs the machine's `git` on the clone, bounded in time and output, and
//! records every command with its answer; [`ReplayGit`] gives a re-performance the same
//! answers in the same order, so `vouch evaluate` derives the git evidence again
//! instead of believing it (as the forge transcript does for the forge).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
}

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
}

/// The machine's `git` on a clone.
pub struct LiveGit {
    dir: PathBuf,
    deadline: Instant,
    /// Where objects git writes go (the re-merged trees), so that the clone itself is
    /// never written to: it may be read-only, or an auditor's copy.
    scratch: tempfile::TempDir,
    /// The clone's object directory, read through as an alternate.
    objects: Option<String>,
    transcript: GitTranscript,
}

impl LiveGit {
    /// A runner on `dir`, its deadline starting now.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        Ok(LiveGit {
            dir: dir.to_path_buf(),
            deadline: Instant::now() + GIT_DEADLINE,
            scratch: tempfile::tempdir()?,
            objects: None,
            transcript: GitTranscript::default(),
        })
    }

    /// The commands run so far and their answers.
    pub fn take_transcript(&mut self) -> GitTranscript {
        std::mem::take(&mut self.transcript)
    }

    fn execute(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String> {
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
        // Objects written go to the scratch directory; the clone's are read through.
        // `rev-parse --git-path objects` is how that directory is found, so it runs
        // without the redirection.
        let redirect = self.objects.clone();
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            // No fsmonitor daemon is started on the clone, and nothing pages.
            .args(["--no-pager", "-c", "core.fsmonitor=false"])
            .args(args)
            // The clone is named by -C alone: variables a CI job or a hook left set
            // would point git at another repository.
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_COMMON_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_NAMESPACE")
            .env_remove("GIT_OBJECT_DIRECTORY")
            .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(objects) = redirect {
            command
                .env("GIT_OBJECT_DIRECTORY", self.scratch.path())
                .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", objects);
        }
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
        let (done, finished) = std::sync::mpsc::channel();
        let out_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = stdout.take(MAX_GIT_OUTPUT + 1).read_to_end(&mut bytes);
            let _ = done.send(());
            read.map(|_| bytes)
        });
        let err_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut stderr = stderr;
            let _ = (&mut stderr).take(MAX_GIT_STDERR).read_to_end(&mut bytes);
            // Drain the rest so git never blocks on a full pipe.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            bytes
        });
        let timed_out = finished.recv_timeout(remaining).is_err();
        let too_long = |bytes: &[u8]| bytes.len() as u64 > MAX_GIT_OUTPUT;
        if timed_out {
            let _ = child.kill();
        }
        let stdout = out_reader.join().ok().and_then(Result::ok);
        if stdout.as_deref().is_some_and(too_long) {
            let _ = child.kill();
        }
        let status = child
            .wait()
            .map_err(|e| format!("git did not finish: {e}"))?;
        let stderr = err_reader.join().unwrap_or_default();
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        if timed_out {
            return Err(format!(
                "git {} was stopped: the {} s allowed for reading the clone ran out",
                args.first().unwrap_or(&""),
                GIT_DEADLINE.as_secs()
            ));
        }
        let stdout = stdout.ok_or_else(|| "cannot read git's output".to_string())?;
        if too_long(&stdout) {
            return Err(format!(
                "git {} wrote more than {MAX_GIT_OUTPUT} bytes",
                args.first().unwrap_or(&"")
            ));
        }
        Ok(GitOutput {
            // A signal is no exit status; -1 is not one git uses.
            status: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
        })
    }
}

impl Git for LiveGit {
    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String> {
        let result = self.execute(args, stdin);
        // The object directory is learnt from the first command that names it.
        if let (
            [
                "rev-parse",
                "--path-format=absolute",
                "--git-path",
                "objects",
            ],
            Ok(out),
        ) = (args, &result)
            && out.status == 0
        {
            self.objects = Some(out.stdout.trim_end_matches('\n').to_string());
        }
        self.transcript.exchanges.push(GitExchange {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: stdin.map(str::to_string),
            output: result.as_ref().ok().cloned(),
            error: result.as_ref().err().cloned(),
        });
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

impl Git for ReplayGit {
    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Result<GitOutput, String> {
        let wanted = format!("git {}", args.join(" "));
        let Some(next) = self.exchanges.next() else {
            return Err(format!(
                "the git transcript has no answer for `{wanted}`: it is incomplete"
            ));
        };
        if next.args != args || next.stdin.as_deref() != stdin {
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
