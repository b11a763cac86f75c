//! Run statistics computed from a run's event log: pages by status, errors
//! by kind, bytes, items, retries, latency percentiles, pages per second over
//! time and a per-host breakdown (what `trawl stats RUN` shows).
//!
//! They are derived, never stored: the event log is the record, so the
//! figures always agree with `trawl events` and survive crashes exactly as
//! the events do.

use std::collections::{BTreeMap, HashMap};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::bus::Envelope;
use crate::event::{Event, EventKind};
use crate::metrics::host_of;

/// Most points of [`RunStats::timeline`]; longer runs get wider buckets.
pub const MAX_TIMELINE_POINTS: usize = 120;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunStats {
    /// Pages finished (fetched, failed or skipped).
    pub pages: u64,
    /// Pages whose outcome is `ok` (or `not_html`).
    pub pages_ok: u64,
    pub pages_failed: u64,
    pub pages_skipped: u64,
    pub status_codes: BTreeMap<u16, u64>,
    /// Outcome of every page that was not ok (`http_404`, `timeout_total`,
    /// `robots_denied`, ...).
    pub errors_by_kind: BTreeMap<String, u64>,
    pub bytes: u64,
    pub items_extracted: u64,
    pub items_dropped: u64,
    pub items_stored: u64,
    pub items_duplicate: u64,
    pub retries: u64,
    pub warnings: u64,
    pub latency: Latency,
    /// First and last counted event (unix milliseconds).
    pub first_event_at_millis: Option<i64>,
    pub last_event_at_millis: Option<i64>,
    /// Pages finished per second, in buckets of `timeline_bucket_secs`.
    pub timeline_bucket_secs: u64,
    pub timeline: Vec<TimelinePoint>,
    /// Busiest hosts first.
    pub hosts: Vec<HostStats>,
}

/// Latency of fetched responses (milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub mean_millis: f64,
    pub p50_millis: u64,
    pub p90_millis: u64,
    pub p99_millis: u64,
    pub max_millis: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the run's first event, at the start of the bucket.
    pub offset_secs: u64,
    pub pages_per_sec: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostStats {
    pub host: String,
    pub pages: u64,
    pub errors: u64,
    pub bytes: u64,
    pub retries: u64,
    pub latency: Latency,
}

/// Collects events one at a time (a run's log may be long: nothing but the
/// latencies and finish times is kept per page).
#[derive(Debug, Default)]
pub struct StatsBuilder {
    stats: RunStats,
    latencies: Vec<u64>,
    finished_at: Vec<i64>,
    hosts: HashMap<String, HostBuilder>,
}

#[derive(Debug, Default)]
struct HostBuilder {
    stats: HostStats,
    latencies: Vec<u64>,
}

impl StatsBuilder {
    /// The kinds [`StatsBuilder::add`] counts; it ignores every other.
    pub const KINDS: [EventKind; 6] = [
        EventKind::RequestFetched,
        EventKind::RequestFailed,
        EventKind::RequestSkipped,
        EventKind::RequestRetried,
        EventKind::PageExtracted,
        EventKind::CheckpointCommitted,
    ];

    pub fn add(&mut self, envelope: &Envelope) {
        // Other kinds are ignored entirely, so statistics of a whole log
        // equal those of its counted kinds alone (what `run_stats` reads).
        let counted = match &envelope.event {
            Event::RequestFetched {
                url,
                status,
                bytes,
                elapsed_millis,
                outcome,
                ..
            } => Counted::Fetched {
                url,
                status: *status,
                bytes: *bytes,
                elapsed_millis: *elapsed_millis,
                outcome,
            },
            Event::RequestFailed { url, outcome, .. } => Counted::Failed { url, outcome },
            Event::RequestSkipped { url, reason } => Counted::Skipped { url, reason },
            Event::RequestRetried { url, .. } => Counted::Retried { url },
            Event::PageExtracted {
                items,
                items_dropped,
                warnings,
                ..
            } => Counted::Extracted {
                items: *items,
                items_dropped: *items_dropped,
                warnings: *warnings,
            },
            Event::CheckpointCommitted {
                items_inserted,
                items_duplicate,
                ..
            } => Counted::Committed {
                items_inserted: *items_inserted,
                items_duplicate: *items_duplicate,
            },
            _ => return,
        };
        self.count(envelope.at_millis, counted);
    }

