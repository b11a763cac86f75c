//! `DATA_DIR/config.toml`: the data directory's settings, written with
//! commented defaults on first start (atomically, like every file Trawl
//! writes) and read at every start. Command-line flags override it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::{MemoryLimit, parse_memory_limit};

pub const CONFIG_FILE: &str = "config.toml";

/// What a fresh data directory gets: every key, commented, at its default.
const DEFAULT_CONFIG: &str = "\
# Trawl's settings for this data directory. Command-line flags override
# them; every key is optional (delete one to get its default back).

[engine]
# Memory ceiling of the process: \"auto\" (half the machine's memory), a size
# such as \"2GiB\" or \"512MiB\", or \"none\". Runs slow their intake to stay under it.
memory_limit = \"auto\"
# Requests in flight across all runs of the process.
max_requests = 512

[serve]
# Port of `trawl serve` on 127.0.0.1 (0: any free port).
port = 8640
# Runs crawling at once; more wait queued.
max_concurrent_runs = 2
";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub engine: EngineSettings,
    #[serde(default)]
    pub serve: ServeSettings,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// `auto`, a size, or `none`; see [`Config::memory_limit`].
    pub memory_limit: Option<String>,
    pub max_requests: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    pub port: Option<u16>,
    pub max_concurrent_runs: Option<u16>,
}

impl Config {
    /// Reads `root/config.toml`, writing the defaults first if there is none.
    /// Returns the config and whether it was just created.
    pub fn load_or_create(root: &Path) -> Result<(Config, bool)> {
        let path = root.join(CONFIG_FILE);
        let created = if path.exists() {
            false
        } else {
            trawl_export::atomic::write_atomic(&path, DEFAULT_CONFIG.as_bytes()).with_context(
                || format!("cannot write the default settings to {}", path.display()),
            )?;
            true
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok((Config::parse(&text, &path)?, created))
    }

    /// Parses the settings; an error names the file, line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|error| {
            let place = error
                .span()
                .map(|span| {
                    let (line, column) = line_column(text, span.start);
                    format!(":{line}:{column}")
                })
                .unwrap_or_default();
            anyhow::anyhow!(
                "{}{place}: {}; fix it, or delete the file to get the defaults back",
                path.display(),
                error.message()
            )
        })?;
        if let Some(text) = &config.engine.memory_limit {
            config_memory_limit(text)
                .with_context(|| format!("{}: engine.memory_limit", path.display()))?;
        }
        if config.engine.max_requests == Some(0) {
            bail!("{}: engine.max_requests must be at least 1", path.display());
        }
        if config.serve.max_concurrent_runs == Some(0) {
            bail!(
                "{}: serve.max_concurrent_runs must be at least 1",
                path.display()
            );
        }
        Ok(config)
    }

    /// The configured memory ceiling: `None` means "auto" (or unset).
    pub fn memory_limit(&self) -> Option<MemoryLimit> {
        self.engine
            .memory_limit
            .as_deref()
            .and_then(|text| config_memory_limit(text).ok().flatten())
    }

    pub fn path(root: &Path) -> PathBuf {
        root.join(CONFIG_FILE)
    }
}

/// `auto` (None), or what `--memory-limit` accepts.
fn config_memory_limit(text: &str) -> Result<Option<MemoryLimit>> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    parse_memory_limit(text)
        .map(Some)
        .map_err(anyhow::Error::msg)
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |newline| before.len() - newline - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
