//! Structured logs: one `tracing` subscriber with three outputs, each with
//! its own level filter.
//!
//! - the terminal (stderr, human-readable): `warn` by default, `-v` info,
//!   `-vv` debug, `-vvv` trace; `TRAWL_LOG`, else `RUST_LOG`, overrides
//!   (EnvFilter syntax: `trawl_engine=debug,info`);
//! - the application log, JSON lines in `DATA_DIR/logs/trawl.log`, rotated
//!   by size (`rotate.rs`): `info` by default, `TRAWL_LOG` overrides;
//! - the per-run log, JSON lines in `DATA_DIR/runs/RUN/log.jsonl`
//!   (`run_files.rs`): every event recorded inside the engine's `run` span
//!   (field `run_id`), `warn,trawl=info` by default, `TRAWL_LOG` overrides.
//!   `trawl logs RUN` reads it.
//!
//! Logs are extra, not the record: the run's events in the store are. So a
//! log write that fails (disk full, permissions) is counted and skipped, and
//! never stops a crawl.
//!
//! The data directory is only known once a command resolves it, and commands
//! that never touch one (`spec check`, `--help`) must not create it. So the
//! subscriber is installed once, at start, with all three layers; the two
//! file layers drop every line until [`Logging::attach`] gives them the data
//! directory: a shared slot filled once, simpler than swapping layers with
//! `tracing_subscriber::reload` (whose `reload` cannot replace a layer that
//! has its own filter, tracing issue 1629).
//!
//! Secrets: no Trawl code logs a header value, and secret values are
//! `trawl_types::Secret` (prints `[redacted]`) and sensitive
//! `HeaderValue`s (hyper and reqwest print `Sensitive`), so even
//! `TRAWL_LOG=trace` shows none (`tests/it/logs.rs` proves it).

mod json;
mod rotate;
mod run_files;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use trawl_types::RunId;

pub use json::RUN_SPAN;
pub use rotate::RotatingFile;
pub use run_files::RunFiles;

use crate::datadir::DataDir;

/// Size at which `trawl.log` is rotated.
pub const APP_LOG_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Files of the application log kept: `trawl.log` and `trawl.log.1` to `.4`.
pub const APP_LOG_KEEP_FILES: usize = 5;
/// Per-run log files held open at once; beyond it the least recently used is
/// closed (and reopened, appending, if its run logs again).
pub const MAX_OPEN_RUN_LOGS: usize = 16;

