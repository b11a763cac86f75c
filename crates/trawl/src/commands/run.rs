//! Commands that crawl: `run`, `resume`, `demo`, and `serve-fixture` (the
//! fixture server `demo` and `bench` use).
//!
//! `run`, `resume` and `demo` start an in-process [`Engine`] and ask it to
//! submit or resume the run; only the engine changes run states. When a
//! `trawl serve` owns the data directory they ask that server instead
//! (client mode), so one store never has two engines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;
use trawl_api::client::ApiClient;
use trawl_api::dto::{ProgressDto, StartRunRequest};
use trawl_engine::{Engine, Progress};
use trawl_export::ExportFormat;
use trawl_spec::{LoadedSpec, Spec};
use trawl_store::{RunRecord, Store};
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{self, TestServer};
use trawl_types::{RunId, RunState};

use super::inspect::{open_store, report_spec_error, run_json};
use crate::cli::{DemoArgs, LimitArgs, ProgressArgs, ResumeArgs, RunArgs, ServeFixtureArgs};
use crate::datadir::DataDir;
use crate::output;
use crate::owner::{self, Claim};
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
pub(super) struct ExportTarget {
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
    let spec_path = std::path::absolute(&args.spec).unwrap_or_else(|_| args.spec.clone());
    let (_, code) = execute(
        data_dir,
        Start::Submit(&loaded, &spec_path, args.record),
        &args.progress,
        &args.limits,
        |_| exports,
    )?;
    Ok(code)
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
    drop(store);
    // The engine decides how: a paused or interrupted run continues from its
    // frontier, a failed or cancelled one is reopened (its pending frontier is
    // intact), one left `running` by a killed process is adopted, and one left
    // `queued` before its seeds were committed is seeded afresh.
    let (_, code) = execute(
        data_dir,
        Start::Resume(args.run),
        &args.progress,
        &args.limits,
        |_| exports,
    )?;
    Ok(code)
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
    let exports_dir = data_dir.exports_dir()?;
    // Named after the run, which exists only once the engine created it.
    let exports = |run_id: RunId| {
        vec![ExportTarget {
            format: ExportFormat::Jsonl,
            path: exports_dir.join(format!("demo-run-{run_id}.jsonl")),
        }]
    };
    let (run_id, code) = execute(
        data_dir,
        Start::Submit(&loaded, &spec_path, false),
        &args.progress,
        &args.limits,
        exports,
    )?;
    if !args.progress.quiet && !args.progress.json {
        output::line(format!(
            "\nnext: `trawl runs` · `trawl items {run_id}` · `trawl export {run_id} -o demo.csv` · `trawl ui` (the web ui) · spec used: {}",
            spec_path.display()
        ));
    }
    Ok(code)
}

/// What the engine is asked to do.
pub(super) enum Start<'a> {
    /// Create a run from this spec (read from this file) and start it;
    /// `record`: record its exchanges.
    Submit(&'a LoadedSpec, &'a Path, bool),
    /// Replay this recorded run, with its own spec or this one.
    Replay(RunId, Option<&'a LoadedSpec>),
    /// Continue this existing run.
    Resume(RunId),
}

/// The in-process engine of a CLI command: one run at a time, and no start-up
/// recovery (the command runs only what it was asked to; `trawl resume`
/// adopts a run left `running` by a killed process).
fn cli_engine(data_dir: &DataDir, limits: &LimitArgs) -> Result<Engine> {
    let store_path = data_dir.store_path();
    Engine::start(
        &store_path,
        super::engine_config(data_dir, limits, 1, false),
    )
    .with_context(|| format!("cannot open the store {}", store_path.display()))
}

/// Runs a crawl until it settles, with progress, Ctrl-C handling, exports
/// and a summary. Returns the run's id and the exit code.
///
/// Whoever owns the data directory runs it: this process, with an
/// in-process engine, holding the directory's lock until the summary is
/// printed (so a server cannot start on the store meanwhile); or the running
/// `trawl serve`, which this process then asks over the API and follows.
pub(super) fn execute(
    data_dir: &DataDir,
    start: Start<'_>,
    progress_args: &ProgressArgs,
    limits: &LimitArgs,
    exports: impl FnOnce(RunId) -> Vec<ExportTarget>,
) -> Result<(RunId, ExitCode)> {
    let claim = owner::claim(data_dir.root())?;
    let runtime = super::runtime()?;
    let started = Instant::now();
    let (run_id, record) = match &claim {
        Claim::Owner(_) => {
            runtime.block_on(run_in_process(data_dir, start, progress_args, limits))?
        }
        Claim::Server(discovery) => {
            if limits.no_checkpoints {
                bail!(
                    "--no-checkpoints needs an in-process run, and a trawl server owns {}: \
                     use another --data-dir",
                    data_dir.root().display()
                );
            }
            if !progress_args.quiet {
                eprintln!(
                    "a trawl server owns {}: the run goes to it at {}",
                    data_dir.root().display(),
                    discovery.address
                );
            }
            let client = super::serve::client_of(discovery)?;
            runtime.block_on(run_on_server(data_dir, &client, start, progress_args))?
        }
    };
    let elapsed = started.elapsed();
    drop(runtime);

    let store = open_store(data_dir)?;
    let mut written = Vec::new();
    if record.state == RunState::Succeeded {
        for target in exports(run_id) {
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
            if matches!(claim, Claim::Owner(_)) {
                super::observe::record_export(&store, run_id, &target.path, &manifest);
            }
            written.push((target, manifest));
        }
    }
    print_summary(&store, &record, elapsed, &written, progress_args)?;
    let code = match record.state {
        RunState::Succeeded => ExitCode::SUCCESS,
        RunState::Cancelled | RunState::Paused | RunState::Interrupted => {
            ExitCode::from(output::EXIT_INTERRUPTED)
        }
        _ => ExitCode::from(output::EXIT_FAILURE),
    };
    drop(claim);
    Ok((run_id, code))
}

