//! The memory ceiling, end to end: a crawl of a shop with 1 MiB pages at
//! concurrency 64 needs far more memory than the ceiling allows; with
//! `--memory-limit` it slows its intake and its peak resident memory stays
//! under the ceiling, with the same exact dataset.

use std::sync::Arc;

use serde_json::Value;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};

use super::*;

const MIB: u64 = 1024 * 1024;
const CEILING_MIB: u64 = 96;

fn crawl_with_limit(spec: &Path, limit: &str) -> Value {
    let trawl = Trawl::default();
    let (stdout, stderr) = trawl.expect(
        &[
            "run",
            str_path(spec),
            "--quiet",
            "--json",
            "--memory-limit",
            limit,
        ],
        0,
    );
    let summary: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}\n{stderr}"));
    assert_eq!(summary["state"], "succeeded", "{summary}");
    summary
}

#[test]
fn a_run_under_a_memory_ceiling_stays_under_it_with_the_same_dataset() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 120,
        target_page_bytes: MIB as usize,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog.clone()), 2).unwrap();
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("big.toml");
    std::fs::write(
        &spec,
        format!(
            "{}\n[politeness]\nconcurrency = 64\nper_host_concurrency = 64\n",
            demo_spec(&server.url(""))
        ),
    )
    .unwrap();

    let unlimited = crawl_with_limit(&spec, "none");
    let limited = crawl_with_limit(&spec, &format!("{CEILING_MIB}MiB"));
    let peak = |summary: &Value| summary["usage"]["peak_rss_bytes"].as_u64().unwrap();
    eprintln!(
        "peak RSS without a ceiling {} MiB, with a {CEILING_MIB} MiB ceiling {} MiB",
        peak(&unlimited) / MIB,
        peak(&limited) / MIB
    );
    assert!(
        peak(&unlimited) > CEILING_MIB * MIB,
        "without a ceiling the crawl peaked at {} MiB: the ceiling would not matter, make pages bigger",
        peak(&unlimited) / MIB
    );
    assert!(
        peak(&limited) < CEILING_MIB * MIB,
        "peak {} MiB over the {CEILING_MIB} MiB ceiling",
        peak(&limited) / MIB
    );
    let expected = catalog.expected_products().len() as u64;
    for summary in [&unlimited, &limited] {
        assert_eq!(
            summary["items_stored"].as_u64(),
            Some(expected),
            "{summary}"
        );
        assert_eq!(summary["items_duplicate"].as_u64(), Some(0));
    }
}
