//! Commands that read the store or a spec without crawling: `runs`, `items`,
//! `export`, `spec check`, `spec schema`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::json;
use trawl_export::ExportFormat;
use trawl_store::{RunRecord, Store};
use trawl_types::RunId;

use crate::cli::{ExportArgs, ItemsArgs};
use crate::datadir::DataDir;
use crate::output;

pub fn open_store(data_dir: &DataDir) -> Result<Store> {
    let path = data_dir.store_path();
    Store::open(&path).with_context(|| format!("cannot open the store {}", path.display()))
}

/// A run as JSON (`trawl runs --json`, the summary of `trawl run --json`);
/// `"schedule"` is null here and filled in by `trawl runs`.
pub fn run_json(record: &RunRecord) -> serde_json::Value {
    let counters = &record.counters;
    json!({
        "run_id": record.run_id,
        "name": record.name,
        "state": record.state,
        "created_at_millis": record.created_at_millis,
        "started_at_millis": record.started_at_millis,
        "finished_at_millis": record.finished_at_millis,
        "spec_path": record.spec_path,
        "spec_hash": record.spec_hash,
        "error": record.error,
        "pages_ok": counters.pages_ok,
        "pages_failed": counters.pages_failed,
        "pages_skipped": counters.pages_skipped,
        "items_stored": counters.items_stored,
        "items_duplicate": counters.items_duplicate,
        "items_dropped": counters.items_dropped,
        "bytes_fetched": counters.bytes_fetched,
        "links_queued": counters.links_queued,
        "requests_retried": counters.requests_retried,
        "warnings": counters.warnings,
        "schedule": serde_json::Value::Null,
    })
}