/// The run in an engine of this process.
async fn run_in_process(
    data_dir: &DataDir,
    start: Start<'_>,
    progress_args: &ProgressArgs,
    limits: &LimitArgs,
) -> Result<(RunId, RunRecord)> {
    let engine = cli_engine(data_dir, limits)?;
    let run_id = match start {
        Start::Replay(original, spec) => engine
            .submit_replay(original, spec)
            .with_context(|| format!("cannot replay run {original}"))?,
        Start::Submit(loaded, spec_path, record) => match engine.submit_with(
            loaded,
            Some(spec_path),
            0,
            trawl_store::RunSource {
                record,
                ..trawl_store::RunSource::default()
            },
        ) {
            Ok(run_id) => run_id,
            // Names the header and the variable; no run was created.
            Err(error @ trawl_engine::EngineError::Header(_)) => {
                return Err(anyhow::Error::new(error).context("cannot start the run"));
            }
            Err(error) => {
                return Err(anyhow::Error::new(error).context("cannot create the run in the store"));
            }
        },
        Start::Resume(run_id) => {
            engine
                .resume(run_id)
                .with_context(|| format!("cannot resume run {run_id}"))?;
            run_id
        }
    };
    let name = engine
        .run(run_id)
        .map(|view| view.record.name)
        .unwrap_or_default();
    let progress = engine.progress(run_id).unwrap_or_default();
    let signals = tokio::spawn(watch_interrupts(engine.clone(), progress_args.quiet));
    let view = ProgressView::start(
        progress,
        format!("run {run_id} {name}"),
        progress_args.quiet,
    );
    let outcome = engine.wait(run_id).await.with_context(|| {
        format!(
            "run {run_id} stopped; every finished page up to the last checkpoint is saved: \
             fix the cause, then continue with `trawl resume {run_id}`"
        )
    });
    view.finish().await;
    signals.abort();
    outcome.map(|record| (run_id, record))
}

