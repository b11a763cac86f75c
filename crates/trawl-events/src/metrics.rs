//! The Prometheus summary of the bus: counters, gauges and histograms
//! updated as each event is published, rendered in the OpenMetrics text
//! format for `/metrics`.
//!
//! Labels are bounded on purpose. `run` keeps the [`MAX_RUN_LABELS`] most
//! recent runs (an older run's series are removed when a newer one appears,
//! so a server that runs a schedule for a year does not grow without
//! bound); `host` keeps the first [`MAX_HOST_LABELS`] hosts and folds the
//! rest into `other`; `status` is a class (`2xx`, ...), `kind` a fixed set
//! whose series all exist from the start, at 0.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use trawl_types::{RunId, RunState};

use crate::bus::Envelope;
use crate::event::{Event, EventKind, ResourceSample};

/// Runs that keep their own series.
pub const MAX_RUN_LABELS: usize = 16;
/// Distinct hosts with their own series; later ones are `other`.
pub const MAX_HOST_LABELS: usize = 64;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    run: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    run: String,
    host: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    run: String,
    host: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    run: String,
    host: String,
    kind: String,
}

fn duration_histogram() -> Histogram {
    // 5 ms .. ~41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// The series families; see the module documentation for the labels.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// The `events` family's series of each kind, indexed like [`EventKind::ALL`].
    events_by_kind: Vec<Counter>,
    events_lagged: Counter,
    run_state_changes: Family<StateLabels, Counter>,
    runs_running: Gauge,
    requests: Family<RequestLabels, Counter>,
    request_errors: Family<ErrorLabels, Counter>,
    request_duration: Family<HostLabels, Histogram, fn() -> Histogram>,
    response_bytes: Family<HostLabels, Counter>,
    retries: Family<HostLabels, Counter>,
    items_extracted: Family<RunLabels, Counter>,
    items_dropped: Family<RunLabels, Counter>,
    items_stored: Family<RunLabels, Counter>,
    checkpoint_duration: Histogram,
    process_rss: Gauge,
    process_cpu: Gauge<f64, AtomicU64>,
    open_sockets: Gauge,
    store_size: Gauge,
    labels: Mutex<LabelBook>,
}

/// Which label values exist, to bound them and to remove an old run's series.
#[derive(Debug, Default)]
struct LabelBook {
    hosts: HashSet<String>,
    /// Runs with series, oldest first.
    runs: VecDeque<RunId>,
    series: HashMap<RunId, RunSeries>,
    running: HashSet<RunId>,
}

/// One run's series, and handles to them: a family lookup builds and hashes
/// a label set of owned strings under the family's lock, and this runs for
/// several events of every page, so each series is looked up once and then
/// updated through its handle (a shared atomic, or the histogram's own lock).
#[derive(Debug)]
struct RunSeries {
    /// The `run` label value.
    run: String,
    /// By `host` label value.
    hosts: HashMap<String, HostSeries>,
    errors: HashSet<ErrorLabels>,
    items_extracted: Option<Counter>,
    items_dropped: Option<Counter>,
    items_stored: Option<Counter>,
}

impl RunSeries {
    fn labels(&self) -> RunLabels {
        RunLabels {
            run: self.run.clone(),
        }
    }
}

/// A (`run`, `host`) pair's series, each created when first needed so that
/// the exposition lists only series that have happened.
#[derive(Debug)]
struct HostSeries {
    labels: HostLabels,
    /// `requests` by status class (`status / 100`).
    requests: Vec<(u16, Counter)>,
    response_bytes: Option<Counter>,
    request_duration: Option<Histogram>,
    retries: Option<Counter>,
}

impl HostSeries {
    fn requests(&mut self, family: &Family<RequestLabels, Counter>, status: u16) -> &Counter {
        let class = status / 100;
        let position = match self.requests.iter().position(|(seen, _)| *seen == class) {
            Some(position) => position,
            None => {
                let labels = self.request_labels(class);
                self.requests
                    .push((class, family.get_or_create_owned(&labels)));
                self.requests.len() - 1
            }
        };
        &self.requests[position].1
    }

    fn request_labels(&self, class: u16) -> RequestLabels {
        RequestLabels {
            run: self.labels.run.clone(),
            host: self.labels.host.clone(),
            status: format!("{class}xx"),
        }
    }
}

