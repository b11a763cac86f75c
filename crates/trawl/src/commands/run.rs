//! Commands that crawl: `run`, `resume`, `demo`, and `serve-fixture` (the
//! fixture server `demo` and `bench` use).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::json;
use trawl_engine::{CancellationToken, Crawl, CrawlReport, Progress};
use trawl_export::ExportFormat;
use trawl_spec::Spec;
use trawl_store::{NewRun, Store};
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{self, TestServer};
use trawl_types::{RunId, RunState};

use super::inspect::{open_store, report_spec_error, run_json};
use crate::cli::{DemoArgs, ProgressArgs, ResumeArgs, RunArgs, ServeFixtureArgs};
use crate::datadir::DataDir;
use crate::output;
use crate::progress::ProgressView;

/// The bundled demo spec; `trawl demo` points it at the port it serves on.
const DEMO_SPEC: &str = include_str!("../../../../examples/demo.toml");
/// The origin written in examples/demo.toml (`trawl serve-fixture --port 8642`).
const DEMO_SPEC_ORIGIN: &str = "http://127.0.0.1:8642";

/// The demo spec aimed at a catalog served on `origin` ("http://127.0.0.1:PORT").
pub fn demo_spec(origin: &str) -> String {
    DEMO_SPEC.replace(DEMO_SPEC_ORIGIN, origin)
}

/// An export to write when the run ends.
struct ExportTarget {
    format: ExportFormat,
    path: PathBuf,
}

pub fn run(data_dir: &DataDir, args: &RunArgs) -> Result<ExitCode> {
    let loaded = match trawl_spec::load(&args.spec) {
        Ok(loaded) => loaded,
        Err(error) => return Ok(report_spec_error(&error, args.progress.json)),
    };
    let mut exports = sink_targets(&loaded.spec, args.spec.parent())?;
    if let (Some(format), Some(path)) = (&args.export, &args.output) {
        exports.push(ExportTarget {
            format: format.parse().map_err(anyhow::Error::msg)?,
            path: path.clone(),
        });
    }
    let store = open_store(data_dir)?;
    let spec_path = std::path::absolute(&args.spec).unwrap_or_else(|_| args.spec.clone());
    let run_id = create_run(&store, &loaded, &spec_path)?;
    execute(store, run_id, loaded.spec, false, &args.progress, &exports)
}

pub fn resume(data_dir: &DataDir, args: &ResumeArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let record = store
        .run(args.run)
        .with_context(|| format!("cannot resume run {}", args.run))?;
    if record.state == RunState::Succeeded {
        bail!(
            "run {} already {}: start a new one with `trawl run SPEC`",
            args.run,
            record.state
        );
    }
    let origin = format!("spec of run {}", args.run);
    let loaded = match trawl_spec::parse(&record.spec_toml, &origin) {
        Ok(loaded) => loaded,
        Err(error) => return Ok(report_spec_error(&error, args.progress.json)),
    };
    let spec_dir = record
        .spec_path
        .as_deref()
        .map(Path::new)
        .and_then(Path::parent);
    let exports = sink_targets(&loaded.spec, spec_dir)?;
    if matches!(record.state, RunState::Cancelled | RunState::Failed) {
        // Cancelled and failed runs keep their pending frontier (a failed
        // checkpoint, e.g. on a full disk, rolls back only its own batch, so
        // those pages are still pending); resuming reopens it.
        store
            .set_run_state(args.run, RunState::Interrupted, None)
            .context("cannot reopen the run")?;
    }
    // A run still `queued` was killed before it started crawling, possibly
    // before its seeds were committed: a resume would find an empty frontier
    // and "succeed" with nothing. Start it properly instead; seeding skips
    // URLs the frontier already has, and no page can be done yet.
    let resume = record.state != RunState::Queued;
    execute(
        store,
        args.run,
        loaded.spec,
        resume,
        &args.progress,
        &exports,
    )
}

