//! Where Trawl keeps its files: `--data-dir`, else `$TRAWL_HOME`, else the
//! platform data directory. Created on first use.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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

    /// Default folder for exports made by `demo` and `run --export`.
    pub fn exports_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("exports");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }
}