pub fn runs(data_dir: &DataDir, as_json: bool) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let runs = store.runs().context("cannot list runs")?;
    let links = store
        .run_schedules()
        .context("cannot read which schedules started the runs")?;
    let links: std::collections::HashMap<_, _> =
        links.iter().map(|link| (link.run_id, link)).collect();
    let link_of = |run: &RunRecord| links.get(&run.run_id).copied();
    if as_json {
        output::json(&serde_json::Value::Array(
            runs.iter()
                .map(|run| {
                    let mut value = run_json(run);
                    value["schedule"] = super::schedule::run_schedule_json(link_of(run));
                    value
                })
                .collect(),
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        output::line("no runs yet: try `trawl demo` or `trawl run SPEC`");
        return Ok(ExitCode::SUCCESS);
    }
    output::line(format!(
        "{:>5}  {:<12} {:<20} {:>8} {:>7} {:>8}  {:<19}  {}",
        "RUN", "STATE", "NAME", "PAGES", "ERRORS", "ITEMS", "STARTED", "SCHEDULE"
    ));
    for run in &runs {
        output::line(format!(
            "{:>5}  {:<12} {:<20} {:>8} {:>7} {:>8}  {:<19}  {}",
            run.run_id.to_string(),
            run.state.as_str(),
            truncate(&run.name, 20),
            run.counters.pages_ok + run.counters.pages_failed,
            run.counters.pages_failed,
            run.counters.items_stored,
            format_millis(run.started_at_millis.unwrap_or(run.created_at_millis)),
            link_of(run)
                .map(|link| truncate(&link.schedule_name, 30))
                .unwrap_or_else(|| "-".to_owned()),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The newest run, for commands whose RUN argument is optional.
pub fn newest_run(store: &Store) -> Result<RunId> {
    match store.runs().context("cannot list runs")?.first() {
        Some(run) => Ok(run.run_id),
        None => bail!("no runs yet: try `trawl demo` or `trawl run SPEC`"),
    }
}

pub fn items(data_dir: &DataDir, args: &ItemsArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let run_id = match args.run {
        Some(run_id) => run_id,
        None => newest_run(&store)?,
    };
    let total = store.item_count(run_id).context("cannot count items")?;
    let items = store
        .items_page(run_id, args.offset, args.limit)
        .context("cannot read items")?;
    for item in &items {
        let value =
            json!({"_kind": item.kind, "_key": item.key, "_url": item.url, "fields": item.fields});
        if args.json {
            output::json_line(&value);
        } else {
            output::json(&value);
        }
    }
    if !args.json {
        output::line(format!(
            "run {run_id}: showing {} of {total} items (--offset/--limit to page, --json for JSON lines)",
            items.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(data_dir: &DataDir, args: &ExportArgs) -> Result<ExitCode> {
    let format = match &args.format {
        Some(name) => name.parse::<ExportFormat>().map_err(anyhow::Error::msg)?,
        None => format_from_extension(&args.output)?,
    };
    let store = open_store(data_dir)?;
    store
        .run(args.run)
        .with_context(|| format!("cannot export run {}", args.run))?;
    let manifest =
        trawl_export::export(&store, args.run, format, &args.output).with_context(|| {
            format!(
                "cannot export run {} to {}",
                args.run,
                args.output.display()
            )
        })?;
    // Recorded in the run's events only when no engine (a server, another
    // `trawl run`) owns the directory and could be numbering them too.
    if let Ok(Some(_lock)) = crate::owner::DataDirLock::try_acquire(data_dir.root()) {
        super::observe::record_export(&store, args.run, &args.output, &manifest);
    }
    if args.json {
        output::json(&serde_json::to_value(&manifest)?);
    } else {
        output::line(format!(
            "wrote {} items ({}) to {} (sha256 {}…, manifest {}.manifest.json)",
            manifest.items,
            output::human_bytes(manifest.bytes),
            args.output.display(),
            manifest.sha256.get(..12).unwrap_or(&manifest.sha256),
            args.output.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn format_from_extension(path: &Path) -> Result<ExportFormat> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default();
    match extension.parse::<ExportFormat>() {
        Ok(format) => Ok(format),
        Err(_) => bail!(
            "cannot tell the format from {:?}: pass --format jsonl, csv or parquet",
            path.display().to_string()
        ),
    }
}

/// Headers read from environment variables that are not set in this
/// process: a warning, not a problem, since the crawl may run elsewhere (a
/// `trawl serve` with its own environment), which is where they are read.
fn unset_env_warnings(spec: &trawl_spec::Spec) -> Vec<String> {
    spec.request
        .unset_env_vars(|variable| std::env::var(variable).ok())
        .into_iter()
        .map(|(header, variable)| {
            format!(
                "header `{header}` reads environment variable {variable}, which is not set here: \
                 set it where the crawl runs (`trawl run`, or the `trawl serve` it goes to), \
                 or the run will not start"
            )
        })
        .collect()
}

pub fn spec_check(path: &Path, as_json: bool) -> Result<ExitCode> {
    match trawl_spec::load(path) {
        Ok(loaded) => {
            let warnings = unset_env_warnings(&loaded.spec);
            if as_json {
                output::json(
                    &json!({"valid": true, "path": path, "name": loaded.spec.name, "problems": [], "warnings": warnings}),
                );
            } else {
                for warning in &warnings {
                    eprintln!("warning: {warning}");
                }
                output::line(format!(
                    "{}: ok (crawl {:?}, {} start urls, {} extraction rules)",
                    path.display(),
                    loaded.spec.name,
                    loaded.spec.start_urls.len(),
                    loaded.spec.extract.len()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Ok(report_spec_error(&error, as_json)),
    }
}

/// Prints a spec error (every problem, with source snippets) and returns exit code 2.
pub fn report_spec_error(error: &trawl_spec::SpecError, as_json: bool) -> ExitCode {
    match error {
        trawl_spec::SpecError::Invalid(diagnostics) if as_json => {
            let problems: Vec<_> = diagnostics
                .problems
                .iter()
                .map(|problem| {
                    json!({
                        "line": problem.line,
                        "column": problem.column,
                        "key": problem.key_path,
                        "message": problem.message,
                        "help": problem.help,
                    })
                })
                .collect();
            output::json(
                &json!({"valid": false, "path": diagnostics.origin, "problems": problems}),
            );
        }
        trawl_spec::SpecError::Invalid(diagnostics) => {
            eprintln!(
                "{}",
                trawl_spec::render_report(diagnostics, output::stderr_is_terminal())
            );
        }
        other => output::error(&anyhow::anyhow!("{other}")),
    }
    ExitCode::from(output::EXIT_INVALID_INPUT)
}

pub fn spec_schema() -> Result<ExitCode> {
    output::json(&trawl_spec::json_schema());
    Ok(ExitCode::SUCCESS)
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// Unix millis as "YYYY-MM-DD HH:MM:SS" in UTC.
fn format_millis(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "?".to_owned())
}