pub fn demo(data_dir: &DataDir, args: &DemoArgs) -> Result<ExitCode> {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: args.products,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(server::catalog_handler(catalog), 1)
        .context("cannot start the demo shop on 127.0.0.1")?;
    let origin = server.url("");
    if !args.progress.quiet {
        eprintln!("demo shop serving on {origin}/ (stops when the demo ends)");
    }
    let spec_source = demo_spec(&origin);
    let demo_dir = data_dir.root().join("demo");
    std::fs::create_dir_all(&demo_dir)
        .with_context(|| format!("cannot create {}", demo_dir.display()))?;
    let spec_path = demo_dir.join("demo.toml");
    std::fs::write(&spec_path, &spec_source)
        .with_context(|| format!("cannot write {}", spec_path.display()))?;
    let loaded = match trawl_spec::parse(&spec_source, "examples/demo.toml") {
        Ok(loaded) => loaded,
        Err(error) => return Ok(report_spec_error(&error, args.progress.json)),
    };
    let store = open_store(data_dir)?;
    let run_id = create_run(&store, &loaded, &spec_path)?;
    let exports = vec![ExportTarget {
        format: ExportFormat::Jsonl,
        path: data_dir
            .exports_dir()?
            .join(format!("demo-run-{run_id}.jsonl")),
    }];
    let code = execute(store, run_id, loaded.spec, false, &args.progress, &exports)?;
    if !args.progress.quiet && !args.progress.json {
        output::line(format!(
            "\nnext: `trawl runs` · `trawl items {run_id}` · `trawl export {run_id} -o demo.csv` · spec used: {}",
            spec_path.display()
        ));
    }
    Ok(code)
}

/// Records a new run (state `queued`) with the spec it was started from.
fn create_run(store: &Store, loaded: &trawl_spec::LoadedSpec, spec_path: &Path) -> Result<RunId> {
    store
        .create_run(&NewRun {
            name: loaded.spec.name.clone(),
            spec_toml: loaded.source.clone(),
            spec_hash: loaded.hash.clone(),
            spec_path: Some(spec_path.display().to_string()),
        })
        .context("cannot create the run in the store")
}

/// Runs a crawl to its end with progress, Ctrl-C handling, exports and a summary.
fn execute(
    store: Store,
    run_id: RunId,
    spec: Spec,
    resume: bool,
    progress_args: &ProgressArgs,
    exports: &[ExportTarget],
) -> Result<ExitCode> {
    let runtime = super::runtime()?;
    let label = format!("run {run_id} {}", spec.name);
    let (store, report) = runtime.block_on(async {
        let progress = Arc::new(Progress::default());
        let cancel = CancellationToken::new();
        let signals = tokio::spawn(watch_interrupts(cancel.clone(), progress_args.quiet));
        let view = ProgressView::start(progress.clone(), label, progress_args.quiet);
        let outcome = Crawl::new(store, run_id, spec, progress, cancel)
            .run(resume)
            .await
            .with_context(|| {
                format!(
                    "run {run_id} stopped; every finished page up to the last checkpoint is saved: \
                     fix the cause, then continue with `trawl resume {run_id}`"
                )
            });
        view.finish().await;
        signals.abort();
        outcome
    })?;
    drop(runtime);

    let mut written = Vec::new();
    if report.state == RunState::Succeeded {
        for target in exports {
            // A spec's sink may name a folder that does not exist yet ("out/books.csv").
            if let Some(parent) = target
                .path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let manifest = trawl_export::export(&store, run_id, target.format, &target.path)
                .with_context(|| format!("cannot export to {}", target.path.display()))?;
            written.push((target, manifest));
        }
    }
    print_summary(&store, &report, &written, progress_args)?;
    Ok(match report.state {
        RunState::Succeeded => ExitCode::SUCCESS,
        RunState::Cancelled => ExitCode::from(output::EXIT_INTERRUPTED),
        _ => ExitCode::from(output::EXIT_FAILURE),
    })
}

/// First Ctrl-C (or SIGTERM): stop intake, abort in-flight requests, commit
/// finished pages. Second: exit at once — safe, because every checkpoint is
/// one transaction.
async fn watch_interrupts(cancel: CancellationToken, quiet: bool) {
    if wait_for_signal().await.is_err() {
        return;
    }
    if !quiet {
        eprintln!("\ninterrupted: saving finished pages (press Ctrl-C again to quit at once)");
    }
    cancel.cancel();
    if wait_for_signal().await.is_ok() {
        std::process::exit(i32::from(output::EXIT_INTERRUPTED));
    }
}

async fn wait_for_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

