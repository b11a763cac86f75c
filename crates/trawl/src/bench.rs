//! `trawl bench`: crawl speed, CPU and memory against a generated local shop.
//!
//! The fixture server and the crawler run as separate child processes so each
//! one's CPU time and peak RSS are its own. The server's ceiling is measured
//! with `wrk` at the same concurrency, half right before and half right after
//! each crawl (the mean is the round's ceiling, so a machine that speeds up
//! or slows down during a round weighs on both sides alike), and the crawl is
//! reported as a ratio of it: absolute figures on a shared 2-core machine are
//! noise, ratios less so.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Map, Value, json};

use crate::{output, rusage};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Products in the generated shop (pages ≈ products + listing pages).
    #[arg(long, default_value_t = 20_000)]
    pub products: u32,
    /// Approximate bytes per page.
    #[arg(long, default_value_t = 20_000)]
    pub page_bytes: usize,
    /// Requests in flight, for the crawl and for wrk.
    #[arg(long, default_value_t = 64)]
    pub concurrency: u32,
    /// Seconds wrk measures the server's ceiling in each round, half before
    /// and half after the crawl (0 skips it).
    #[arg(long, default_value_t = 8)]
    pub wrk_secs: u32,
    /// Rounds of the main measurement, each a crawl between two ceiling
    /// measurements. The figures are the median round's (by ratio of
    /// ceiling, or pages/s without wrk); every round is listed under
    /// `rounds`. On a shared machine one round can be off by a third.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub rounds: u32,
    /// Also crawl a shop 10x larger and report memory growth per seen URL.
    #[arg(long)]
    pub memory_scaling: bool,
    /// Also crawl with `event_log = false` (three times each way,
    /// alternating) and report what storing the event log costs in CPU,
    /// speed and disk.
    #[arg(long)]
    pub event_log_cost: bool,
    /// Also crawl with recording on (three times each way, alternating) and
    /// report what recording every exchange costs in CPU, speed and disk.
    #[arg(long)]
    pub record_cost: bool,
    /// Also crawl with checkpoints off (each crawl commits once, when it
    /// ends, and a crash would lose it; seven times each way, alternating)
    /// and report what checkpointing costs in speed and CPU.
    #[arg(long)]
    pub checkpoint_cost: bool,
    /// Milliseconds the fixture server waits before each response. With a
    /// delay the crawl waits on the site, as against most real sites,
    /// instead of sharing two cores with the server: `--record-cost
    /// --server-delay-ms 20` shows what recording costs when CPU is free.
    #[arg(long, default_value_t = 0)]
    pub server_delay_ms: u64,
    /// The fixture server gzips its pages, as real sites (and Debian's
    /// nginx) do; each page is compressed once and cached, so the server
    /// stays a static one. The crawler then decodes every page, and a
    /// recording stores the compressed bytes as sent.
    #[arg(long)]
    pub server_gzip: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What one crawl child reported.
struct CrawlFigures {
    pages: u64,
    items: u64,
    links: u64,
    elapsed_secs: f64,
    cpu_secs: f64,
    peak_rss_bytes: u64,
    /// CPU time of the store writer thread: every checkpoint's work (SQLite
    /// inserts, item serialisation, commits) and nothing else.
    store_writer_cpu_secs: f64,
    /// The store file and its WAL after the run.
    store_bytes: u64,
    /// Rows and bytes (payload, kind, key) of the run's event log.
    event_rows: u64,
    event_bytes: u64,
    /// The run's recording folder (0 when not recorded).
    recording_bytes: u64,
    /// Body bytes fetched.
    body_bytes: u64,
}

/// How often the crawl child's threads are sampled.
const THREAD_SAMPLE_PERIOD: std::time::Duration = std::time::Duration::from_millis(20);
/// The writer thread's name (`trawl-store-writer-RUN`) as /proc shows it (15 bytes).
const WRITER_THREAD_PREFIX: &str = "trawl-store-wri";

