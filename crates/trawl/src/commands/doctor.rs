//! `trawl doctor`: checks a data directory after a crash (or any time) and
//! repairs what is safe to repair.
//!
//! It checks the store with SQLite's `integrity_check`, verifies every export
//! that has a manifest (size and SHA-256) and reports data files that lack
//! one, finds temporary files that a killed export left behind (AtomicFile's
//! `.<name>.tmp-<pid>-<random>`, removed with `--repair` once the process that
//! wrote them is gone), and lists runs that can be continued with `trawl
//! resume`: left `running` or `queued` by a dead process, `interrupted`, or
//! failed/cancelled with pages still pending.
//!
//! Only orphan temporary files are ever deleted: a torn or unverifiable
//! export is reported, never "fixed", because the user may still want it and
//! the store can always write a fresh one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use serde::Serialize;
use trawl_store::Store;
use trawl_types::RunState;

use crate::cli::DoctorArgs;
use crate::datadir::DataDir;
use crate::output;

/// Folders are searched this deep for exports and temporary files.
const MAX_DEPTH: usize = 8;
/// Where `/proc` is missing (not Linux) a writer's liveness cannot be
/// checked; a temporary file this old is then taken to be abandoned.
const ORPHAN_AGE_WITHOUT_PROC: Duration = Duration::from_secs(24 * 60 * 60);
/// Extensions of the data files exports write, for "file without manifest".
const EXPORT_EXTENSIONS: [&str; 3] = ["jsonl", "csv", "parquet"];
const MANIFEST_SUFFIX: &str = ".manifest.json";

#[derive(Debug, Serialize)]
struct Report {
    store: StoreCheck,
    exports: Vec<ExportCheck>,
    orphan_temp_files: Vec<TempFile>,
    /// Temporary files whose writer is still running (an export in progress).
    temp_files_in_use: Vec<TempFile>,
    resumable_runs: Vec<ResumableRun>,
    problems: usize,
    healthy: bool,
}

#[derive(Debug, Serialize)]
struct StoreCheck {
    path: PathBuf,
    /// "ok", "missing" (no store yet), "corrupt" or "unreadable".
    status: &'static str,
    problems: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ExportCheck {
    path: PathBuf,
    /// "ok", "mismatch", "missing_file", "missing_manifest", "bad_manifest" or "unreadable".
    status: &'static str,
    items: Option<u64>,
    detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct TempFile {
    path: PathBuf,
    bytes: u64,
    /// The process that created it (from the file name).
    pid: Option<u32>,
    removed: bool,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct ResumableRun {
    run_id: trawl_types::RunId,
    name: String,
    state: RunState,
    pages: u64,
    items: u64,
}

pub fn doctor(data_dir: &DataDir, args: &DoctorArgs) -> Result<ExitCode> {
    let (store, resumable_runs) = check_store(&data_dir.store_path());

    let mut folders = vec![data_dir.root().join("exports")];
    folders.extend(args.paths.iter().cloned());
    let mut files = Vec::new();
    for folder in &folders {
        collect_files(folder, 0, &mut files);
    }
    // Folders may overlap (`trawl doctor .` inside the data dir): each file
    // once, under the first path it was found by.
    let mut seen = std::collections::HashSet::new();
    files.retain(|path| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).map_or(true, |meta| seen.insert((meta.dev(), meta.ino())))
    });
    files.sort();

    let mut exports = Vec::new();
    let mut orphan_temp_files = Vec::new();
    let mut temp_files_in_use = Vec::new();
    for path in &files {
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if let Some(pid) = temp_file_writer(name) {
            let temp_file = TempFile {
                path: path.clone(),
                bytes: std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0),
                pid: Some(pid),
                removed: false,
                error: None,
            };
            if writer_is_alive(pid, path) {
                temp_files_in_use.push(temp_file);
            } else {
                orphan_temp_files.push(temp_file);
            }
        } else if let Some(data_name) = name.strip_suffix(MANIFEST_SUFFIX) {
            exports.push(check_export(&path.with_file_name(data_name)));
        } else if is_export_data_file(name)
            && !path
                .with_file_name(format!("{name}{MANIFEST_SUFFIX}"))
                .exists()
        {
            exports.push(ExportCheck {
                path: path.clone(),
                status: "missing_manifest",
                items: None,
                detail: Some(
                    "no manifest beside it (an export killed before its manifest was written?): it cannot be verified; export again".to_owned(),
                ),
            });
        }
    }

    if args.repair {
        for temp_file in &mut orphan_temp_files {
            match std::fs::remove_file(&temp_file.path) {
                Ok(()) => temp_file.removed = true,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    temp_file.removed = true
                }
                Err(error) => temp_file.error = Some(error.to_string()),
            }
        }
    }

    let problems = usize::from(!matches!(store.status, "ok" | "missing"))
        + exports
            .iter()
            .filter(|export| export.status != "ok")
            .count()
        + orphan_temp_files
            .iter()
            .filter(|temp_file| !temp_file.removed)
            .count();
    let report = Report {
        store,
        exports,
        orphan_temp_files,
        temp_files_in_use,
        resumable_runs,
        problems,
        healthy: problems == 0,
    };
    if args.json {
        output::json(&serde_json::to_value(&report)?);
    } else {
        print_human(&report, args.repair);
    }
    Ok(if report.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(output::EXIT_FAILURE)
    })
}