fn sink_targets(spec: &Spec, spec_dir: Option<&Path>) -> Result<Vec<ExportTarget>> {
    spec.sinks
        .iter()
        .map(|sink| {
            let path = Path::new(&sink.path);
            let path = match spec_dir {
                Some(dir) if path.is_relative() => dir.join(path),
                _ => path.to_path_buf(),
            };
            let format = match sink.format {
                trawl_spec::SinkFormat::Jsonl => ExportFormat::Jsonl,
                trawl_spec::SinkFormat::Csv => ExportFormat::Csv,
                trawl_spec::SinkFormat::Parquet => ExportFormat::Parquet,
            };
            Ok(ExportTarget { format, path })
        })
        .collect()
}

fn print_summary(
    store: &Store,
    report: &CrawlReport,
    written: &[(&ExportTarget, trawl_export::Manifest)],
    progress_args: &ProgressArgs,
) -> Result<()> {
    let record = &report.record;
    let counters = &record.counters;
    let elapsed_secs = report.elapsed.as_secs_f64();
    let pages = counters.pages_ok + counters.pages_failed;
    let pages_per_sec = pages as f64 / elapsed_secs.max(0.001);
    let usage = crate::rusage::current();
    if progress_args.json {
        let mut value = run_json(record);
        if let Some(object) = value.as_object_mut() {
            object.insert("elapsed_secs".into(), json!(elapsed_secs));
            object.insert("pages_per_sec".into(), json!(pages_per_sec));
            object.insert("store_path".into(), json!(store.path()));
            object.insert("usage".into(), json!(usage));
            object.insert(
                "exports".into(),
                json!(written
                    .iter()
                    .map(|(target, manifest)| json!({"path": target.path, "format": manifest.format.to_string(), "items": manifest.items, "sha256": manifest.sha256}))
                    .collect::<Vec<_>>()),
            );
        }
        output::json(&value);
        return Ok(());
    }
    if progress_args.quiet && report.state == RunState::Succeeded {
        return Ok(());
    }
    output::line(format!(
        "run {} {} in {:.1}s: {} pages ({} errors, {} skipped), {} items ({} duplicates, {} dropped), {}, {:.1} pages/s",
        record.run_id,
        report.state,
        elapsed_secs,
        pages,
        counters.pages_failed,
        counters.pages_skipped,
        counters.items_stored,
        counters.items_duplicate,
        counters.items_dropped,
        output::human_bytes(counters.bytes_fetched),
        pages_per_sec,
    ));
    if let Some(error) = &record.error {
        output::line(format!("  error: {error}"));
    }
    let store_path = store
        .path()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    output::line(format!(
        "  dataset: {} items in {store_path} (run {})",
        counters.items_stored, record.run_id
    ));
    for (target, manifest) in written {
        output::line(format!(
            "  exported: {} ({} items, {})",
            target.path.display(),
            manifest.items,
            manifest.format
        ));
    }
    match report.state {
        RunState::Cancelled => {
            output::line(format!("  resume with: trawl resume {}", record.run_id))
        }
        _ if written.is_empty() => output::line(format!(
            "  export with: trawl export {} -o {}.jsonl",
            record.run_id, record.name
        )),
        _ => {}
    }
    Ok(())
}

pub fn serve_fixture(args: &ServeFixtureArgs) -> Result<ExitCode> {
    let handler = match args.site.as_str() {
        "catalog" => {
            let mut config = match args.preset.as_str() {
                "demo" => CatalogConfig {
                    products: args.products,
                    ..CatalogConfig::demo()
                },
                "bench" => CatalogConfig::bench(args.products),
                other => bail!("unknown catalog preset {other:?}: use `demo` or `bench`"),
            };
            if let Some(page_bytes) = args.page_bytes {
                config.target_page_bytes = page_bytes;
            }
            server::catalog_handler(Arc::new(Catalog::new(config)))
        }
        "hostile" => trawl_test_sites::hostile::hostile_handler(),
        other => bail!("unknown fixture site {other:?}: use `catalog` or `hostile`"),
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = TestServer::start_in_thread_on(address, handler, args.threads.max(1))
        .with_context(|| format!("cannot listen on {address}"))?;
    output::line(format!("listening on {}", server.url("")));
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let _ = wait_for_signal().await;
    });
    drop(server);
    Ok(ExitCode::SUCCESS)
}
