//! Where Trawl keeps its files: `--data-dir`, else `$TRAWL_HOME`, else the
//! platform data directory. Created on first use.
//!
//! ```text
//! trawl.sqlite          the store
//! logs/trawl.log        application log (JSON lines; trawl.log.1 ... older)
//! runs/RUN/log.jsonl    each run's log (`trawl logs RUN`)
//! exports/              exports of `demo` and `run --export`
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use trawl_types::RunId;

/// Folder of per-run files (`runs/RUN/log.jsonl`).
pub const RUNS_DIR: &str = "runs";

/// The data directory and the well-known paths inside it.
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves and creates the data directory.
    pub fn open(explicit: Option<&Path>) -> Result<DataDir> {
        let root = match explicit {
            Some(path) => path.to_path_buf(),
            None => directories::ProjectDirs::from("", "", "trawl")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .context("cannot find a home directory for the data dir; set TRAWL_HOME or pass --data-dir")?,
        };
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the data directory {}", root.display()))?;
        Ok(DataDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The embedded SQLite store.
    pub fn store_path(&self) -> PathBuf {
        self.root.join("trawl.sqlite")
    }

    /// The application log (JSON lines, rotated by size: `trawl.log.1`, ...).
    pub fn app_log_path(&self) -> PathBuf {
        self.root.join("logs").join("trawl.log")
    }

    /// A run's log (JSON lines), written while the run executes.
    pub fn run_log_path(&self, run_id: RunId) -> PathBuf {
        crate::logging::RunFiles::path_of(&self.root.join(RUNS_DIR), run_id)
    }

    /// Default folder for exports made by `demo` and `run --export`.
    pub fn exports_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("exports");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }
}
