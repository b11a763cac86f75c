//! `trawl logs RUN`: a run's log file (`DATA_DIR/runs/RUN/log.jsonl`, JSON
//! lines written by `crate::logging`) for the terminal, filtered by level and
//! text, or followed while the run goes on.
//!
//! The file is read as bytes and split on newlines, so a line torn by a
//! crash (no newline, half a JSON object, invalid UTF-8) is shown as it is,
//! never a failure. Following polls the file and the run's state in the
//! store: it stops once the run is terminal and its last lines are read.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use trawl_store::{RunRecord, Store, StoreError};
use trawl_types::{RunId, RunState};

use super::inspect::open_store;
use crate::cli::{LogLevel, LogsArgs};
use crate::datadir::DataDir;
use crate::output;

/// How often `--follow` looks for new lines and at the run's state.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// How long `--follow` keeps reading once the run is terminal: the engine
/// logs "run finished" just after it stores the final state.
const FOLLOW_GRACE: Duration = Duration::from_millis(500);

pub fn logs(data_dir: &DataDir, args: &LogsArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let record = run_record(&store, args.run)?;
    let path = data_dir.run_log_path(args.run);
    let mut view = View {
        filter: LineFilter::new(args.level, args.grep.as_deref()),
        json: args.json,
        held: (args.limit > 0).then(VecDeque::new),
        limit: args.limit,
    };
    let mut reader = LogReader::default();
    if !args.follow {
        if !path.exists() {
            explain_missing(&record, &path);
            return Ok(ExitCode::SUCCESS);
        }
        reader
            .read_new(&path, |line| view.offer(line))
            .with_context(|| format!("cannot read the log {}", path.display()))?;
        if let Some(line) = reader.take_partial() {
            view.offer(&line);
        }
        view.release();
        return Ok(ExitCode::SUCCESS);
    }
    if !path.exists() && record.state.is_terminal() {
        explain_missing(&record, &path);
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(record.state, RunState::Paused | RunState::Interrupted) {
        eprintln!(
            "run {} is {}: waiting for it to go on (`trawl resume {}`); Ctrl-C stops",
            record.run_id, record.state, record.run_id
        );
    }
    let runtime = super::runtime()?;
    runtime.block_on(follow(&store, args.run, &path, &mut reader, &mut view))?;
    Ok(ExitCode::SUCCESS)
}

/// The run, or a clear error for an unknown one.
fn run_record(store: &Store, run_id: RunId) -> Result<RunRecord> {
    match store.run(run_id) {
        Ok(record) => Ok(record),
        Err(StoreError::RunNotFound(_)) => {
            bail!("run {run_id} not found in the store: `trawl runs` lists the runs")
        }
        Err(error) => Err(error).with_context(|| format!("cannot read run {run_id}")),
    }
}

/// Why a known run has no log file, on stderr (the command still succeeds).
fn explain_missing(record: &RunRecord, path: &Path) {
    let run_id = record.run_id;
    let why = match record.state {
        RunState::Queued => {
            format!("it has not started yet (`trawl logs {run_id} --follow` waits for its lines)")
        }
        _ => "it ran before trawl kept per-run logs, or TRAWL_LOG filtered out every line \
              of the process that ran it"
            .to_owned(),
    };
    eprintln!(
        "note: run {run_id} ({}) has no log at {}: {why}; its state and counts are in `trawl runs`",
        record.state,
        path.display()
    );
}

async fn follow(
    store: &Store,
    run_id: RunId,
    path: &Path,
    reader: &mut LogReader,
    view: &mut View,
) -> Result<()> {
    // Ctrl-C (or SIGTERM) ends the command quietly, as it ends `tail -f`.
    // The handlers are registered here, before the first line is printed.
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for ctrl-c")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for sigterm")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        std::process::exit(i32::from(output::EXIT_INTERRUPTED));
    });
    let mut first = true;
    loop {
        let lines = reader
            .read_new(path, |line| view.offer(line))
            .with_context(|| format!("cannot read the log {}", path.display()))?;
        if first {
            // The last --limit lines of what was there; new ones print as they come.
            view.release();
            first = false;
        }
        if lines == 0 && run_record(store, run_id)?.state.is_terminal() {
            tokio::time::sleep(FOLLOW_GRACE).await;
            reader
                .read_new(path, |line| view.offer(line))
                .with_context(|| format!("cannot read the log {}", path.display()))?;
            if let Some(line) = reader.take_partial() {
                view.offer(&line);
            }
            return Ok(());
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}

/// Reads a growing log file from where it left off, in whole lines.
#[derive(Debug, Default)]
pub struct LogReader {
    offset: u64,
    /// Bytes after the last newline: a line still being written (or torn).
    partial: Vec<u8>,
}

impl LogReader {
    /// Calls `visit` for every complete line added since the last call
    /// (without its newline; invalid UTF-8 replaced) and returns how many.
    /// A missing file has no lines yet.
    pub fn read_new(&mut self, path: &Path, mut visit: impl FnMut(&str)) -> std::io::Result<usize> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buffer = vec![0; 64 * 1024];
        let mut lines = 0;
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                return Ok(lines);
            }
            self.offset += read as u64;
            let mut chunk = &buffer[..read];
            while let Some(newline) = chunk.iter().position(|&byte| byte == b'\n') {
                self.partial.extend_from_slice(&chunk[..newline]);
                chunk = &chunk[newline + 1..];
                let line = std::mem::take(&mut self.partial);
                let text = String::from_utf8_lossy(&line);
                let text = text.strip_suffix('\r').unwrap_or(&text);
                if !text.trim().is_empty() {
                    visit(text);
                    lines += 1;
                }
            }
            self.partial.extend_from_slice(chunk);
        }
    }

    /// The unfinished last line, if any: at the end, shown as it is.
    pub fn take_partial(&mut self) -> Option<String> {
        let partial = std::mem::take(&mut self.partial);
        let text = String::from_utf8_lossy(&partial).into_owned();
        (!text.trim().is_empty()).then_some(text)
    }
}

