//! Where Trawl keeps its files: `--data-dir`, else `$TRAWL_HOME`, else the
//! platform data directory. Created on first use, with its settings, and
//! checked at every start (`bootstrap.rs`).
//!
//! ```text
//! config.toml           settings (flags override them)
//! trawl.sqlite          the store (trawl.sqlite.vN.bak: the copy kept before a migration)
//! logs/trawl.log        application log (JSON lines; trawl.log.1 ... older)
//! runs/RUN/log.jsonl    each run's log (`trawl logs RUN`)
//! exports/              exports of `demo` and `run --export`
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use trawl_types::RunId;

use crate::config::Config;

/// Folder of per-run files (`runs/RUN/log.jsonl`).
pub const RUNS_DIR: &str = "runs";

/// The data directory, its settings, and the well-known paths inside it.
pub struct DataDir {
    root: PathBuf,
    config: Config,
}

impl DataDir {
    /// Resolves the data directory, creates it and its settings on first
    /// use, and runs the start-up checks (`bootstrap`).
    pub fn open(explicit: Option<&Path>) -> Result<DataDir> {
        let root = Self::resolve(explicit)?;
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the data directory {}", root.display()))?;
        let (config, created_config) = Config::load_or_create(&root)?;
        let data_dir = DataDir { root, config };
        crate::bootstrap::bootstrap(&data_dir, created_config)?;
        Ok(data_dir)
    }

    /// The data directory as it is, changing nothing: for `trawl doctor`,
    /// which must see a crashed directory before anything repairs it.
    pub fn open_as_is(explicit: Option<&Path>) -> Result<DataDir> {
        let root = Self::resolve(explicit)?;
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the data directory {}", root.display()))?;
        let config_path = Config::path(&root);
        let config = match std::fs::read_to_string(&config_path) {
            Ok(text) => Config::parse(&text, &config_path)?,
            Err(_) => Config::default(),
        };
        Ok(DataDir { root, config })
    }

    fn resolve(explicit: Option<&Path>) -> Result<PathBuf> {
        Ok(match explicit {
            Some(path) => path.to_path_buf(),
            None => directories::ProjectDirs::from("", "", "trawl")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .context("cannot find a home directory for the data dir; set TRAWL_HOME or pass --data-dir")?,
        })
    }

    /// The settings of `config.toml` (flags override them).
    pub fn config(&self) -> &Config {
        &self.config
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