/// How often a client asks the server how its run is doing.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The run on the data directory's server: submitted (or resumed) over the
/// API, then followed by polling until the server's engine lets go of it
/// (no live progress any more: terminal, paused or interrupted). The record
/// for the summary is then read from the store, as for a local run.
///
/// Ctrl-C stops following only: the run belongs to the server and goes on
/// (`trawl pause RUN` or `trawl cancel RUN` stop it).
async fn run_on_server(
    data_dir: &DataDir,
    client: &ApiClient,
    start: Start<'_>,
    progress_args: &ProgressArgs,
) -> Result<(RunId, RunRecord)> {
    let server = client.base_url().to_owned();
    let run = match start {
        Start::Submit(loaded, spec_path, record) => client
            .start_run(&StartRunRequest {
                spec_toml: loaded.source.clone(),
                priority: None,
                spec_path: Some(spec_path.display().to_string()),
                record: Some(record),
            })
            .await
            .with_context(|| format!("the server at {server} did not take the run"))?,
        Start::Replay(original, spec) => client
            .replay(
                original,
                &trawl_api::dto::ReplayRequest {
                    spec_toml: spec.map(|spec| spec.source.clone()),
                },
            )
            .await
            .with_context(|| format!("the server at {server} did not replay run {original}"))?,
        Start::Resume(run_id) => client
            .resume(run_id)
            .await
            .with_context(|| format!("the server at {server} cannot resume run {run_id}"))?,
    };
    let run_id = run.run_id;
    let progress = Arc::new(Progress::default());
    let view = ProgressView::start(
        progress.clone(),
        format!("run {run_id} {} (on {server})", run.name),
        progress_args.quiet,
    );
    let mut latest = run;
    let followed = loop {
        if let Some(live) = &latest.progress {
            mirror_progress(&progress, live);
        } else {
            break Ok(());
        }
        tokio::select! {
            _ = wait_for_signal() => break Err(()),
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
        latest = client
            .run(run_id)
            .await
            .with_context(|| format!("lost track of run {run_id} on the server at {server}"))?;
    };
    view.finish().await;
    if followed.is_err() {
        if !progress_args.quiet {
            eprintln!(
                "\nstopped following run {run_id}; it goes on in the server at {server}: \
                 `trawl pause {run_id}` or `trawl cancel {run_id}` stop it"
            );
        }
        std::process::exit(i32::from(output::EXIT_INTERRUPTED));
    }
    let record = open_store(data_dir)?
        .run(run_id)
        .with_context(|| format!("cannot read run {run_id} from the store"))?;
    Ok((run_id, record))
}

/// Copies the server's live counters into the local progress display's.
fn mirror_progress(progress: &Progress, live: &ProgressDto) {
    let set = |counter: &std::sync::atomic::AtomicU64, value: u64| {
        counter.store(value, std::sync::atomic::Ordering::Relaxed);
    };
    set(&progress.pages_ok, live.pages_ok);
    set(&progress.pages_failed, live.pages_failed);
    set(&progress.items_stored, live.items_stored);
    set(&progress.items_dropped, live.items_dropped);
    set(&progress.bytes_fetched, live.bytes_fetched);
    set(&progress.in_flight, live.in_flight);
    set(&progress.queued, live.queued);
    set(&progress.retries, live.retries);
}

/// First Ctrl-C (or SIGTERM): the engine shuts down — intake stops,
/// in-flight requests are aborted (they stay pending), finished pages are
/// committed, and the run rests `interrupted`, resumable with `trawl resume`.
/// Second: exit at once — safe, because every checkpoint is one transaction.
async fn watch_interrupts(engine: Engine, quiet: bool) {
    if wait_for_signal().await.is_err() {
        return;
    }
    if !quiet {
        eprintln!("\ninterrupted: saving finished pages (press Ctrl-C again to quit at once)");
    }
    tokio::spawn(async move { engine.shutdown().await });
    if wait_for_signal().await.is_ok() {
        std::process::exit(i32::from(output::EXIT_INTERRUPTED));
    }
}

pub(super) async fn wait_for_signal() -> std::io::Result<()> {
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

/// A file name for a run's export: its name with anything but letters,
/// digits, `-` and `_` made `-` (a replay is "shop (replay of run 1)").
fn file_stem(name: &str, run_id: RunId) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    let mut collapsed = String::with_capacity(stem.len());
    for c in stem.chars() {
        if !(c == '-' && collapsed.ends_with('-')) {
            collapsed.push(c);
        }
    }
    if collapsed.is_empty() {
        format!("run-{run_id}")
    } else {
        collapsed
    }
}

fn print_summary(
    store: &Store,
    record: &RunRecord,
    elapsed: Duration,
    written: &[(ExportTarget, trawl_export::Manifest)],
    progress_args: &ProgressArgs,
) -> Result<()> {
    let counters = &record.counters;
    let elapsed_secs = elapsed.as_secs_f64();
    let pages = counters.pages_ok + counters.pages_failed;
    let pages_per_sec = pages as f64 / elapsed_secs.max(0.001);
    if progress_args.quiet && !progress_args.json && record.state == RunState::Succeeded {
        return Ok(());
    }
    // Taken before the statistics below, which are not the crawl's work.
    let usage = crate::rusage::current();
    // The event log's view of the run (status codes, latency, ...), read
    // only when it is printed: it scans the whole log. A store that cannot
    // be read here already failed the run's own reads.
    let stats = trawl_engine::run_stats(store, record.run_id)
        .ok()
        .map(|(stats, _)| stats);
    if progress_args.json {
        let mut value = run_json(record);
        if let Some(object) = value.as_object_mut() {
            object.insert("stats".into(), json!(stats));
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
    output::line(format!(
        "run {} {} in {:.1}s: {} pages ({} errors, {} skipped), {} items ({} duplicates, {} dropped), {}, {:.1} pages/s",
        record.run_id,
        record.state,
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
    if let Some(stats) = stats.filter(|stats| stats.pages > 0) {
        for line in super::observe::stats_lines(&stats).iter().skip(2) {
            output::line(format!("  {line}"));
        }
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
    match record.state {
        RunState::Cancelled | RunState::Paused | RunState::Interrupted => {
            output::line(format!("  resume with: trawl resume {}", record.run_id))
        }
        _ if written.is_empty() => output::line(format!(
            "  export with: trawl export {} -o {}.jsonl",
            record.run_id,
            file_stem(&record.name, record.run_id)
        )),
        _ => {}
    }
    Ok(())
}

pub fn serve_fixture(args: &ServeFixtureArgs) -> Result<ExitCode> {
    if args.gzip && args.site != "catalog" {
        // The hostile site's endless and dripping bodies cannot be
        // compressed whole.
        bail!("--gzip serves the catalog only");
    }
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
    let handler = if args.gzip {
        server::gzipped(handler)
    } else {
        handler
    };
    let handler = match args.delay_ms {
        0 => handler,
        delay_ms => server::delayed(handler, std::time::Duration::from_millis(delay_ms)),
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