/// Integrity of the store file, and the runs a dead process may have left.
fn check_store(path: &Path) -> (StoreCheck, Vec<ResumableRun>) {
    let check = |status, problems| StoreCheck {
        path: path.to_path_buf(),
        status,
        problems,
    };
    if !path.exists() {
        return (check("missing", Vec::new()), Vec::new());
    }
    let store = match Store::open(path) {
        Ok(store) => store,
        Err(error) => return (check("unreadable", vec![error_chain(&error)]), Vec::new()),
    };
    let store_check = match store.integrity_check() {
        Ok(problems) if problems.is_empty() => check("ok", problems),
        Ok(problems) => check("corrupt", problems),
        Err(error) => check("unreadable", vec![error_chain(&error)]),
    };
    let mut resumable_runs = Vec::new();
    if let Ok(runs) = store.runs() {
        for run in runs.into_iter().rev() {
            // Failed (e.g. the disk filled up) and cancelled runs can be
            // continued too, but are only worth listing with work left.
            let resumable = match run.state {
                RunState::Running | RunState::Interrupted | RunState::Queued | RunState::Paused => {
                    true
                }
                RunState::Failed | RunState::Cancelled => store
                    .frontier_counts(run.run_id)
                    .is_ok_and(|counts| counts.pending > 0),
                RunState::Succeeded => false,
            };
            if resumable {
                resumable_runs.push(ResumableRun {
                    run_id: run.run_id,
                    name: run.name,
                    state: run.state,
                    pages: run.counters.pages_ok + run.counters.pages_failed,
                    items: run.counters.items_stored,
                });
            }
        }
    }
    (store_check, resumable_runs)
}

fn check_export(data_path: &Path) -> ExportCheck {
    use trawl_export::ExportError;
    match trawl_export::verify(data_path) {
        Ok(manifest) => ExportCheck {
            path: data_path.to_path_buf(),
            status: "ok",
            items: Some(manifest.items),
            detail: None,
        },
        Err(error) => {
            let status = match &error {
                ExportError::ChecksumMismatch { .. } | ExportError::ManifestFileMismatch { .. } => {
                    "mismatch"
                }
                ExportError::MissingFile { .. } => "missing_file",
                ExportError::MissingManifest { .. } => "missing_manifest",
                ExportError::BadManifest { .. } => "bad_manifest",
                _ => "unreadable",
            };
            ExportCheck {
                path: data_path.to_path_buf(),
                status,
                items: None,
                detail: Some(error_chain(&error)),
            }
        }
    }
}

/// Files under `folder` (regular files only, symlinks not followed).
fn collect_files(folder: &Path, depth: usize, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() && depth < MAX_DEPTH {
            collect_files(&entry.path(), depth + 1, files);
        } else if file_type.is_file() {
            files.push(entry.path());
        }
    }
}

/// The pid in an AtomicFile temporary name `.<name>.tmp-<pid>-<16 hex digits>`,
/// or `None` if `name` is not one.
fn temp_file_writer(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (target, suffix) = rest.rsplit_once(".tmp-")?;
    let (pid, random) = suffix.split_once('-')?;
    let is_random = random.len() == 16 && random.bytes().all(|byte| byte.is_ascii_hexdigit());
    if target.is_empty() || !is_random {
        return None;
    }
    pid.parse().ok()
}

/// Whether the process that created a temporary file may still be writing it.
/// A reused pid only makes doctor keep a file it could have removed.
fn writer_is_alive(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    let age = std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
    age.is_none_or(|age| age < ORPHAN_AGE_WITHOUT_PROC)
}

fn is_export_data_file(name: &str) -> bool {
    !name.starts_with('.')
        && Path::new(name)
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| EXPORT_EXTENSIONS.contains(&extension))
}

/// An error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn print_human(report: &Report, repair: bool) {
    let store = &report.store;
    match store.status {
        "ok" => output::line(format!("store {}: ok", store.path.display())),
        "missing" => output::line(format!(
            "store {}: none yet (nothing crawled in this data dir)",
            store.path.display()
        )),
        status => {
            output::line(format!("store {}: {status}", store.path.display()));
            for problem in &store.problems {
                output::line(format!("  {problem}"));
            }
        }
    }
    let verified = report
        .exports
        .iter()
        .filter(|export| export.status == "ok")
        .count();
    output::line(format!(
        "exports: {verified} verified against their manifests"
    ));
    for export in report.exports.iter().filter(|export| export.status != "ok") {
        output::line(format!(
            "  {} {}: {}",
            export.status,
            export.path.display(),
            export.detail.as_deref().unwrap_or_default()
        ));
    }
    for temp_file in &report.orphan_temp_files {
        let what = format!(
            "orphan temp file {} ({}, left by dead process {})",
            temp_file.path.display(),
            output::human_bytes(temp_file.bytes),
            temp_file
                .pid
                .map_or_else(|| "?".to_owned(), |pid| pid.to_string())
        );
        match (&temp_file.error, temp_file.removed) {
            (_, true) => output::line(format!("{what}: removed")),
            (Some(error), false) => output::line(format!("{what}: cannot remove: {error}")),
            (None, false) if repair => output::line(what),
            (None, false) => output::line(format!("{what}: `trawl doctor --repair` removes it")),
        }
    }
    for temp_file in &report.temp_files_in_use {
        output::line(format!(
            "temp file {} is being written by process {} (left alone)",
            temp_file.path.display(),
            temp_file
                .pid
                .map_or_else(|| "?".to_owned(), |pid| pid.to_string())
        ));
    }
    for run in &report.resumable_runs {
        output::line(format!(
            "run {} {} is {} ({} pages, {} items): continue it with `trawl resume {}`{}",
            run.run_id,
            run.name,
            run.state,
            run.pages,
            run.items,
            run.run_id,
            if matches!(run.state, RunState::Running | RunState::Queued) {
                " unless a trawl process is still crawling it"
            } else {
                ""
            }
        ));
    }
    if report.healthy {
        output::line("healthy");
    } else {
        output::line(format!(
            "{} problem{} found",
            report.problems,
            if report.problems == 1 { "" } else { "s" }
        ));
    }
}
