//! Crash recovery through the real binary: SIGKILL at random moments during a
//! crawl and during an export, and a store that runs out of space. After every
//! kill the process is restarted (`trawl resume RUN`) until the run ends; the
//! final dataset must equal the generated catalog exactly.
//!
//! Kill moments come from a seeded RNG. The seed is printed at the start of
//! each test; `TRAWL_CHAOS_SEED=N cargo test -p trawl chaos` replays the same
//! sequence of delays (the kill points still depend on timing, so a replay is
//! close, not identical).
// `pre_exec` and `setrlimit` (the full-disk test) need unsafe; nothing else here does.
#![allow(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use trawl_test_sites::catalog::{Catalog, CatalogConfig, ExpectedProduct};
use trawl_test_sites::server::{TestServer, catalog_handler};

use super::*;

/// Products in the crawled shop: with the demo shape (12 per listing page, a
/// dead link every 25th product) about 2,820 fetches.
const CHAOS_PRODUCTS: u32 = 2_500;
/// Kills that must land on a live process before the run may finish.
const MIN_KILLS: u32 = 24;
/// Kills that must land on a live export.
const MIN_EXPORT_KILLS: u32 = 12;
/// Upper bound on attempts, so a run that can never finish fails the test
/// instead of hanging it.
const MAX_ATTEMPTS: u32 = 400;
/// No single attempt may take longer than this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);

fn chaos_rng(test: &str) -> StdRng {
    let seed = match std::env::var("TRAWL_CHAOS_SEED") {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("TRAWL_CHAOS_SEED={text:?} is not a u64")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    eprintln!("{test}: chaos seed {seed} (replay with TRAWL_CHAOS_SEED={seed})");
    StdRng::seed_from_u64(seed)
}

/// A child's stdout and stderr go to files: nothing blocks on a full pipe, and
/// the output of a killed process can still be read.
struct Attempt {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Attempt {
    fn spawn(mut command: Command, logs: &Path, label: &str) -> Attempt {
        let stdout = logs.join(format!("{label}.out"));
        let stderr = logs.join(format!("{label}.err"));
        command
            .stdout(Stdio::from(File::create(&stdout).unwrap()))
            .stderr(Stdio::from(File::create(&stderr).unwrap()));
        Attempt {
            child: command.spawn().unwrap(),
            stdout,
            stderr,
        }
    }

    /// Waits up to `delay`; `Some(status)` if the process exited by itself.
    fn wait_for(&mut self, delay: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + delay;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
        }
    }

    /// SIGKILL. `None` if the kill interrupted the process, else how it had
    /// already exited on its own.
    fn kill(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.child.try_wait().unwrap() {
            return Some(status);
        }
        // `Child::kill` sends SIGKILL.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        None
    }

    fn finish(mut self) -> (ExitStatus, String, String) {
        let status = match self.wait_for(ATTEMPT_TIMEOUT) {
            Some(status) => status,
            None => {
                let _ = self.kill();
                panic!("attempt did not finish within {ATTEMPT_TIMEOUT:?}");
            }
        };
        (status, self.read_stdout(), self.read_stderr())
    }

    fn read_stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap()
    }

    fn read_stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap()
    }
}

fn catalog_and_server(products: u32) -> (Arc<Catalog>, TestServer) {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog.clone()), 1).unwrap();
    (catalog, server)
}

/// What the demo spec extracts from one product page.
fn expected_item(origin: &str, product: &ExpectedProduct) -> Value {
    json!({
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "currency": product.currency,
        "category": product.category,
        "in_stock": product.in_stock,
        "stock_count": product.stock_count,
        "rating": product.rating,
        "tags": product.tags,
        "image": format!("{origin}{}", product.image_url_path),
        "released": product.released,
        "description": product.description,
    })
}

