//! End-to-end tests of the `trawl` command: they run the real binary, with no
//! terminal and no stdin, against fixture sites served on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod bootstrap;
mod chaos;
mod cli;
mod crawl;
mod doctor;
mod governor;
mod logs;
mod metrics;
mod replay;
mod schedule;
mod secrets;
mod serve;
mod ui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A `trawl` invocation with its own data directory.
pub struct Trawl {
    pub data_dir: tempfile::TempDir,
}

impl Default for Trawl {
    fn default() -> Trawl {
        Trawl {
            data_dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Trawl {
    pub fn path(&self, name: &str) -> PathBuf {
        self.data_dir.path().join(name)
    }

    /// `trawl --data-dir DIR ARGS` with no stdin and no logging overrides,
    /// ready to spawn (for tests that kill or limit the process).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_trawl"));
        command
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .args(args)
            .stdin(Stdio::null())
            .env_remove("TRAWL_HOME")
            .env_remove("RUST_LOG")
            .env_remove("TRAWL_LOG");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and asserts the exit code, returning stdout.
    pub fn expect(&self, args: &[&str], code: i32) -> (String, String) {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "trawl {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        (stdout, stderr)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

pub fn demo_spec(origin: &str) -> String {
    include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin)
}

pub fn str_path(path: &Path) -> &str {
    path.to_str().unwrap()
}