    /// Counts a stored event straight from its payload (`kind` from its
    /// column), reading only the fields the statistics need and borrowing
    /// them from the payload: a long run's summary decodes nothing else.
    pub fn add_stored(
        &mut self,
        kind: &str,
        at_millis: i64,
        payload: &str,
    ) -> Result<(), serde_json::Error> {
        let Some(kind) = EventKind::parse(kind).filter(|kind| Self::KINDS.contains(kind)) else {
            return Ok(());
        };
        let stored: StoredCounted<'_> = match kind {
            EventKind::RequestFetched => StoredCounted::Fetched(serde_json::from_str(payload)?),
            EventKind::RequestFailed => StoredCounted::Failed(serde_json::from_str(payload)?),
            EventKind::RequestSkipped => StoredCounted::Skipped(serde_json::from_str(payload)?),
            EventKind::RequestRetried => StoredCounted::Retried(serde_json::from_str(payload)?),
            EventKind::PageExtracted => StoredCounted::Extracted(serde_json::from_str(payload)?),
            _ => StoredCounted::Committed(serde_json::from_str(payload)?),
        };
        let counted = match &stored {
            StoredCounted::Fetched(fetched) => Counted::Fetched {
                url: &fetched.url,
                status: fetched.status,
                bytes: fetched.bytes,
                elapsed_millis: fetched.elapsed_millis,
                outcome: &fetched.outcome,
            },
            StoredCounted::Failed(failed) => Counted::Failed {
                url: &failed.url,
                outcome: &failed.outcome,
            },
            StoredCounted::Skipped(skipped) => Counted::Skipped {
                url: &skipped.url,
                reason: &skipped.reason,
            },
            StoredCounted::Retried(retried) => Counted::Retried { url: &retried.url },
            StoredCounted::Extracted(extracted) => Counted::Extracted {
                items: extracted.items,
                items_dropped: extracted.items_dropped,
                warnings: extracted.warnings,
            },
            StoredCounted::Committed(committed) => Counted::Committed {
                items_inserted: committed.items_inserted,
                items_duplicate: committed.items_duplicate,
            },
        };
        self.count(at_millis, counted);
        Ok(())
    }

    fn count(&mut self, at_millis: i64, counted: Counted<'_>) {
        let stats = &mut self.stats;
        stats.first_event_at_millis.get_or_insert(at_millis);
        stats.last_event_at_millis = Some(
            stats
                .last_event_at_millis
                .map_or(at_millis, |last| last.max(at_millis)),
        );
        match counted {
            Counted::Fetched {
                url,
                status,
                bytes,
                elapsed_millis,
                outcome,
            } => {
                let ok = outcome == "ok" || outcome == "not_html";
                stats.pages += 1;
                *stats.status_codes.entry(status).or_default() += 1;
                stats.bytes += bytes;
                if ok {
                    stats.pages_ok += 1;
                } else {
                    stats.pages_failed += 1;
                    count_kind(&mut stats.errors_by_kind, outcome);
                }
                self.latencies.push(elapsed_millis);
                self.finished_at.push(at_millis);
                let host = self.host(url);
                host.stats.pages += 1;
                host.stats.bytes += bytes;
                host.stats.errors += u64::from(!ok);
                host.latencies.push(elapsed_millis);
            }
            Counted::Failed { url, outcome } => {
                stats.pages += 1;
                stats.pages_failed += 1;
                count_kind(&mut stats.errors_by_kind, outcome);
                self.finished_at.push(at_millis);
                let host = self.host(url);
                host.stats.pages += 1;
                host.stats.errors += 1;
            }
            Counted::Skipped { url, reason } => {
                stats.pages += 1;
                stats.pages_skipped += 1;
                count_kind(&mut stats.errors_by_kind, reason);
                self.finished_at.push(at_millis);
                self.host(url).stats.pages += 1;
            }
            Counted::Retried { url } => {
                stats.retries += 1;
                self.host(url).stats.retries += 1;
            }
            Counted::Extracted {
                items,
                items_dropped,
                warnings,
            } => {
                stats.items_extracted += u64::from(items);
                stats.items_dropped += u64::from(items_dropped);
                stats.warnings += u64::from(warnings);
            }
            Counted::Committed {
                items_inserted,
                items_duplicate,
            } => {
                stats.items_stored += items_inserted;
                stats.items_duplicate += items_duplicate;
            }
        }
    }

    fn host(&mut self, url: &str) -> &mut HostBuilder {
        let host = host_of(url);
        if !self.hosts.contains_key(host) {
            self.hosts.insert(
                host.to_owned(),
                HostBuilder {
                    stats: HostStats {
                        host: host.to_owned(),
                        ..HostStats::default()
                    },
                    latencies: Vec::new(),
                },
            );
        }
        self.hosts
            .get_mut(host)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    pub fn finish(self) -> RunStats {
        let StatsBuilder {
            mut stats,
            latencies,
            finished_at,
            hosts,
        } = self;
        stats.latency = latency(latencies);
        let (bucket_secs, timeline) = timeline(stats.first_event_at_millis, finished_at);
        stats.timeline_bucket_secs = bucket_secs;
        stats.timeline = timeline;
        let mut hosts: Vec<HostStats> = hosts
            .into_values()
            .map(|host| HostStats {
                latency: latency(host.latencies),
                ..host.stats
            })
            .collect();
        hosts.sort_by(|a, b| b.pages.cmp(&a.pages).then_with(|| a.host.cmp(&b.host)));
        stats.hosts = hosts;
        stats
    }
}