/// The runs in the store, from `trawl runs --json`.
fn runs(trawl: &Trawl) -> Vec<Value> {
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    serde_json::from_str::<Value>(&stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Pages a complete crawl of `catalog` commits: every HTML page robots.txt
/// allows, plus the dead links (committed with their 404).
fn total_pages(catalog: &Catalog) -> u64 {
    (catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len()
        + catalog.dead_link_paths().len()) as u64
}

fn pages_done(run: &Value) -> u64 {
    run["pages_ok"].as_u64().unwrap() + run["pages_failed"].as_u64().unwrap()
}

/// Asserts that run `run_id` holds exactly the catalog's dataset: the item
/// set (keys and every field), the counters, and a frontier in which every
/// URL appears once and was committed once.
fn assert_exact_dataset(trawl: &Trawl, run_id: &str, catalog: &Catalog, origin: &str) {
    let run = runs(trawl)
        .into_iter()
        .find(|run| run["run_id"].as_u64() == run_id.parse().ok())
        .unwrap();
    assert_eq!(run["state"], "succeeded", "{run}");

    // Items, through the CLI.
    let (stdout, _) = trawl.expect(&["items", run_id, "--json", "--limit", "1000000"], 0);
    let mut got = BTreeMap::new();
    let mut rows = 0;
    for line in stdout.lines() {
        let item: Value = serde_json::from_str(line).unwrap();
        rows += 1;
        assert_eq!(item["_kind"], "product");
        let key = item["_key"].as_str().unwrap().to_owned();
        let previous = got.insert(key.clone(), item["fields"].clone());
        assert!(previous.is_none(), "duplicate item key {key}");
    }
    let want: BTreeMap<String, Value> = catalog
        .expected_products()
        .iter()
        .map(|product| (product.sku.clone(), expected_item(origin, product)))
        .collect();
    let missing: Vec<&String> = want.keys().filter(|key| !got.contains_key(*key)).collect();
    let unexpected: Vec<&String> = got.keys().filter(|key| !want.contains_key(*key)).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{} items missing (first: {:?}), {} unexpected (first: {:?})",
        missing.len(),
        missing.first(),
        unexpected.len(),
        unexpected.first()
    );
    for (key, want_item) in &want {
        assert_eq!(got.get(key), Some(want_item), "item {key} differs");
    }
    assert_eq!(rows, want.len(), "rows vs distinct keys");

    // Counters: each page counted once, so committed once.
    let polite_pages = catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len();
    assert_eq!(run["pages_ok"], polite_pages as u64, "{run}");
    assert_eq!(
        run["pages_failed"],
        catalog.dead_link_paths().len() as u64,
        "{run}"
    );
    assert_eq!(run["items_stored"], want.len() as u64, "{run}");
    assert_eq!(run["items_duplicate"], 0, "{run}");
    assert_eq!(run["items_dropped"], 0, "{run}");

    // The frontier, read from the SQLite file: every expected URL exactly
    // once, all done, nothing else.
    let store = trawl_store::Store::open(&trawl.path("trawl.sqlite")).unwrap();
    let run_id = trawl_types::RunId(run_id.parse().unwrap());
    let counts = store.frontier_counts(run_id).unwrap();
    assert_eq!(counts.pending, 0);
    let outcomes = store.page_outcomes(run_id, 0, usize::MAX).unwrap();
    let urls: BTreeSet<&str> = outcomes.iter().map(|page| page.url.as_str()).collect();
    assert_eq!(
        urls.len(),
        outcomes.len(),
        "a URL appears twice in the frontier"
    );
    assert_eq!(counts.done, outcomes.len() as u64);
    let disallowed = catalog.robots_disallowed_paths();
    let want_urls: BTreeSet<String> = catalog
        .html_page_paths()
        .into_iter()
        .filter(|path| !disallowed.contains(path))
        .chain(catalog.dead_link_paths())
        .map(|path| format!("{origin}{path}"))
        .collect();
    let got_urls: BTreeSet<String> = urls.iter().map(|url| (*url).to_owned()).collect();
    assert_eq!(
        got_urls, want_urls,
        "frontier URLs differ from the site's pages"
    );
}

/// Runs the crawl once without interruption: the baseline dataset, and the
/// duration the kill delays are drawn from.
fn uninterrupted_duration(spec: &str, catalog: &Catalog, origin: &str) -> Duration {
    let trawl = Trawl::default();
    let started = Instant::now();
    let (stdout, _) = trawl.expect(&["run", spec, "--quiet", "--json"], 0);
    let duration = started.elapsed();
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    assert_exact_dataset(&trawl, "1", catalog, origin);
    duration
}

#[test]
fn sigkill_during_a_crawl_then_resume_loses_and_duplicates_nothing() {
    let test_started = Instant::now();
    let mut rng = chaos_rng("crawl chaos");
    let (catalog, server) = catalog_and_server(CHAOS_PRODUCTS);
    let origin = server.url("");
    let spec_dir = tempfile::tempdir().unwrap();
    let spec_path = spec_dir.path().join("shop.toml");
    std::fs::write(&spec_path, demo_spec(&origin)).unwrap();
    let spec = str_path(&spec_path);

    let full = uninterrupted_duration(spec, &catalog, &origin);
    let total_pages = total_pages(&catalog) as f64;
    eprintln!(
        "uninterrupted crawl of {total_pages} pages: {:.2}s",
        full.as_secs_f64()
    );

    let trawl = Trawl::default();
    let logs = tempfile::tempdir().unwrap();
    let mut run_id: Option<String> = None;
    let mut kills = 0_u32;
    let mut kills_before_first_commit = 0_u32;
    let mut kills_mid_crawl = 0_u32;
    let mut done = 0_u64;
    let mut attempt_number = 0_u32;
    let final_summary = loop {
        attempt_number += 1;
        assert!(
            attempt_number <= MAX_ATTEMPTS,
            "run not finished after {MAX_ATTEMPTS} attempts"
        );
        let args = match &run_id {
            None => vec!["run", spec, "--quiet", "--json"],
            Some(run_id) => vec!["resume", run_id.as_str(), "--quiet", "--json"],
        };
        let remaining = (1.0 - done as f64 / total_pages).clamp(0.0, 1.0);
        let delay = if kills >= MIN_KILLS {
            // Enough kills: anywhere in a whole crawl, so late kills happen too.
            full.mul_f64(rng.random::<f64>())
        } else if attempt_number == 1 || rng.random_bool(0.25) {
            // Start-up: store open, run creation, seeding, resume's frontier
            // scan. The first attempt always dies here, so every chaos run
            // covers a kill before (or while) the run is created and seeded.
            Duration::from_micros(rng.random_range(0..80_000))
        } else {
            // Mid-crawl. At most a share of the time the rest of the crawl
            // needs (a restart is never faster than the measured run), so
            // the run cannot end before MIN_KILLS kills landed.
            let budget = full.mul_f64(remaining / f64::from(MIN_KILLS - kills + 1));
            budget.mul_f64(rng.random::<f64>())
        };
        let mut attempt = Attempt::spawn(
            trawl.command(&args),
            logs.path(),
            &format!("attempt-{attempt_number}"),
        );
        let exited = attempt.wait_for(delay).or_else(|| attempt.kill());
        if let Some(status) = exited {
            let stdout = attempt.read_stdout();
            let stderr = attempt.read_stderr();
            assert!(
                status.success(),
                "attempt {attempt_number} ({args:?}) exited {status}\n{stdout}\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            break serde_json::from_str::<Value>(&stdout).unwrap();
        }
        kills += 1;
        let stderr = attempt.read_stderr();
        assert!(
            !stderr.contains("panicked"),
            "attempt {attempt_number}: {stderr}"
        );

        let runs = runs(&trawl);
        assert!(runs.len() <= 1, "a restart created a second run: {runs:?}");
        let before = done;
        if let Some(run) = runs.first() {
            run_id.get_or_insert_with(|| run["run_id"].to_string());
            done = pages_done(run);
            if run["state"] == "succeeded" {
                // The kill landed after the run ended, while the process was
                // still finishing (summary, exit): nothing is left to resume.
                eprintln!(
                    "attempt {attempt_number}: killed after {:.1} ms, after the run succeeded",
                    delay.as_secs_f64() * 1000.0
                );
                break run.clone();
            }
        }
        if done == 0 {
            kills_before_first_commit += 1;
        } else if (done as f64) < total_pages {
            kills_mid_crawl += 1;
        }
        eprintln!(
            "attempt {attempt_number}: killed after {:.1} ms, pages committed {before} -> {done}",
            delay.as_secs_f64() * 1000.0
        );
    };

    assert_eq!(final_summary["state"], "succeeded", "{final_summary}");
    let run_id = run_id.unwrap_or_else(|| final_summary["run_id"].to_string());
    assert!(kills >= MIN_KILLS, "only {kills} kills landed");
    assert!(kills_mid_crawl > 0, "no kill landed mid-crawl");
    assert_exact_dataset(&trawl, &run_id, &catalog, &origin);

    // The export of the recovered run verifies, and doctor finds nothing wrong.
    let export = trawl.path("exports/products.jsonl");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    trawl.expect(&["export", &run_id, "-o", str_path(&export)], 0);
    let manifest = trawl_export::verify(&export).unwrap();
    assert_eq!(manifest.items, u64::from(CHAOS_PRODUCTS));
    trawl.expect(&["doctor"], 0);

    eprintln!(
        "crawl chaos: {kills} kills survived ({kills_before_first_commit} before the first commit, \
         {kills_mid_crawl} mid-crawl) in {attempt_number} attempts; 0 items lost, 0 duplicates; \
         test took {:.1}s",
        test_started.elapsed().as_secs_f64()
    );
}

/// Fills a run through the store's API (a crawl of this size would take
/// minutes in a debug build): `count` items with realistic fields, committed
/// like pages are, and marked succeeded.
fn store_with_items(trawl: &Trawl, count: usize) {
    use trawl_store::{CheckpointBatch, NewRequest, NewRun, PageDone, Store};
    use trawl_types::{Item, RunState};

    let mut store = Store::open(&trawl.path("trawl.sqlite")).unwrap();
    let run_id = store
        .create_run(&NewRun {
            name: "big".to_owned(),
            spec_toml: String::new(),
            spec_hash: "0".repeat(64),
            spec_path: None,
        })
        .unwrap();
    let pages_per_batch = 500;
    for first in (0..count).step_by(pages_per_batch) {
        let ids: Vec<usize> = (first..(first + pages_per_batch).min(count)).collect();
        let requests: Vec<NewRequest> = ids
            .iter()
            .map(|id| NewRequest {
                fingerprint: *id as u64 + 1,
                url: format!("http://127.0.0.1/product/{id}/"),
                depth: 1,
            })
            .collect();
        store.enqueue(run_id, &requests).unwrap();
        let pages = ids
            .iter()
            .map(|id| {
                let fields = json!({
                    "sku": format!("SKU-{id:07}"),
                    "name": format!("Product number {id} with a longer name ✓"),
                    "price": (*id as f64) * 1.25,
                    "in_stock": id % 3 != 0,
                    "tags": ["alpha", "beta", format!("tag-{}", id % 17)],
                    "description": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ".repeat(3),
                });
                PageDone {
                    fingerprint: *id as u64 + 1,
                    status: Some(200),
                    outcome: "ok".to_owned(),
                    error: None,
                    items: vec![Item {
                        kind: "product".to_owned(),
                        key: Some(format!("SKU-{id:07}")),
                        url: format!("http://127.0.0.1/product/{id}/"),
                        fields: fields.as_object().unwrap().clone(),
                    }],
                    links: Vec::new(),
                    events: Vec::new(),
                }
            })
            .collect();
        store
            .commit(
                run_id,
                &CheckpointBatch {
                    pages,
                    counters: Default::default(),
                    events: Vec::new(),
                },
            )
            .unwrap();
    }
    store
        .set_run_state(run_id, RunState::Succeeded, None)
        .unwrap();
}

/// (lowercase hex SHA-256, size) of the file at `path`.
fn sha256_of(path: &Path) -> (String, u64) {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap();
    let digest = Sha256::digest(&bytes);
    let hex = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    (hex, bytes.len() as u64)
}

fn temp_files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.') && name.contains(".tmp-"))
        .collect()
}

#[test]
fn sigkill_during_export_never_leaves_a_partial_file() {
    let test_started = Instant::now();
    let mut rng = chaos_rng("export chaos");
    const ITEMS: usize = 10_000;
    let trawl = Trawl::default();
    store_with_items(&trawl, ITEMS);
    let exports = trawl.path("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let logs = tempfile::tempdir().unwrap();

    for format in ["jsonl", "parquet"] {
        // Reference export: exports of one run are byte-identical, so every
        // file ever visible at the final path must be exactly this one.
        let reference = trawl.path(&format!("reference.{format}"));
        let started = Instant::now();
        trawl.expect(&["export", "1", "-o", str_path(&reference)], 0);
        let export_duration = started.elapsed();
        let reference_manifest = trawl_export::verify(&reference).unwrap();
        assert_eq!(reference_manifest.items, ITEMS as u64);
        eprintln!(
            "export of {ITEMS} items as {format}: {:.0} ms, {} bytes",
            export_duration.as_secs_f64() * 1000.0,
            reference_manifest.bytes
        );

        let target = exports.join(format!("products.{format}"));
        let manifest = trawl_export::manifest_path(&target).unwrap();
        let mut kills = 0_u32;
        let mut kills_mid_write = 0_u32;
        let mut without_manifest = 0_u32;
        let mut attempt_number = 0_u32;
        let mut completed = 0_u32;
        while kills < MIN_EXPORT_KILLS {
            attempt_number += 1;
            assert!(attempt_number <= MAX_ATTEMPTS);
            let delay = export_duration.mul_f64(1.2 * rng.random::<f64>());
            let temps_before = temp_files_in(&exports).len();
            let mut attempt = Attempt::spawn(
                trawl.command(&["export", "1", "-o", str_path(&target)]),
                logs.path(),
                &format!("{format}-{attempt_number}"),
            );
            match attempt.wait_for(delay).or_else(|| attempt.kill()) {
                Some(status) => {
                    assert!(status.success(), "{}", attempt.read_stderr());
                    completed += 1;
                }
                None => kills += 1,
            }
            if temp_files_in(&exports).len() > temps_before {
                kills_mid_write += 1;
            }
            // Whatever is visible at the final path is the complete export.
            if target.exists() {
                let (sha256, bytes) = sha256_of(&target);
                assert_eq!(
                    (sha256.as_str(), bytes),
                    (reference_manifest.sha256.as_str(), reference_manifest.bytes),
                    "a partial or different file is visible at {} after attempt {attempt_number}",
                    target.display()
                );
                if manifest.exists() {
                    let verified = trawl_export::verify(&target).unwrap();
                    assert_eq!(verified.items, ITEMS as u64);
                } else {
                    // Killed between the data file's rename and its manifest's.
                    without_manifest += 1;
                    assert!(matches!(
                        trawl_export::verify(&target),
                        Err(trawl_export::ExportError::MissingManifest { .. })
                    ));
                }
            } else {
                assert!(!manifest.exists(), "a manifest without its file");
            }
        }
        eprintln!(
            "export chaos ({format}): {kills} kills ({kills_mid_write} left a temp file, \
             {without_manifest} between file and manifest), {completed} completed, \
             {attempt_number} attempts"
        );
        assert!(
            kills_mid_write > 0,
            "no kill landed while the file was written"
        );

        // Doctor reports the leftovers, --repair removes them, a last export verifies.
        let orphans = temp_files_in(&exports);
        if !orphans.is_empty() {
            let (stdout, _) = trawl.expect(&["doctor", "--json"], 1);
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(
                report["orphan_temp_files"].as_array().unwrap().len(),
                orphans.len(),
                "{report}"
            );
        }
        trawl.expect(&["export", "1", "-o", str_path(&target)], 0);
        assert_eq!(trawl_export::verify(&target).unwrap().items, ITEMS as u64);
        trawl.expect(&["doctor", "--repair"], 0);
        assert_eq!(temp_files_in(&exports), Vec::<String>::new());
        trawl.expect(&["doctor"], 0);
    }
    eprintln!(
        "export chaos took {:.1}s",
        test_started.elapsed().as_secs_f64()
    );
}

/// The largest file the crawl in [`a_full_disk_fails_the_run_cleanly_and_resume_finishes_it`]
/// may write: the store's files outgrow it long before the run ends.
const FILE_SIZE_LIMIT: u64 = 1024 * 1024;

#[test]
fn a_full_disk_fails_the_run_cleanly_and_resume_finishes_it() {
    let (catalog, server) = catalog_and_server(1_200);
    let origin = server.url("");
    let trawl = Trawl::default();
    let spec_path = trawl.write("shop.toml", &demo_spec(&origin));
    let mut command = trawl.command(&["run", str_path(&spec_path), "--quiet"]);
    // SAFETY: between fork and exec only async-signal-safe calls are made
    // (setrlimit, signal), touching no memory of the parent.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FILE_SIZE_LIMIT as libc::rlim_t,
                rlim_max: FILE_SIZE_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Writes past the limit then fail with EFBIG instead of killing
            // the process with SIGXFSZ, like a full disk fails with ENOSPC.
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let logs = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = Attempt::spawn(command, logs.path(), "limited").finish();
    eprintln!("limited run: {status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("cannot write the store while committing a checkpoint"),
        "no mention of the store: {stderr}"
    );
    assert!(
        stderr.contains("file size limit"),
        "no mention of the full disk: {stderr}"
    );
    assert!(
        stderr.contains("trawl resume 1"),
        "no way forward: {stderr}"
    );
    let run = runs(&trawl).into_iter().next().unwrap();
    assert_ne!(run["state"], "succeeded", "{run}");
    let committed = pages_done(&run);
    let total_pages = total_pages(&catalog);
    assert!(
        committed < total_pages,
        "the limit did not stop the run: {run}"
    );
    eprintln!("full disk after {committed} of {total_pages} pages: {run}");

    // The store itself is healthy, and doctor points at the run to resume.
    let (stdout, _) = trawl.expect(&["doctor"], 0);
    assert!(stdout.contains("trawl resume 1"), "{stdout}");

    // Space is back: resume finishes with exactly the expected dataset.
    let run_id = run["run_id"].to_string();
    let (stdout, _) = trawl.expect(&["resume", &run_id, "--quiet", "--json"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    assert_exact_dataset(&trawl, &run_id, &catalog, &origin);
    trawl.expect(&["doctor"], 0);
}

/// A kill between creating the run and committing its seeds leaves a `queued`
/// run with an empty frontier (the chaos test hits this with early kills).
/// Resuming it must crawl the site, not "succeed" with nothing.
#[test]
fn a_run_killed_before_its_seeds_were_committed_resumes_from_the_start() {
    let (catalog, server) = catalog_and_server(40);
    let origin = server.url("");
    let trawl = Trawl::default();
    let spec_source = demo_spec(&origin);
    let spec_path = trawl.write("shop.toml", &spec_source);
    {
        let store = trawl_store::Store::open(&trawl.path("trawl.sqlite")).unwrap();
        store
            .create_run(&trawl_store::NewRun {
                name: "demo-shop".to_owned(),
                spec_toml: spec_source,
                spec_hash: "0".repeat(64),
                spec_path: Some(str_path(&spec_path).to_owned()),
            })
            .unwrap();
    }
    let (stdout, _) = trawl.expect(&["resume", "1", "--quiet", "--json"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    assert_exact_dataset(&trawl, "1", &catalog, &origin);
}

/// Kills that must land while a run is stopping after Ctrl-C.
const MIN_PAUSE_KILLS: u32 = 10;

/// Ctrl-C (SIGINT) pauses a run: intake stops, in-flight pages are aborted,
/// finished ones are checkpointed and the run rests `interrupted`. Here a
/// SIGKILL follows the SIGINT after a random few milliseconds, so it lands
/// in the middle of that stop (or just after it); then `trawl resume`.
#[test]
fn sigkill_while_a_ctrl_c_pause_checkpoints_then_resume_loses_nothing() {
    let mut rng = chaos_rng("pause chaos");
    let (catalog, server) = catalog_and_server(CHAOS_PRODUCTS);
    let origin = server.url("");
    let spec_dir = tempfile::tempdir().unwrap();
    let spec_path = spec_dir.path().join("shop.toml");
    std::fs::write(&spec_path, demo_spec(&origin)).unwrap();
    let spec = str_path(&spec_path);
    let full = uninterrupted_duration(spec, &catalog, &origin);

    let trawl = Trawl::default();
    let logs = tempfile::tempdir().unwrap();
    let mut run_id: Option<String> = None;
    let (mut kills_in_pause, mut clean_pauses, mut attempt_number) = (0_u32, 0_u32, 0_u32);
    let total_pages = total_pages(&catalog) as f64;
    let mut done = 0_u64;
    let final_summary = loop {
        attempt_number += 1;
        assert!(attempt_number <= MAX_ATTEMPTS, "run not finished");
        let args = match &run_id {
            None => vec!["run", spec, "--quiet", "--json"],
            Some(run_id) => vec!["resume", run_id.as_str(), "--quiet", "--json"],
        };
        let mut attempt = Attempt::spawn(
            trawl.command(&args),
            logs.path(),
            &format!("pause-{attempt_number}"),
        );
        // Until enough kills landed, interrupt early enough that the run
        // cannot finish first: each attempt gets at most a share of the
        // time the pages still left need, so progress measured on the store
        // (not the machine's speed when `full` was timed) sets the pace.
        // The fixed 30 ms cover start-up, which crawls nothing.
        let remaining = (1.0 - done as f64 / total_pages).clamp(0.0, 1.0);
        let share = if kills_in_pause < MIN_PAUSE_KILLS {
            remaining / f64::from(2 * (MIN_PAUSE_KILLS - kills_in_pause) + 2)
        } else {
            1.5
        };
        let delay = full.mul_f64(share * rng.random::<f64>()) + Duration::from_millis(30);
        if let Some(status) = attempt.wait_for(delay) {
            let stdout = attempt.read_stdout();
            assert!(
                status.success(),
                "{status}\n{stdout}\n{}",
                attempt.read_stderr()
            );
            break serde_json::from_str::<Value>(&stdout).unwrap();
        }
        let pid = i32::try_from(attempt.child.id()).unwrap();
        // SAFETY: plain kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let grace = Duration::from_micros(rng.random_range(0..20_000));
        match attempt.wait_for(grace).or_else(|| attempt.kill()) {
            None => kills_in_pause += 1,
            // The run ended on its own just as the signal came.
            Some(status) if status.success() => {
                break serde_json::from_str::<Value>(&attempt.read_stdout()).unwrap();
            }
            // Ctrl-C came before the process installed its handler (a
            // loaded machine can take longer than the 30 ms to start): the
            // default action ended it, like a kill. Not a pause; go on.
            Some(status) if status.signal() == Some(libc::SIGINT) => {}
            Some(status) => {
                // The stop finished before the kill: Ctrl-C's exit code, 130.
                assert_eq!(status.code(), Some(130), "{}", attempt.read_stderr());
                clean_pauses += 1;
            }
        }
        let stderr = attempt.read_stderr();
        assert!(!stderr.contains("panicked"), "{stderr}");
        let runs = runs(&trawl);
        assert!(runs.len() <= 1, "a restart created a second run: {runs:?}");
        if let Some(run) = runs.first() {
            run_id.get_or_insert_with(|| run["run_id"].to_string());
            done = pages_done(run);
            if run["state"] == "succeeded" {
                // Interrupted after the run ended, while the process was
                // still finishing: nothing is left to resume.
                break run.clone();
            }
        }
    };
    assert_eq!(final_summary["state"], "succeeded", "{final_summary}");
    assert!(
        kills_in_pause >= MIN_PAUSE_KILLS,
        "only {kills_in_pause} kills landed during a pause ({clean_pauses} pauses ended first)"
    );
    let run_id = run_id.unwrap_or_else(|| final_summary["run_id"].to_string());
    assert_exact_dataset(&trawl, &run_id, &catalog, &origin);
    eprintln!(
        "pause chaos: {kills_in_pause} kills during a Ctrl-C pause, {clean_pauses} clean pauses, \
         {attempt_number} attempts; 0 items lost, 0 duplicates"
    );
}
