//! Crawls through the real binary: the demo, `run` + `export` in every format,
//! progress without a terminal, exit codes.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::Value;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};

use super::*;

#[test]
fn demo_crawls_and_exports_without_a_terminal() {
    let trawl = Trawl::default();
    let (stdout, stderr) = trawl.expect(&["demo", "--products", "30"], 0);
    assert!(
        stderr.contains("demo shop serving on http://127.0.0.1:"),
        "{stderr}"
    );
    // Plain progress lines, not a progress bar, when stderr is not a terminal.
    assert!(stderr.contains("pages/s"), "{stderr}");
    assert!(
        !stderr.contains('\r'),
        "progress bar escapes in non-terminal output"
    );
    assert!(stdout.contains("run 1 succeeded"), "{stdout}");
    assert!(stdout.contains("30 items"), "{stdout}");
    let export = trawl.path("exports/demo-run-1.jsonl");
    let lines = std::fs::read_to_string(&export).unwrap();
    assert_eq!(lines.lines().count(), 30);
    let manifest = trawl_export::verify(&export).unwrap();
    assert_eq!(manifest.items, 30);
}

#[test]
fn run_then_export_every_format() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 50,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog.clone()), 1).unwrap();
    let trawl = Trawl::default();
    let spec = trawl.write("shop.toml", &demo_spec(&server.url("")));
    let (stdout, _) = trawl.expect(&["run", str_path(&spec), "--json", "--quiet"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    assert_eq!(summary["items_stored"], 50);
    assert_eq!(summary["run_id"], 1);

    for (file, format_flag) in [
        ("out.jsonl", None),
        ("out.csv", None),
        ("out.parquet", None),
        ("data.txt", Some("csv")),
    ] {
        let path = trawl.path(file);
        let mut args = vec!["export", "1", "-o", str_path(&path), "--json"];
        if let Some(format) = format_flag {
            args.extend(["--format", format]);
        }
        let (stdout, _) = trawl.expect(&args, 0);
        let manifest: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(manifest["items"], 50, "{file}");
        assert_eq!(trawl_export::verify(&path).unwrap().items, 50);
    }
    let csv = std::fs::read_to_string(trawl.path("out.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "_kind,_key,_url,sku,name,price,currency,category,in_stock,stock_count,rating,tags,image,released,description"
    );
    let jsonl = std::fs::File::open(trawl.path("out.jsonl")).unwrap();
    let mut skus: Vec<String> = std::io::BufReader::new(jsonl)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(&line.unwrap()).unwrap()["sku"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    skus.sort();
    let mut expected: Vec<String> = catalog
        .expected_products()
        .into_iter()
        .map(|p| p.sku)
        .collect();
    expected.sort();
    assert_eq!(skus, expected);

    // An unknown extension needs --format.
    let (_, stderr) = trawl.expect(&["export", "1", "-o", str_path(&trawl.path("out.xlsx"))], 1);
    assert!(stderr.contains("--format"), "{stderr}");

    // runs and items read the same store.
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs[0]["items_stored"], 50);
    let (stdout, _) = trawl.expect(&["items", "1", "--json", "--limit", "3"], 0);
    assert_eq!(stdout.lines().count(), 3);
}

#[test]
fn sinks_in_the_spec_export_when_the_run_succeeds() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 12,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog), 1).unwrap();
    let trawl = Trawl::default();
    let spec = format!(
        "{}\n[[sinks]]\ntype = \"csv\"\npath = \"out/products.csv\"\n",
        demo_spec(&server.url(""))
    );
    let spec = trawl.write("shop.toml", &spec);
    let (stdout, _) = trawl.expect(&["run", str_path(&spec)], 0);
    assert!(stdout.contains("exported:"), "{stdout}");
    let csv_path = trawl.path("out/products.csv");
    assert_eq!(trawl_export::verify(&csv_path).unwrap().items, 12);
}

#[test]
fn unreachable_site_exits_1_with_the_reason() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let trawl = Trawl::default();
    let spec = trawl.write(
        "down.toml",
        &format!("start_urls = [\"http://127.0.0.1:{port}/\"]\n[request]\nretries = 0\n[[extract]]\nfields.title = \"title\"\n"),
    );
    let (stdout, _) = trawl.expect(&["run", str_path(&spec)], 1);
    assert!(stdout.contains("failed"), "{stdout}");
    assert!(stdout.contains("no page could be fetched"), "{stdout}");
}

/// Ctrl-C goes through the engine: the first SIGINT stops intake, commits
/// finished pages and leaves the run `interrupted` (exit 130); `trawl resume`
/// then finishes it with every product exactly once.
#[test]
fn first_ctrl_c_interrupts_and_resume_finishes_the_run() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 120,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog.clone()), 1).unwrap();
    let trawl = Trawl::default();
    // Rate-limited so the signal lands mid-crawl.
    let spec = trawl.write(
        "shop.toml",
        &format!(
            "{}\n[politeness]\nconcurrency = 4\nper_host_concurrency = 4\nper_host_rate = 40.0\n",
            demo_spec(&server.url(""))
        ),
    );
    let child = trawl
        .command(&["run", str_path(&spec), "--quiet", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Ctrl-C, sent to the child this test spawned (kill(1) keeps the test free of unsafe).
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "interrupted", "{summary}");
    let pages_before = summary["pages_ok"].as_u64().unwrap();
    assert!(pages_before > 0, "{summary}");

    let (stdout, _) = trawl.expect(&["resume", "1", "--quiet", "--json"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded", "{summary}");
    assert_eq!(summary["items_stored"], 120, "{summary}");
    assert_eq!(summary["items_duplicate"], 0, "{summary}");
    let polite_pages = catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len();
    assert_eq!(summary["pages_ok"].as_u64().unwrap() as usize, polite_pages);
}