/// What is printed, and how.
struct View {
    filter: LineFilter,
    json: bool,
    /// With `--limit`: matching lines held back until [`View::release`].
    held: Option<VecDeque<String>>,
    limit: usize,
}

impl View {
    fn offer(&mut self, raw: &str) {
        let shown = Shown::of(raw);
        if !self.filter.matches(raw, &shown) {
            return;
        }
        let text = if self.json {
            raw.to_owned()
        } else {
            shown.text
        };
        match &mut self.held {
            Some(held) => {
                if held.len() == self.limit {
                    held.pop_front();
                }
                held.push_back(text);
            }
            None => output::line(text),
        }
    }

    /// Prints the held lines; from now on lines print at once.
    fn release(&mut self) {
        if let Some(held) = self.held.take() {
            for text in held {
                output::line(text);
            }
        }
    }
}

/// `--level` and `--grep`.
#[derive(Debug, Clone)]
pub struct LineFilter {
    min_level: LogLevel,
    /// Lowercased.
    needle: Option<String>,
}

impl LineFilter {
    pub fn new(min_level: LogLevel, grep: Option<&str>) -> LineFilter {
        LineFilter {
            min_level,
            needle: grep.filter(|text| !text.is_empty()).map(str::to_lowercase),
        }
    }

    /// Whether a line passes: its level is at least the minimum (a line
    /// without one, such as a torn line, always does), and the text is in
    /// the stored line or in the line as shown, ignoring case.
    pub fn matches(&self, raw: &str, shown: &Shown) -> bool {
        if shown.level.is_some_and(|level| level < self.min_level) {
            return false;
        }
        match &self.needle {
            None => true,
            Some(needle) => {
                raw.to_lowercase().contains(needle) || shown.text.to_lowercase().contains(needle)
            }
        }
    }
}

/// A log line as the terminal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// `None` for a line that is not a JSON object with a known level.
    pub level: Option<LogLevel>,
    pub text: String,
}

impl Shown {
    /// `2025-05-01T06:00:00.123Z  INFO trawl_engine::crawl: run started resume=false pending=1`;
    /// a line that is not a JSON object is shown as it is.
    pub fn of(raw: &str) -> Shown {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(raw) else {
            return Shown {
                level: None,
                text: raw.to_owned(),
            };
        };
        let text_of = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
        let level = LogLevel::parse(text_of("level"));
        let level_text = level.map_or_else(
            || text_of("level").to_uppercase(),
            |level| level.as_str().to_uppercase(),
        );
        let mut text = format!(
            "{} {level_text:>5} {}: {}",
            text_of("ts"),
            text_of("target"),
            text_of("message")
        );
        append_fields(&mut text, &object);
        Shown { level, text }
    }
}

/// ` key=value` for every field but the line's frame (and its run, which
/// the command names already).
fn append_fields(text: &mut String, object: &Map<String, Value>) {
    for (key, value) in object {
        if matches!(
            key.as_str(),
            "ts" | "level" | "target" | "message" | "run_id"
        ) {
            continue;
        }
        text.push(' ');
        text.push_str(key);
        text.push('=');
        match value {
            Value::String(string) if needs_quotes(string) => {
                text.push_str(&format!("{string:?}"));
            }
            Value::String(string) => text.push_str(string),
            other => text.push_str(&other.to_string()),
        }
    }
}

fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value
            .chars()
            .any(|character| character.is_whitespace() || matches!(character, '"' | '=' | '\\'))
}

#[cfg(test)]
mod tests;
