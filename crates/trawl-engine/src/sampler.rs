//! The resource sampler: once a second, this process's and the machine's
//! CPU and memory, the process's open sockets and the store's size. Each
//! reading updates the metrics' gauges and, while runs are active, is stored
//! as one sample per active run (`run_samples`), the time series behind the
//! UI's CPU/RAM graphs and `trawl stats`.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use trawl_events::{ResourceSample, now_unix_millis};
use trawl_governor::resources::ResourceSampler;
use trawl_store::SampleRow;
use trawl_types::RunId;

use crate::engine::Shared;
use crate::lock;

/// How often the sampler reads.
pub(crate) const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// Samples until the engine is gone (it holds only a weak reference).
pub(crate) async fn run(shared: Weak<Shared>) {
    let mut sampler = ResourceSampler::default();
    // The first reading only sets the CPU baseline.
    if sampler.sample().is_none() {
        return; // No /proc here: nothing to sample, ever.
    }
    let mut interval = tokio::time::interval(SAMPLE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    interval.tick().await;
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Some(usage) = sampler.sample() else {
            return;
        };
        let sample = ResourceSample {
            at_millis: now_unix_millis(),
            process_cpu_percent: usage.process_cpu_percent,
            system_cpu_percent: usage.system_cpu_percent,
            process_rss_bytes: usage.process_rss_bytes,
            system_memory_used_bytes: usage.system_memory_used_bytes,
            system_memory_total_bytes: usage.system_memory_total_bytes,
            open_sockets: usage.open_sockets,
            store_bytes: store_bytes(shared.store_path()),
        };
        shared.bus().metrics().record_sample(&sample);
        let active: Vec<RunId> = shared.active_runs();
        if active.is_empty() {
            continue;
        }
        let row = SampleRow {
            at_millis: sample.at_millis,
            // A plain struct of numbers always serializes.
            payload: serde_json::to_string(&sample).unwrap_or_default(),
        };
        if let Err(error) = lock(shared.store()).append_samples(&active, &row) {
            // Samples are informative; a full disk shows up in the crawl.
            tracing::debug!(%error, "resource sample not stored");
        }
    }
}

/// The store file plus its write-ahead log.
fn store_bytes(store_path: &Path) -> u64 {
    let mut wal = PathBuf::from(store_path);
    wal.as_mut_os_string().push("-wal");
    [store_path, wal.as_path()]
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}
