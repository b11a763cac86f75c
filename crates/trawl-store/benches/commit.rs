//! Measures the checkpoint hot path: how long the store thread spends per
//! finished page, so a regression shows up as a number before it shows up as a
//! slow crawl. Target: under 15 µs per page (run with `cargo bench -p trawl-store`).
// The figure printed to stdout is this program's whole output.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use serde_json::json;
use trawl_store::{CheckpointBatch, Counters, NewRequest, NewRun, PageDone, Store, StoreError};
use trawl_types::Item;

const PAGE_COUNT: u64 = 20_000;
const BATCH_PAGES: u64 = 256;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let temp_dir = tempfile::tempdir()?;
    let mut store = Store::open(&temp_dir.path().join("bench.db"))?;
    let run_id = store.create_run(&NewRun {
        name: "bench".to_owned(),
        spec_toml: String::new(),
        spec_hash: String::new(),
        spec_path: None,
    })?;
    // Seed page 0; every page then links to two new pages, like a crawl whose
    // frontier keeps growing.
    store.enqueue(run_id, &[request(0)])?;
    let mut next_fingerprint = 1_u64;
    let mut batches = Vec::new();
    let mut page_fingerprint = 0_u64;
    while page_fingerprint < PAGE_COUNT {
        let batch_end = (page_fingerprint + BATCH_PAGES).min(PAGE_COUNT);
        let pages = (page_fingerprint..batch_end)
            .map(|fingerprint| {
                let links = vec![request(next_fingerprint), request(next_fingerprint + 1)];
                next_fingerprint += 2;
                PageDone {
                    fingerprint: request(fingerprint).fingerprint,
                    status: Some(200),
                    outcome: "ok".to_owned(),
                    error: None,
                    items: vec![book_item(fingerprint)],
                    links,
                    events: Vec::new(),
                }
            })
            .collect();
        batches.push(CheckpointBatch {
            pages,
            counters: Counters {
                pages_ok: batch_end - page_fingerprint,
                ..Counters::default()
            },
            events: Vec::new(),
        });
        page_fingerprint = batch_end;
    }

    let cpu_started_nanos = thread_cpu_nanos();
    let started = Instant::now();
    for batch in &batches {
        store.commit(run_id, batch)?;
    }
    let elapsed = started.elapsed();
    let cpu_nanos = thread_cpu_nanos()
        .zip(cpu_started_nanos)
        .map(|(end, start)| end.saturating_sub(start));
    check_result(&store, run_id)?;
    let wall_micros_per_page = elapsed.as_secs_f64() * 1e6 / PAGE_COUNT as f64;
    println!(
        "commit: {PAGE_COUNT} pages in batches of {BATCH_PAGES} (1 item, 2 links each): \
         wall {:.1} ms = {wall_micros_per_page:.2} µs/page",
        elapsed.as_secs_f64() * 1e3
    );
    if let Some(cpu_nanos) = cpu_nanos {
        // Wall time includes fsync waits and, on a shared machine, time when
        // other processes had the core; on-CPU time is what the store thread
        // costs the engine.
        println!(
            "commit: on-cpu {:.1} ms = {:.2} µs/page",
            cpu_nanos as f64 / 1e6,
            cpu_nanos as f64 / 1e3 / PAGE_COUNT as f64
        );
    }
    Ok(())
}

/// Nanoseconds this thread has run on a CPU, from Linux's schedstat; `None`
/// elsewhere. Read from /proc so the bench needs no unsafe FFI.
fn thread_cpu_nanos() -> Option<u64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

fn request(fingerprint: u64) -> NewRequest {
    NewRequest {
        // Spread fingerprints over the whole u64 range like real hashes do.
        fingerprint: fingerprint.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        url: format!("http://127.0.0.1:8080/catalogue/page-{fingerprint}.html"),
        depth: 1,
    }
}

fn book_item(index: u64) -> Item {
    let serde_json::Value::Object(fields) = json!({
        "title": format!("A Light in the Attic, volume {index}"),
        "price": 51.77,
        "in_stock": true,
        "rating": 3,
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    Item {
        kind: "book".to_owned(),
        key: Some(format!("book-{index}")),
        url: format!("http://127.0.0.1:8080/catalogue/page-{index}.html"),
        fields,
    }
}

/// Makes sure the measured work really happened.
fn check_result(store: &Store, run_id: trawl_types::RunId) -> Result<(), StoreError> {
    let items = store.item_count(run_id)?;
    let counts = store.frontier_counts(run_id)?;
    if items != PAGE_COUNT || counts.done != PAGE_COUNT {
        return Err(StoreError::Corrupt {
            what: "benchmark result",
            detail: format!("{items} items and {} done pages", counts.done),
        });
    }
    Ok(())
}