/// A handle from `slot`, looking the series up in `family` the first time.
fn handle<'a, S, M, C>(slot: &'a mut Option<M>, family: &Family<S, M, C>, labels: &S) -> &'a M
where
    S: Clone + std::hash::Hash + Eq,
    M: Clone,
    C: prometheus_client::metrics::family::MetricConstructor<M>,
{
    slot.get_or_insert_with(|| family.get_or_create_owned(labels))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let events = Family::<KindLabels, Counter>::default();
        registry.register(
            "trawl_events",
            "Events published on the bus, by kind",
            events.clone(),
        );
        let events_lagged = Counter::default();
        registry.register(
            "trawl_events_lagged",
            "Events slow subscribers lost (the engine never waits for them)",
            events_lagged.clone(),
        );
        let run_state_changes = Family::<StateLabels, Counter>::default();
        registry.register(
            "trawl_run_state_changes",
            "Run lifecycle transitions, by the state entered",
            run_state_changes.clone(),
        );
        let runs_running = Gauge::default();
        registry.register(
            "trawl_runs_running",
            "Runs crawling now",
            runs_running.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "trawl_requests",
            "Responses received, by run, host and status class",
            requests.clone(),
        );
        let request_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "trawl_request_errors",
            "Pages that ended in an error, by run, host and error kind",
            request_errors.clone(),
        );
        let request_duration =
            Family::<HostLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                duration_histogram,
            );
        registry.register_with_unit(
            "trawl_request_duration",
            "Time from request start to the end of the body",
            Unit::Seconds,
            request_duration.clone(),
        );
        let response_bytes = Family::<HostLabels, Counter>::default();
        registry.register_with_unit(
            "trawl_response",
            "Body bytes received (after decompression)",
            Unit::Bytes,
            response_bytes.clone(),
        );
        let retries = Family::<HostLabels, Counter>::default();
        registry.register("trawl_retries", "Requests retried", retries.clone());
        let items_extracted = Family::<RunLabels, Counter>::default();
        registry.register(
            "trawl_items_extracted",
            "Items extracted from pages",
            items_extracted.clone(),
        );
        let items_dropped = Family::<RunLabels, Counter>::default();
        registry.register(
            "trawl_items_dropped",
            "Items dropped by extraction (missing required field or key)",
            items_dropped.clone(),
        );
        let items_stored = Family::<RunLabels, Counter>::default();
        registry.register(
            "trawl_items_stored",
            "Items committed to the store (duplicates of a key excluded)",
            items_stored.clone(),
        );
        let checkpoint_duration = duration_histogram();
        registry.register_with_unit(
            "trawl_checkpoint_duration",
            "Time of one checkpoint transaction",
            Unit::Seconds,
            checkpoint_duration.clone(),
        );
        let process_rss = Gauge::default();
        registry.register_with_unit(
            "trawl_process_resident_memory",
            "Resident memory of the trawl process at the last sample",
            Unit::Bytes,
            process_rss.clone(),
        );
        let process_cpu = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "trawl_process_cpu_percent",
            "CPU use of the trawl process at the last sample (100 = one core)",
            process_cpu.clone(),
        );
        let open_sockets = Gauge::default();
        registry.register(
            "trawl_open_sockets",
            "Sockets the trawl process has open",
            open_sockets.clone(),
        );
        let store_size = Gauge::default();
        registry.register_with_unit(
            "trawl_store_size",
            "Size of the store file and its write-ahead log",
            Unit::Bytes,
            store_size.clone(),
        );
        let events_by_kind = EventKind::ALL
            .iter()
            .map(|kind| {
                events.get_or_create_owned(&KindLabels {
                    kind: kind.as_str().to_owned(),
                })
            })
            .collect();
        Metrics {
            registry,
            events_by_kind,
            events_lagged,
            run_state_changes,
            runs_running,
            requests,
            request_errors,
            request_duration,
            response_bytes,
            retries,
            items_extracted,
            items_dropped,
            items_stored,
            checkpoint_duration,
            process_rss,
            process_cpu,
            open_sockets,
            store_size,
            labels: Mutex::default(),
        }
    }
}