impl RunStats {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Envelope>) -> RunStats {
        let mut builder = StatsBuilder::default();
        for envelope in events {
            builder.add(envelope);
        }
        builder.finish()
    }
}

/// What the statistics count of an event, borrowed from it.
enum Counted<'a> {
    Fetched {
        url: &'a str,
        status: u16,
        bytes: u64,
        elapsed_millis: u64,
        outcome: &'a str,
    },
    Failed {
        url: &'a str,
        outcome: &'a str,
    },
    Skipped {
        url: &'a str,
        reason: &'a str,
    },
    Retried {
        url: &'a str,
    },
    Extracted {
        items: u32,
        items_dropped: u32,
        warnings: u32,
    },
    Committed {
        items_inserted: u64,
        items_duplicate: u64,
    },
}

/// The counted fields of a stored payload (other fields are skipped, not
/// decoded). Strings borrow from the payload unless JSON escapes force a copy.
enum StoredCounted<'a> {
    Fetched(StoredFetched<'a>),
    Failed(StoredFailed<'a>),
    Skipped(StoredSkipped<'a>),
    Retried(StoredUrl<'a>),
    Extracted(StoredExtracted),
    Committed(StoredCommitted),
}

#[derive(Deserialize)]
struct StoredFetched<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    status: u16,
    bytes: u64,
    elapsed_millis: u64,
    #[serde(borrow)]
    outcome: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StoredFailed<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow)]
    outcome: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StoredSkipped<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow)]
    reason: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StoredUrl<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StoredExtracted {
    items: u32,
    items_dropped: u32,
    warnings: u32,
}

#[derive(Deserialize)]
struct StoredCommitted {
    items_inserted: u64,
    items_duplicate: u64,
}

fn count_kind(counts: &mut BTreeMap<String, u64>, kind: &str) {
    match counts.get_mut(kind) {
        Some(count) => *count += 1,
        None => {
            counts.insert(kind.to_owned(), 1);
        }
    }
}

/// Nearest-rank percentiles of exact values.
fn latency(mut values: Vec<u64>) -> Latency {
    if values.is_empty() {
        return Latency::default();
    }
    values.sort_unstable();
    let count = values.len();
    let rank = |percent: usize| values[(count * percent).div_ceil(100).clamp(1, count) - 1];
    let sum: u64 = values.iter().sum();
    Latency {
        count: count as u64,
        mean_millis: sum as f64 / count as f64,
        p50_millis: rank(50),
        p90_millis: rank(90),
        p99_millis: rank(99),
        max_millis: values[count - 1],
    }
}

fn timeline(start_millis: Option<i64>, finished_at: Vec<i64>) -> (u64, Vec<TimelinePoint>) {
    let (Some(start), Some(&end)) = (start_millis, finished_at.iter().max()) else {
        return (1, Vec::new());
    };
    let span_secs = u64::try_from((end - start).max(0) / 1000).unwrap_or(0) + 1;
    let bucket_secs = span_secs.div_ceil(MAX_TIMELINE_POINTS as u64).max(1);
    let buckets = usize::try_from(span_secs.div_ceil(bucket_secs))
        .unwrap_or(1)
        .max(1);
    let mut counts = vec![0_u64; buckets];
    for at in finished_at {
        let offset_secs = u64::try_from((at - start).max(0) / 1000).unwrap_or(0);
        let index = usize::try_from(offset_secs / bucket_secs).unwrap_or(0);
        if let Some(count) = counts.get_mut(index.min(buckets - 1)) {
            *count += 1;
        }
    }
    let points = counts
        .into_iter()
        .enumerate()
        .map(|(index, count)| TimelinePoint {
            offset_secs: index as u64 * bucket_secs,
            pages_per_sec: count as f64 / bucket_secs as f64,
        })
        .collect();
    (bucket_secs, points)
}