/// Terminal levels without `TRAWL_LOG`/`RUST_LOG`, by `-v` count.
fn terminal_default(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

/// Levels of the application log without `TRAWL_LOG`.
pub const APP_LOG_DEFAULT: &str = "info";
/// Levels of the per-run logs without `TRAWL_LOG`: Trawl's own info lines,
/// only warnings of the libraries below it.
pub const RUN_LOG_DEFAULT: &str = "warn,trawl=info";

/// The logging environment, read once (a struct so tests need not set
/// process-wide variables).
#[derive(Debug, Clone, Default)]
pub struct LogEnv {
    pub trawl_log: Option<String>,
    pub rust_log: Option<String>,
}

impl LogEnv {
    pub fn from_process() -> LogEnv {
        let non_empty = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        LogEnv {
            trawl_log: non_empty("TRAWL_LOG"),
            rust_log: non_empty("RUST_LOG"),
        }
    }

    /// Directives of the terminal: `TRAWL_LOG`, else `RUST_LOG`, else by `-v`.
    pub fn terminal_directives(&self, verbose: u8) -> String {
        self.trawl_log
            .clone()
            .or_else(|| self.rust_log.clone())
            .unwrap_or_else(|| terminal_default(verbose).to_owned())
    }

    /// Directives of a log file: `TRAWL_LOG`, else `default`.
    pub fn file_directives(&self, default: &str) -> String {
        self.trawl_log.clone().unwrap_or_else(|| default.to_owned())
    }
}

/// The handle `main` keeps: attaches the file logs to a data directory.
#[derive(Clone)]
pub struct Logging {
    app: Arc<AppLog>,
    runs: Arc<RunLogs>,
}

impl Logging {
    /// Starts writing the application and per-run logs under `data_dir`.
    /// The first data directory wins (a command opens one).
    pub fn attach(&self, data_dir: &DataDir) {
        self.app.attach(RotatingFile::new(
            data_dir.app_log_path(),
            APP_LOG_MAX_BYTES,
            APP_LOG_KEEP_FILES,
        ));
        self.runs.attach(RunFiles::new(
            data_dir.root().join(crate::datadir::RUNS_DIR),
            MAX_OPEN_RUN_LOGS,
        ));
    }
}

/// Installs the subscriber (terminal, application log, per-run logs).
/// Called once, first thing in `main`.
pub fn init(verbose: u8) -> Logging {
    let env = LogEnv::from_process();
    let logging = Logging {
        app: Arc::new(AppLog::default()),
        runs: Arc::new(RunLogs::default()),
    };
    let mut rejected = Vec::new();
    // Nothing valid left (TRAWL_LOG=nonsense): the defaults, not "errors only".
    let mut checked = |directives: String, default: &str| {
        let valid = valid_directives(&directives, &mut rejected);
        if valid.is_empty() {
            default.to_owned()
        } else {
            valid
        }
    };
    let terminal_directives = checked(env.terminal_directives(verbose), terminal_default(verbose));
    let app_directives = checked(env.file_directives(APP_LOG_DEFAULT), APP_LOG_DEFAULT);
    let run_directives = checked(env.file_directives(RUN_LOG_DEFAULT), RUN_LOG_DEFAULT);
    for (directive, error) in rejected {
        eprintln!(
            "warning: ignoring the log directive `{directive}` (TRAWL_LOG/RUST_LOG): {error}; \
             write `module=level` or `level`, e.g. TRAWL_LOG=trawl_engine=debug,info"
        );
    }
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(crate::output::stderr_is_terminal())
        .with_filter(EnvFilter::new(terminal_directives));
    let registry = tracing_subscriber::registry()
        .with(terminal)
        .with(app_layer(logging.app.clone(), &app_directives));
    let _ = registry
        .with(run_layer(logging.runs.clone(), &run_directives))
        .try_init();
    logging
}

/// The directives of `text` that parse (split on `,`, as EnvFilter does),
/// pushing the others with their error to `rejected` (once each), so a bad
/// one is reported once rather than by each of the three filters.
pub fn valid_directives(text: &str, rejected: &mut Vec<(String, String)>) -> String {
    let mut valid = Vec::new();
    for directive in text.split(',').filter(|part| !part.trim().is_empty()) {
        match directive.parse::<tracing_subscriber::filter::Directive>() {
            Ok(_) => valid.push(directive),
            Err(error) => {
                let entry = (directive.to_owned(), error.to_string());
                if !rejected.contains(&entry) {
                    rejected.push(entry);
                }
            }
        }
    }
    valid.join(",")
}

/// The filter of a file layer: `directives`, and always the `run` span
/// itself (so every line of a run carries its id, whatever the levels).
fn file_filter<S>(directives: &str) -> impl tracing_subscriber::layer::Filter<S> + 'static
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    let run_span = filter_fn(|metadata| metadata.is_span() && metadata.name() == RUN_SPAN)
        .with_max_level_hint(tracing::Level::INFO);
    EnvFilter::new(directives).or(run_span)
}

/// The application-log layer writing into `sink`.
pub fn app_layer<S>(sink: Arc<AppLog>, directives: &str) -> impl Layer<S>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    JsonLayer { sink }.with_filter(file_filter(directives))
}