impl Metrics {
    /// The exposition text (OpenMetrics; see [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    pub(crate) fn lagged_counter(&self) -> Counter {
        self.events_lagged.clone()
    }

    pub(crate) fn lagged(&self) -> u64 {
        self.events_lagged.get()
    }

    /// Updates the series an event touches.
    pub(crate) fn observe(&self, envelope: &Envelope) {
        let event = &envelope.event;
        // `EventKind::ALL` lists the kinds in declaration order.
        if let Some(counter) = self.events_by_kind.get(event.kind() as usize) {
            counter.inc();
        }
        let run_id = envelope.run_id;
        match event {
            Event::RunStateChanged { from, to, .. } => {
                self.run_state_changes
                    .get_or_create(&StateLabels {
                        state: to.as_str().to_owned(),
                    })
                    .inc();
                let mut book = self.book();
                if *to == RunState::Running && book.running.insert(run_id) {
                    self.runs_running.inc();
                }
                if *from == RunState::Running && book.running.remove(&run_id) {
                    self.runs_running.dec();
                }
            }
            Event::RequestFetched {
                url,
                status,
                bytes,
                elapsed_millis,
                outcome,
                ..
            } => {
                let mut book = self.book();
                let host = self.host_series(&mut book, run_id, url);
                host.requests(&self.requests, *status).inc();
                handle(&mut host.response_bytes, &self.response_bytes, &host.labels).inc_by(*bytes);
                handle(
                    &mut host.request_duration,
                    &self.request_duration,
                    &host.labels,
                )
                .observe(*elapsed_millis as f64 / 1000.0);
                if outcome != "ok" && outcome != "not_html" {
                    let labels = host.labels.clone();
                    self.count_error(&mut book, run_id, labels, outcome);
                }
            }
            Event::RequestFailed {
                url,
                outcome,
                elapsed_millis,
                ..
            } => {
                let mut book = self.book();
                let host = self.host_series(&mut book, run_id, url);
                if let Some(elapsed_millis) = elapsed_millis {
                    handle(
                        &mut host.request_duration,
                        &self.request_duration,
                        &host.labels,
                    )
                    .observe(*elapsed_millis as f64 / 1000.0);
                }
                let labels = host.labels.clone();
                self.count_error(&mut book, run_id, labels, outcome);
            }
            Event::RequestRetried { url, .. } => {
                let mut book = self.book();
                let host = self.host_series(&mut book, run_id, url);
                handle(&mut host.retries, &self.retries, &host.labels).inc();
            }
            Event::PageExtracted {
                items,
                items_dropped,
                ..
            } => {
                let mut book = self.book();
                let run = self.run_series(&mut book, run_id);
                let labels = run.labels();
                handle(&mut run.items_extracted, &self.items_extracted, &labels)
                    .inc_by(u64::from(*items));
                handle(&mut run.items_dropped, &self.items_dropped, &labels)
                    .inc_by(u64::from(*items_dropped));
            }
            Event::CheckpointCommitted {
                items_inserted,
                elapsed_millis,
                ..
            } => {
                let mut book = self.book();
                let run = self.run_series(&mut book, run_id);
                let labels = run.labels();
                handle(&mut run.items_stored, &self.items_stored, &labels).inc_by(*items_inserted);
                self.checkpoint_duration
                    .observe(*elapsed_millis as f64 / 1000.0);
            }
            _ => {}
        }
    }

    /// Sets the resource gauges from the sampler's latest reading.
    pub fn record_sample(&self, sample: &ResourceSample) {
        self.process_rss.set(gauge_value(sample.process_rss_bytes));
        self.process_cpu.set(sample.process_cpu_percent);
        self.open_sockets.set(gauge_value(sample.open_sockets));
        self.store_size.set(gauge_value(sample.store_bytes));
    }

    fn count_error(&self, book: &mut LabelBook, run_id: RunId, host: HostLabels, kind: &str) {
        let labels = ErrorLabels {
            run: host.run,
            host: host.host,
            kind: kind.to_owned(),
        };
        self.request_errors.get_or_create(&labels).inc();
        self.run_series(book, run_id).errors.insert(labels);
    }

    fn book(&self) -> std::sync::MutexGuard<'_, LabelBook> {
        self.labels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A run's series, making room for it if it is new.
    fn run_series<'b>(&self, book: &'b mut LabelBook, run_id: RunId) -> &'b mut RunSeries {
        if !book.series.contains_key(&run_id) {
            if book.runs.len() >= MAX_RUN_LABELS {
                // The oldest run that is not crawling (or the oldest at all).
                let position = book
                    .runs
                    .iter()
                    .position(|run| !book.running.contains(run))
                    .unwrap_or(0);
                if let Some(evicted) = book.runs.remove(position)
                    && let Some(series) = book.series.remove(&evicted)
                {
                    self.remove_series(&series);
                }
            }
            book.runs.push_back(run_id);
        }
        book.series.entry(run_id).or_insert_with(|| RunSeries {
            run: run_id.to_string(),
            hosts: HashMap::new(),
            errors: HashSet::new(),
            items_extracted: None,
            items_dropped: None,
            items_stored: None,
        })
    }

    fn remove_series(&self, series: &RunSeries) {
        for host in series.hosts.values() {
            for &(class, _) in &host.requests {
                self.requests.remove(&host.request_labels(class));
            }
            self.request_duration.remove(&host.labels);
            self.response_bytes.remove(&host.labels);
            self.retries.remove(&host.labels);
        }
        for labels in &series.errors {
            self.request_errors.remove(labels);
        }
        let run = series.labels();
        self.items_extracted.remove(&run);
        self.items_dropped.remove(&run);
        self.items_stored.remove(&run);
    }

    /// The series of a request URL's (`run`, `host`) pair.
    fn host_series<'b>(
        &self,
        book: &'b mut LabelBook,
        run_id: RunId,
        url: &str,
    ) -> &'b mut HostSeries {
        let found = host_of(url);
        let host = if book.hosts.contains(found) {
            found
        } else if book.hosts.len() < MAX_HOST_LABELS && !found.is_empty() {
            book.hosts.insert(found.to_owned());
            found
        } else {
            "other"
        };
        let run = self.run_series(book, run_id);
        if !run.hosts.contains_key(host) {
            let labels = HostLabels {
                run: run.run.clone(),
                host: host.to_owned(),
            };
            run.hosts.insert(
                host.to_owned(),
                HostSeries {
                    labels,
                    requests: Vec::new(),
                    response_bytes: None,
                    request_duration: None,
                    retries: None,
                },
            );
        }
        // Inserted just above when it was missing.
        run.hosts.get_mut(host).expect("host series present")
    }
}

/// `host[:port]` of an absolute URL, without parsing all of it (this runs
/// for every response); empty when there is none.
pub fn host_of(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return "";
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    }
}

fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