pub fn bench(args: &BenchArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the trawl executable")?;
    let work = tempfile_dir()?;
    let site = Site {
        page_bytes: args.page_bytes,
        delay_ms: args.server_delay_ms,
        gzip: args.server_gzip,
    };
    let (mut server, origin) = start_server(&exe, args.products, site)?;
    let result = (|| -> Result<Value> {
        let crawler = Crawler {
            exe: &exe,
            work: &work,
            origin: &origin,
            concurrency: args.concurrency,
        };
        if site.gzip {
            // Fills the server's gzip cache, as gzip_static's files are made
            // ahead of time; not measured.
            crawler.crawl("warm-up", DEFAULT_OPTIONS)?;
        }
        let ceiling_secs = WrkSplit::of(args.wrk_secs);
        let measure = |secs: u32| -> Result<Option<f64>> {
            (secs > 0)
                .then(|| measure_ceiling(&origin, args.concurrency, secs, site.gzip))
                .transpose()
        };
        let mut rounds = Vec::new();
        for round in 0..args.rounds {
            let before = measure(ceiling_secs.before)?;
            let figures = crawler.crawl(&format!("small-{round}"), DEFAULT_OPTIONS)?;
            let after = measure(ceiling_secs.after)?;
            rounds.push((figures, Ceiling { before, after }));
        }
        let listed: Vec<Value> = rounds
            .iter()
            .map(|(figures, ceiling)| {
                json!({
                    "pages_per_sec": pages_per_sec(figures),
                    "cpu_secs_per_1000_pages": cpu_per_page(figures) * 1000.0,
                    "server_ceiling_requests_per_sec": ceiling.mean(),
                    "ceiling_before_requests_per_sec": ceiling.before,
                    "ceiling_after_requests_per_sec": ceiling.after,
                    "ratio_of_ceiling": ceiling.mean().map(|mean| pages_per_sec(figures) / mean),
                })
            })
            .collect();
        let standing = |(figures, ceiling): &(CrawlFigures, Ceiling)| {
            let rate = pages_per_sec(figures);
            ceiling.mean().map_or(rate, |mean| rate / mean)
        };
        rounds.sort_by(|a, b| standing(a).total_cmp(&standing(b)));
        let (small, ceiling) = rounds.swap_remove(rounds.len() / 2);
        let mut report = figures_json(&small, ceiling.mean());
        report.insert("rounds".into(), Value::Array(listed));
        report.insert("server_delay_ms".into(), json!(args.server_delay_ms));
        report.insert("server_gzip".into(), json!(args.server_gzip));
        if args.event_log_cost {
            let cost = event_log_cost(&crawler)?;
            report.insert("event_log_cost".into(), cost.into());
        }
        if args.record_cost {
            let cost = record_cost(&crawler)?;
            report.insert("record_cost".into(), cost.into());
        }
        if args.checkpoint_cost {
            let cost = checkpoint_cost(&crawler)?;
            report.insert("checkpoint_cost".into(), cost.into());
        }
        if args.memory_scaling {
            let _ = server.kill();
            let _ = server.wait();
            let (big_server, big_origin) = start_server(&exe, args.products * 10, site)?;
            server = big_server;
            let big = Crawler {
                origin: &big_origin,
                ..crawler
            }
            .crawl("big", DEFAULT_OPTIONS)?;
            let extra_urls = big.links.saturating_sub(small.links).max(1);
            let extra_rss = big.peak_rss_bytes.saturating_sub(small.peak_rss_bytes);
            report.insert(
                "memory_scaling".into(),
                json!({
                    "small_urls": small.links, "small_peak_rss_bytes": small.peak_rss_bytes,
                    "big_urls": big.links, "big_peak_rss_bytes": big.peak_rss_bytes,
                    "big_pages": big.pages, "big_pages_per_sec": pages_per_sec(&big),
                    "bytes_per_extra_url": extra_rss as f64 / extra_urls as f64,
                }),
            );
        }
        Ok(Value::Object(report))
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&work);
    let report = result?;
    if args.json {
        output::json(&report);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("trawl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// How the fixture server serves the shop.
#[derive(Debug, Clone, Copy)]
struct Site {
    page_bytes: usize,
    delay_ms: u64,
    gzip: bool,
}

fn start_server(exe: &Path, products: u32, site: Site) -> Result<(Child, String)> {
    let mut child = Command::new(exe)
        .args([
            "serve-fixture",
            "catalog",
            "--preset",
            "bench",
            "--port",
            "0",
            "--threads",
            "1",
        ])
        .args(["--products", &products.to_string()])
        .args(["--page-bytes", &site.page_bytes.to_string()])
        .args(["--delay-ms", &site.delay_ms.to_string()])
        .args(site.gzip.then_some("--gzip"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the fixture server")?;
    let stdout = child
        .stdout
        .take()
        .context("fixture server has no stdout")?;
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .context("cannot read the fixture server's address")?;
    let Some(origin) = first_line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        bail!("fixture server said {first_line:?} instead of its address");
    };
    Ok((child, origin.to_owned()))
}

/// A round's wrk seconds, split around its crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WrkSplit {
    before: u32,
    after: u32,
}

impl WrkSplit {
    /// Half before and half after (the odd second before); one second is
    /// all before.
    fn of(secs: u32) -> WrkSplit {
        let before = secs.div_ceil(2);
        WrkSplit {
            before,
            after: secs - before,
        }
    }
}

/// A round's ceiling measurements (requests/s), before and after its crawl.
#[derive(Debug, Clone, Copy)]
struct Ceiling {
    before: Option<f64>,
    after: Option<f64>,
}

impl Ceiling {
    /// The round's ceiling: the mean of both, or the one measured.
    fn mean(&self) -> Option<f64> {
        match (self.before, self.after) {
            (Some(before), Some(after)) => Some((before + after) / 2.0),
            (one, other) => one.or(other),
        }
    }
}

/// Requests per second the fixture server sustains under wrk with keep-alive.
fn measure_ceiling(origin: &str, concurrency: u32, secs: u32, gzip: bool) -> Result<f64> {
    let output = Command::new("wrk")
        .args(["-t1", &format!("-c{concurrency}"), &format!("-d{secs}s")])
        // Asked the way the crawler asks, when the server compresses.
        .args(
            gzip.then_some(["-H", "Accept-Encoding: gzip"])
                .into_iter()
                .flatten(),
        )
        .arg(format!("{origin}/product/1/"))
        .stdin(Stdio::null())
        .output()
        .context("cannot run wrk: install it (`apt-get install wrk`) or pass --wrk-secs 0")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .with_context(|| format!("cannot read wrk's output: {text}"))
}

/// Rounds of a comparison (each: one crawl with, one without).
const COMPARISON_ROUNDS: usize = 3;
/// Rounds of the checkpoint comparison: its difference is smaller than the
/// others', so it takes more rounds to see it through the noise.
const CHECKPOINT_ROUNDS: usize = 7;

/// What a bench crawl turns on.
#[derive(Debug, Clone, Copy)]
struct CrawlOptions {
    event_log: bool,
    record: bool,
    /// Batched checkpoints (`false`: `--no-checkpoints`, one commit at the end).
    checkpoints: bool,
}

const DEFAULT_OPTIONS: CrawlOptions = CrawlOptions {
    event_log: true,
    record: false,
    checkpoints: true,
};

/// Both sides of a comparison, and its report so far.
struct Comparison {
    with: Vec<CrawlFigures>,
    without: Vec<CrawlFigures>,
    report: Map<String, Value>,
}

/// Runs bench crawls (`trawl run` children) of one served shop, each in a
/// data directory of its own below `work`.
#[derive(Clone, Copy)]
struct Crawler<'a> {
    exe: &'a Path,
    work: &'a Path,
    origin: &'a str,
    concurrency: u32,
}

impl Crawler<'_> {
    /// Crawls with `on` and with `off`, alternating (on, off, on, ...) so
    /// drift in the machine's load hits both alike.
    /// The report starts with what turning the feature on costs
    /// ([`cost_json`]).
    fn compare(
        &self,
        (label, on, off): (&str, CrawlOptions, CrawlOptions),
        rounds: usize,
    ) -> Result<Comparison> {
        let mut with = Vec::new();
        let mut without = Vec::new();
        for round in 0..rounds {
            with.push(self.crawl(&format!("{label}-on-{round}"), on)?);
            without.push(self.crawl(&format!("{label}-off-{round}"), off)?);
        }
        let report = cost_json(&with, &without);
        Ok(Comparison {
            with,
            without,
            report,
        })
    }

    /// One crawl (a `trawl run` child), in `work/name`.
    fn crawl(&self, name: &str, options: CrawlOptions) -> Result<CrawlFigures> {
        let (exe, origin, concurrency) = (self.exe, self.origin, self.concurrency);
        let data_dir = &self.work.join(name);
        std::fs::create_dir_all(data_dir)?;
        let spec_path = data_dir.join("bench.toml");
        std::fs::write(&spec_path, bench_spec(origin, concurrency, options))?;
        let mut child = Command::new(exe)
            .arg("run")
            .arg(&spec_path)
            .args(["--json", "--quiet", "--data-dir"])
            .arg(data_dir)
            .args((!options.checkpoints).then_some("--no-checkpoints"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run the crawl")?;
        // The store writer thread ends before the process does, so its CPU time
        // is sampled while it lives (the last sample is at most one period old).
        let mut threads: HashMap<u32, (String, f64)> = HashMap::new();
        while child.try_wait()?.is_none() {
            for (tid, name, secs) in rusage::thread_cpu_secs(child.id()) {
                threads.insert(tid, (name, secs));
            }
            std::thread::sleep(THREAD_SAMPLE_PERIOD);
        }
        let output = child
            .wait_with_output()
            .context("cannot read the crawl's output")?;
        if !output.status.success() {
            bail!(
                "bench crawl failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let summary: Value = serde_json::from_slice(&output.stdout)
            .context("cannot read the crawl's JSON summary")?;
        let store_path = data_dir.join("trawl.sqlite");
        let store_bytes = [store_path.clone(), data_dir.join("trawl.sqlite-wal")]
            .iter()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|metadata| metadata.len())
            .sum();
        let run_id = trawl_types::RunId(summary["run_id"].as_i64().unwrap_or(1));
        let (event_rows, event_bytes) = trawl_store::Store::open(&store_path)
            .and_then(|store| store.event_log_size(run_id))
            .context("cannot measure the bench run's event log")?;
        let number = |pointer: &str| {
            summary
                .pointer(pointer)
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        Ok(CrawlFigures {
            pages: (number("/pages_ok") + number("/pages_failed")) as u64,
            items: number("/items_stored") as u64,
            links: number("/links_queued") as u64,
            elapsed_secs: number("/elapsed_secs"),
            cpu_secs: number("/usage/user_secs") + number("/usage/system_secs"),
            peak_rss_bytes: number("/usage/peak_rss_bytes") as u64,
            store_writer_cpu_secs: threads
                .values()
                .filter(|(name, _)| name.starts_with(WRITER_THREAD_PREFIX))
                .map(|(_, secs)| secs)
                .sum(),
            store_bytes,
            event_rows,
            event_bytes,
            recording_bytes: tree_bytes(&trawl_engine::recording_dir(&store_path, run_id)),
            body_bytes: number("/bytes_fetched") as u64,
        })
    }
}

fn median(runs: &[CrawlFigures], figure: impl Fn(&CrawlFigures) -> f64) -> f64 {
    median_of(runs.iter().map(figure).collect())
}

/// The middle value (the upper one of an even count; 0 for none).
fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// `amount` per page of `run`.
fn per_page(run: &CrawlFigures, amount: f64) -> f64 {
    amount / run.pages.max(1) as f64
}

fn cpu_per_page(run: &CrawlFigures) -> f64 {
    per_page(run, run.cpu_secs)
}

/// The store writer thread's share of the crawl's CPU: everything the store
/// does for the crawl (frontier, items, events, commits), durable or not.
fn writer_share(run: &CrawlFigures) -> f64 {
    run.store_writer_cpu_secs / run.cpu_secs.max(0.001)
}

fn pages_per_sec(run: &CrawlFigures) -> f64 {
    run.pages as f64 / run.elapsed_secs.max(0.001)
}

/// The medians of both sides and what turning the feature on costs. The
/// costs are medians of each round's own cost: a round's two crawls run
/// back to back, so a change in the machine's load between rounds cancels
/// out, as it does not between medians taken of each side separately.
fn cost_json(with: &[CrawlFigures], without: &[CrawlFigures]) -> Map<String, Value> {
    let paired = |cost: fn(&CrawlFigures, &CrawlFigures) -> f64| -> Vec<f64> {
        with.iter()
            .zip(without)
            .map(|(on, off)| cost(on, off))
            .collect()
    };
    let throughput_costs = paired(|on, off| 1.0 - pages_per_sec(on) / pages_per_sec(off));
    let cpu_costs = paired(|on, off| cpu_per_page(on) / cpu_per_page(off) - 1.0);
    json_object(json!({
        "rounds": with.len(),
        "cpu_secs_per_1000_pages_with": median(with, cpu_per_page) * 1000.0,
        "cpu_secs_per_1000_pages_without": median(without, cpu_per_page) * 1000.0,
        "cpu_cost": median_of(cpu_costs),
        "pages_per_sec_with": median(with, pages_per_sec),
        "pages_per_sec_without": median(without, pages_per_sec),
        "throughput_cost": median_of(throughput_costs.clone()),
        "throughput_cost_per_round": throughput_costs,
        "store_writer_share_of_cpu_with": median(with, writer_share),
        "store_writer_share_of_cpu_without": median(without, writer_share),
    }))
}

/// The fields of a `json!({...})` literal.
fn json_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// Storing the event log, against `event_log = false`.
fn event_log_cost(crawler: &Crawler<'_>) -> Result<Map<String, Value>> {
    let off = CrawlOptions {
        event_log: false,
        ..DEFAULT_OPTIONS
    };
    let Comparison {
        with,
        without,
        mut report,
    } = crawler.compare(("log", DEFAULT_OPTIONS, off), COMPARISON_ROUNDS)?;
    let last_on = &with[with.len() - 1];
    let last_off = &without[without.len() - 1];
    report.extend(json_object(json!({
        "events_per_page": per_page(last_on, last_on.event_rows as f64),
        "event_log_bytes_per_page": per_page(last_on, last_on.event_bytes as f64),
        "store_bytes_per_page_with": per_page(last_on, last_on.store_bytes as f64),
        "store_bytes_per_page_without": per_page(last_off, last_off.store_bytes as f64),
    })));
    Ok(report)
}

/// Recording every exchange (WARC), against not recording.
fn record_cost(crawler: &Crawler<'_>) -> Result<Map<String, Value>> {
    let on = CrawlOptions {
        record: true,
        ..DEFAULT_OPTIONS
    };
    let Comparison {
        with, mut report, ..
    } = crawler.compare(("record", on, DEFAULT_OPTIONS), COMPARISON_ROUNDS)?;
    let last_on = &with[with.len() - 1];
    report.extend(json_object(json!({
        "recording_bytes_per_page": per_page(last_on, last_on.recording_bytes as f64),
        "body_bytes_per_page": per_page(last_on, last_on.body_bytes as f64),
    })));
    Ok(report)
}

/// Batched checkpoints, against committing each crawl once at its end
/// (checkpointing off: the same store work, none of it durable before the
/// end).
fn checkpoint_cost(crawler: &Crawler<'_>) -> Result<Map<String, Value>> {
    let off = CrawlOptions {
        checkpoints: false,
        ..DEFAULT_OPTIONS
    };
    let Comparison { report, .. } =
        crawler.compare(("checkpoint", DEFAULT_OPTIONS, off), CHECKPOINT_ROUNDS)?;
    Ok(report)
}

/// The demo spec pointed at the bench server, with the bench's concurrency.
/// (The demo spec has no `[politeness]` table, so appending one is valid
/// TOML; a top-level key goes first, before any table.)
fn bench_spec(origin: &str, concurrency: u32, options: CrawlOptions) -> String {
    format!(
        "event_log = {}\nrecord = {}\n{}\n[politeness]\nconcurrency = {concurrency}\nper_host_concurrency = {concurrency}\n",
        options.event_log,
        options.record,
        crate::commands::demo_spec(origin)
    )
}

/// Bytes of every file below `dir` (0 when it does not exist).
fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => tree_bytes(&entry.path()),
            Ok(_) => entry.metadata().map(|metadata| metadata.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

fn figures_json(figures: &CrawlFigures, ceiling: Option<f64>) -> Map<String, Value> {
    let pages_per_sec = pages_per_sec(figures);
    json_object(json!({
        "pages": figures.pages,
        "items": figures.items,
        "urls_seen": figures.links,
        "elapsed_secs": figures.elapsed_secs,
        "pages_per_sec": pages_per_sec,
        "items_per_sec": figures.items as f64 / figures.elapsed_secs.max(0.001),
        "cpu_secs": figures.cpu_secs,
        "cpu_secs_per_1000_pages": cpu_per_page(figures) * 1000.0,
        "peak_rss_bytes": figures.peak_rss_bytes,
        "store_writer_cpu_secs": figures.store_writer_cpu_secs,
        "store_bytes_per_page": per_page(figures, figures.store_bytes as f64),
        "event_log_bytes_per_page": per_page(figures, figures.event_bytes as f64),
        "store_writer_share_of_cpu": writer_share(figures),
        "server_ceiling_requests_per_sec": ceiling,
        "ratio_of_ceiling": ceiling.map(|ceiling| pages_per_sec / ceiling),
    }))
}

fn print_report(report: &Value) {
    let number = |pointer: &str| report.pointer(pointer).and_then(Value::as_f64);
    let show = |label: &str, value: Option<f64>, unit: &str| match value {
        Some(value) => output::line(format!("{label:<34} {value:>12.2} {unit}")),
        None => output::line(format!("{label:<34} {:>12}", "n/a")),
    };
    show(
        "server delay per response",
        number("/server_delay_ms"),
        "ms",
    );
    if report.get("server_gzip") == Some(&Value::Bool(true)) {
        output::line("server gzips its pages (--server-gzip)");
    }
    show("pages", number("/pages"), "");
    show("items", number("/items"), "");
    show("elapsed", number("/elapsed_secs"), "s");
    show("pages/s", number("/pages_per_sec"), "");
    show("items/s", number("/items_per_sec"), "");
    show(
        "CPU per 1,000 pages (target ≤ 0.35)",
        number("/cpu_secs_per_1000_pages"),
        "s",
    );
    show(
        "peak RSS (target < 100 MiB)",
        number("/peak_rss_bytes").map(|b| b / 1048576.0),
        "MiB",
    );
    show(
        "store writer share of CPU",
        number("/store_writer_share_of_cpu"),
        "",
    );
    show(
        "server ceiling (wrk)",
        number("/server_ceiling_requests_per_sec"),
        "req/s",
    );
    show(
        "ratio of ceiling (target ≥ 0.15)",
        number("/ratio_of_ceiling"),
        "",
    );
    if let Some(Value::Array(rounds)) = report.get("rounds")
        && rounds.len() > 1
    {
        let ratios: Vec<String> = rounds
            .iter()
            .map(|round| {
                round["ratio_of_ceiling"]
                    .as_f64()
                    .map_or_else(|| "n/a".to_owned(), |ratio| format!("{ratio:.3}"))
            })
            .collect();
        output::line(format!(
            "{:<34} {}",
            "ratio of ceiling, each round",
            ratios.join(" ")
        ));
    }
    show("store bytes per page", number("/store_bytes_per_page"), "B");
    show(
        "event log bytes per page",
        number("/event_log_bytes_per_page"),
        "B",
    );
    if report.get("event_log_cost").is_some() {
        show(
            "event log: CPU cost (target < 0.10)",
            number("/event_log_cost/cpu_cost"),
            "",
        );
        show(
            "event log: throughput cost",
            number("/event_log_cost/throughput_cost"),
            "",
        );
        show(
            "events per page",
            number("/event_log_cost/events_per_page"),
            "",
        );
        show(
            "store bytes/page with log",
            number("/event_log_cost/store_bytes_per_page_with"),
            "B",
        );
        show(
            "store bytes/page without log",
            number("/event_log_cost/store_bytes_per_page_without"),
            "B",
        );
    }
    if report.get("record_cost").is_some() {
        show(
            "recording: throughput cost (target < 0.15)",
            number("/record_cost/throughput_cost"),
            "",
        );
        show("recording: CPU cost", number("/record_cost/cpu_cost"), "");
        show(
            "recording bytes per page",
            number("/record_cost/recording_bytes_per_page"),
            "B",
        );
        show(
            "body bytes per page",
            number("/record_cost/body_bytes_per_page"),
            "B",
        );
    }
    if report.get("checkpoint_cost").is_some() {
        show(
            "checkpoints: throughput cost (target < 0.10)",
            number("/checkpoint_cost/throughput_cost"),
            "",
        );
        show(
            "checkpoints: CPU cost",
            number("/checkpoint_cost/cpu_cost"),
            "",
        );
    }
    if report.get("memory_scaling").is_some() {
        show(
            "urls seen (small)",
            number("/memory_scaling/small_urls"),
            "",
        );
        show("urls seen (big)", number("/memory_scaling/big_urls"), "");
        show(
            "peak RSS big",
            number("/memory_scaling/big_peak_rss_bytes").map(|b| b / 1048576.0),
            "MiB",
        );
        show(
            "bytes per extra URL (target ≤ 100)",
            number("/memory_scaling/bytes_per_extra_url"),
            "B",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_seconds_split_around_the_crawl_with_the_odd_one_before() {
        for (secs, before, after) in [(8, 4, 4), (5, 3, 2), (1, 1, 0), (0, 0, 0)] {
            assert_eq!(WrkSplit::of(secs), WrkSplit { before, after }, "{secs}");
        }
    }
}