/// The per-run-log layer writing into `sink`.
pub fn run_layer<S>(sink: Arc<RunLogs>, directives: &str) -> impl Layer<S>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    JsonLayer { sink }.with_filter(file_filter(directives))
}

/// Where a JSON line goes.
pub trait LineSink: Send + Sync + 'static {
    /// Whether a line of this run (or of no run) would be written at all.
    fn wants(&self, run_id: Option<RunId>) -> bool;
    fn write_line(&self, run_id: Option<RunId>, line: &[u8]);
}

/// A layer that renders each event as one JSON line (`json.rs`) for a sink.
struct JsonLayer<K> {
    sink: Arc<K>,
}

impl<S, K> Layer<S> for JsonLayer<K>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    K: LineSink,
{
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        context: Context<'_, S>,
    ) {
        json::remember_run_id(attributes, id, &context);
    }

    fn on_event(&self, event: &tracing::Event<'_>, context: Context<'_, S>) {
        let run_id = json::run_id_of(event, &context);
        if !self.sink.wants(run_id) {
            return;
        }
        let line = json::render_line(event, run_id, chrono::Utc::now());
        self.sink.write_line(run_id, line.as_bytes());
    }
}

/// Counts failed log writes and reports the first one on stderr; later ones
/// are only counted (a full disk would otherwise print a line per event).
#[derive(Debug, Default)]
pub struct WriteFailures {
    count: AtomicU64,
    reported: AtomicBool,
}

impl WriteFailures {
    fn record(&self, path: &Path, error: &std::io::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if !self.reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: cannot write the log file {}: {error}; the crawl goes on, further log write errors are counted, not shown",
                path.display()
            );
        }
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// The application log sink: every line, to the rotating `trawl.log`, once attached.
#[derive(Debug, Default)]
pub struct AppLog {
    file: Mutex<Option<RotatingFile>>,
    attached: AtomicBool,
    pub failures: WriteFailures,
}

impl AppLog {
    pub fn attach(&self, file: RotatingFile) {
        let mut slot = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(file);
            self.attached.store(true, Ordering::Release);
        }
    }
}

impl LineSink for AppLog {
    fn wants(&self, _run_id: Option<RunId>) -> bool {
        self.attached.load(Ordering::Acquire)
    }

    fn write_line(&self, _run_id: Option<RunId>, line: &[u8]) {
        let mut slot = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = slot.as_mut()
            && let Err(error) = file.write_line(line)
        {
            let path: PathBuf = file.path().to_owned();
            drop(slot);
            self.failures.record(&path, &error);
        }
    }
}

/// The per-run log sink: lines of a run to `runs/RUN/log.jsonl`, once attached.
#[derive(Debug, Default)]
pub struct RunLogs {
    files: Mutex<Option<RunFiles>>,
    attached: AtomicBool,
    pub failures: WriteFailures,
}

impl RunLogs {
    pub fn attach(&self, files: RunFiles) {
        let mut slot = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(files);
            self.attached.store(true, Ordering::Release);
        }
    }
}

impl LineSink for RunLogs {
    fn wants(&self, run_id: Option<RunId>) -> bool {
        run_id.is_some() && self.attached.load(Ordering::Acquire)
    }

    fn write_line(&self, run_id: Option<RunId>, line: &[u8]) {
        let Some(run_id) = run_id else {
            return;
        };
        // The file is looked up (or opened) under the lock and written
        // outside it, so runs logging at once do not wait on each other's IO.
        let file = {
            let mut slot = self.files.lock().unwrap_or_else(PoisonError::into_inner);
            match slot.as_mut().map(|files| files.get(run_id)) {
                None => return,
                Some(Ok(file)) => file,
                Some(Err((path, error))) => {
                    drop(slot);
                    self.failures.record(&path, &error);
                    return;
                }
            }
        };
        if let Err(error) = file.write_line(line) {
            self.failures.record(file.path(), &error);
        }
    }
}

#[cfg(test)]
mod tests;
