//! Who owns a data directory: an advisory lock on `DATA_DIR/engine.lock`,
//! and, for a server, the discovery file `DATA_DIR/server.json`.
//!
//! One process runs an engine on a store at a time (issue 3): `trawl serve`
//! holds the lock for its whole life, and so does a `trawl run` that runs
//! its own in-process engine. The lock is `flock(2)` through std's
//! `File::try_lock`: the kernel releases it when its process dies, however it
//! dies, so a stale lock cannot exist and needs no takeover logic.
//!
//! A server also writes `server.json` (its address, pid and the path of the
//! token file — never the token) so that another `trawl` can become its
//! client. The file is written atomically and removed on a clean exit; one
//! left behind by a killed server is recognised as stale (its pid is gone,
//! or the lock is free) and ignored, then replaced by the next server.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

const LOCK_FILE: &str = "engine.lock";
const DISCOVERY_FILE: &str = "server.json";
/// The API token's file; its path (not its content) is in the discovery file.
pub const TOKEN_FILE: &str = "api-token";

/// The held lock of a data directory; released when dropped (or when the
/// process dies).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Takes the lock if no other live process holds it; `None` if one does.
    /// The holder's pid is written into the lock file, for messages only.
    pub fn try_acquire(root: &Path) -> Result<Option<DataDirLock>> {
        let path = root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // Best effort: the pid only makes "in use by pid N" messages better.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(Some(DataDirLock { _file: file }))
    }
}

/// The pid written by the current holder of the lock, if readable.
pub fn lock_holder(root: &Path) -> Option<u32> {
    std::fs::read_to_string(root.join(LOCK_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What `server.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Discovery {
    /// Base URL of the API, `http://127.0.0.1:PORT`.
    pub address: String,
    pub pid: u32,
    /// Where the bearer token is (readable by the data directory's owner only).
    pub token_path: PathBuf,
}

impl Discovery {
    /// Writes `server.json` atomically; the returned guard removes it on drop.
    pub fn publish(&self, root: &Path) -> Result<DiscoveryGuard> {
        let path = root.join(DISCOVERY_FILE);
        let text = serde_json::to_vec_pretty(self).context("cannot render server.json")?;
        trawl_export::atomic::write_atomic(&path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(DiscoveryGuard { path })
    }

    /// The discovery file of a live server, or `None` if there is none or it
    /// is stale (unreadable, its pid dead, or no process holds the lock).
    /// Call only while the lock is held by someone else.
    pub fn read_live(root: &Path) -> Option<Discovery> {
        let text = std::fs::read(root.join(DISCOVERY_FILE)).ok()?;
        let discovery: Discovery = serde_json::from_slice(&text).ok()?;
        process_alive(discovery.pid).then_some(discovery)
    }
}

/// Removes `server.json` when the server exits cleanly.
#[derive(Debug)]
pub struct DiscoveryGuard {
    path: PathBuf,
}

impl Drop for DiscoveryGuard {
    fn drop(&mut self) {
        // Best effort: a file left behind is recognised as stale anyway.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process with this pid exists (Linux: `/proc/PID`). A reused pid
/// can fool it, which is why the lock, not the pid, decides ownership.
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// How a command that needs the store's engine gets one.
#[derive(Debug)]
pub enum Claim {
    /// No one else owns the data directory: run an engine here, holding the lock.
    Owner(
        #[allow(dead_code, reason = "held, not read: dropping it releases the lock")] DataDirLock,
    ),
    /// A server owns it: ask it over the API.
    Server(Discovery),
}

/// Takes the lock, or finds the live server that holds it; fails clearly if
/// the holder is another process without a server (a `trawl run`).
pub fn claim(root: &Path) -> Result<Claim> {
    if let Some(lock) = DataDirLock::try_acquire(root)? {
        return Ok(Claim::Owner(lock));
    }
    match Discovery::read_live(root) {
        Some(discovery) => Ok(Claim::Server(discovery)),
        None => anyhow::bail!("{}", busy_message(root)),
    }
}

/// The live server of a data directory, if one runs (for commands that only
/// work through a server: pause, cancel).
pub fn find_server(root: &Path) -> Result<Option<Discovery>> {
    if DataDirLock::try_acquire(root)?.is_some() {
        // Free lock: any server.json is stale. The lock is released on return.
        return Ok(None);
    }
    Ok(Discovery::read_live(root))
}

/// Why the data directory cannot be used: who holds it.
pub fn busy_message(root: &Path) -> String {
    if let Some(discovery) = Discovery::read_live(root) {
        return format!(
            "a trawl server is already running at {} (pid {}) on the data directory {}",
            discovery.address,
            discovery.pid,
            root.display()
        );
    }
    let holder = lock_holder(root)
        .map(|pid| format!("another trawl process (pid {pid})"))
        .unwrap_or_else(|| "another trawl process".to_owned());
    format!(
        "{holder} is using the data directory {}: wait for it to finish, or run `trawl serve` so that several commands can share it",
        root.display()
    )
}

#[cfg(test)]
mod tests;
