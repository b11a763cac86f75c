//! What every start does with the data directory before a command runs:
//! create it (and its settings) on first use, bring the store's schema up to
//! date (backing the old one up first), and recover runs a dead process left
//! `running` — then say what it did, on stderr.
//!
//! Recovery needs the data directory's lock (only then is a `running` run
//! certainly orphaned); a command that cannot take it (a server or another
//! `trawl run` owns the directory) leaves that to the owner.

use anyhow::{Context, Result};
use trawl_store::{SCHEMA_VERSION, Store};

use crate::config::Config;
use crate::datadir::DataDir;
use crate::owner::DataDirLock;

/// What bootstrap did, for the start-up report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub created_config: bool,
    /// The store's schema version before this start, when it was migrated.
    pub migrated_from: Option<i64>,
    pub recovered_runs: Vec<trawl_types::RunId>,
}

/// Checks the data directory; see the module documentation.
pub fn bootstrap(data_dir: &DataDir, created_config: bool) -> Result<Report> {
    let store_path = data_dir.store_path();
    let cannot_open = || {
        format!(
            "cannot open the store {}; `trawl doctor` checks it",
            store_path.display()
        )
    };
    // Opening migrates (and backs up an older store first).
    let store = Store::open(&store_path).with_context(cannot_open)?;
    let recovered_runs = match DataDirLock::try_acquire(data_dir.root())? {
        Some(_lock) => trawl_engine::recover_orphaned_runs(&store)
            .context("cannot recover the runs a previous process left running")?,
        None => Vec::new(),
    };
    let migrated_from = store.migrated_from();
    let report = Report {
        created_config,
        migrated_from,
        recovered_runs,
    };
    print_report(data_dir, &report);
    Ok(report)
}

fn print_report(data_dir: &DataDir, report: &Report) {
    if report.created_config {
        eprintln!(
            "trawl: created the data directory {} (settings in {})",
            data_dir.root().display(),
            Config::path(data_dir.root()).display()
        );
    }
    if let Some(version) = report.migrated_from {
        let backup = trawl_store::backup_path(&data_dir.store_path(), version);
        eprintln!(
            "trawl: upgraded the store from schema {version} to {SCHEMA_VERSION} (the old one is kept as {})",
            backup.display()
        );
    }
    for run_id in &report.recovered_runs {
        eprintln!(
            "trawl: run {run_id} was left running by a process that stopped; it is interrupted now: `trawl resume {run_id}` continues it"
        );
    }
}
