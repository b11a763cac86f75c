//! The crawl loop of one run: build the parts from the spec, seed the
//! frontier, dispatch pending requests up to the concurrency limit, and hand
//! finished pages to the store writer until the frontier is empty, the page
//! budget is spent, or the run is cancelled or paused.
//!
//! Every state change goes through [`lifecycle::apply`], and everything the
//! crawl does is an event on its [`RunEmitter`]; a crawl started by the
//! [`crate::Engine`] can also be paused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trawl_extract::Extractor;
use trawl_fetch::{FetchConfig, Fetcher, RetryPolicy};
use trawl_frontier::{Scope, SeenSet};
use trawl_governor::adaptive::RunLimit;
use trawl_governor::pressure::Pressure;
use trawl_governor::{Governor, HostLimits};
use trawl_spec::Spec;
use trawl_store::{Counters, PendingRequest, RunRecord, Store};
use trawl_types::{RunId, RunState};
use url::Url;

use trawl_events::{Event, RunEmitter, ScheduleSource};

use crate::events::PageLog;
use crate::lifecycle::{self, Reason};
use crate::links;
use crate::page::{self, PageContext, RobotsCache};
use crate::progress::Progress;
use crate::source::{Purpose, Recorder, Replayer, Source};
use crate::writer::{Checkpoints, Writer, WriterCommand};
use crate::{EngineError, lock};

/// Sitemap indexes are followed this deep (index → index → sitemap).
const MAX_SITEMAP_DEPTH: u32 = 3;
/// At most this many sitemap files are fetched per run.
const MAX_SITEMAP_FILES: usize = 1_000;

/// What happens to the pages in flight when a run pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseMode {
    /// Let them finish and commit them; the run is `paused` once none is left.
    FinishInFlight,
    /// Abort them at once; they stay `pending` in the store and are fetched
    /// again on resume (like a cancel, but the run stays resumable as paused).
    AbortInFlight,
}

/// An intake stop that is not a cancel: the crawl stops taking requests,
/// handles the ones in flight per `mode`, and rests in `rest_state`
/// (`paused` for a user's pause, `interrupted` for a shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PauseRequest {
    pub(crate) mode: PauseMode,
    pub(crate) rest_state: RunState,
}

/// One run's crawl, ready to start.
pub struct Crawl {
    store: Store,
    run_id: RunId,
    spec: Spec,
    progress: Arc<Progress>,
    cancel: CancellationToken,
    /// Set by the engine; a crawl built with [`Crawl::new`] alone cannot pause.
    pause: Option<watch::Receiver<Option<PauseRequest>>>,
    /// The run's events: state changes, and everything its pages do.
    emitter: RunEmitter,
    /// Concurrency, memory and process-wide request limits (set by the
    /// engine; a standalone crawl gets the spec's concurrency and no more).
    limits: CrawlLimits,
    mode: CrawlMode,
    checkpoints: Checkpoints,
}

/// Where a crawl's responses come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrawlMode {
    /// From the network; with `record_to`, every outcome is also recorded
    /// (WARC) in that folder.
    Live {
        record_to: Option<std::path::PathBuf>,
    },
    /// From the recording in that folder, never the network: one page at a
    /// time, in frontier order, without waiting for rates or back-offs, so
    /// every replay makes the same decisions in the same order.
    Replay { recording: std::path::PathBuf },
}

impl Default for CrawlMode {
    /// Live, not recorded.
    fn default() -> Self {
        CrawlMode::Live { record_to: None }
    }
}

/// What bounds a crawl beyond its spec: shared with its engine.
#[derive(Debug, Clone)]
pub struct CrawlLimits {
    /// The run's adaptive concurrency, moved by the engine's control loop.
    pub run: Arc<RunLimit>,
    /// The process's memory admission (pages reserve memory before starting).
    pub pressure: Arc<Pressure>,
    /// Requests in flight across all runs.
    pub global: Option<Arc<tokio::sync::Semaphore>>,
}

impl CrawlLimits {
    /// The spec's concurrency, no memory ceiling, no process-wide limit.
    pub fn standalone(concurrency: u32) -> CrawlLimits {
        CrawlLimits {
            run: Arc::new(RunLimit::new(concurrency as usize)),
            pressure: Pressure::new(None),
            global: None,
        }
    }
}

/// How a crawl ended.
#[derive(Debug, Clone)]
pub struct CrawlReport {
    pub run_id: RunId,
    pub state: RunState,
    pub elapsed: Duration,
    /// The run as stored after its last checkpoint (durable counters).
    pub record: RunRecord,
}

impl Crawl {
    pub fn new(
        store: Store,
        run_id: RunId,
        spec: Spec,
        progress: Arc<Progress>,
        cancel: CancellationToken,
        emitter: RunEmitter,
    ) -> Crawl {
        let limits = CrawlLimits::standalone(spec.politeness.concurrency);
        Crawl {
            store,
            run_id,
            spec,
            progress,
            cancel,
            pause: None,
            emitter,
            limits,
            mode: CrawlMode::default(),
            checkpoints: Checkpoints::Batched,
        }
    }

    /// Where responses come from: recorded, replayed, or plain live.
    pub fn with_mode(mut self, mode: CrawlMode) -> Crawl {
        if matches!(mode, CrawlMode::Replay { .. }) {
            // One page at a time: the order of decisions is the frontier's.
            self.limits.run = Arc::new(RunLimit::new(1));
        }
        self.mode = mode;
        self
    }

    /// When the crawl's work becomes durable (batched checkpoints unless
    /// told otherwise).
    pub fn with_checkpoints(mut self, checkpoints: Checkpoints) -> Crawl {
        self.checkpoints = checkpoints;
        self
    }

    /// Hooks the crawl up to its engine: pause requests arrive on `pause`,
    /// and the engine's limits bound it (the engine gives a replay a run
    /// limit of one; this crawl shares that limit with the engine's
    /// controller rather than a copy of it).
    pub(crate) fn controlled(
        mut self,
        pause: watch::Receiver<Option<PauseRequest>>,
        limits: CrawlLimits,
    ) -> Crawl {
        self.pause = Some(pause);
        self.limits = limits;
        self
    }

    /// Runs the crawl to its end. With `resume`, the frontier and counters of
    /// an earlier, interrupted attempt are picked up instead of seeding anew.
    ///
    /// Returns the store so callers can export from it.
    pub async fn run(self, resume: bool) -> Result<(Store, CrawlReport), EngineError> {
        let started = Instant::now();
        let Crawl {
            store,
            run_id,
            spec,
            progress,
            cancel,
            pause,
            emitter,
            limits,
            mode,
            checkpoints,
        } = self;
        let before = store.run(run_id)?;
        if resume && before.state.is_terminal() {
            return Err(EngineError::NotResumable {
                run_id,
                state: before.state,
            });
        }
        // Refuse an illegal start (e.g. of a succeeded run) before any work.
        lifecycle::check(run_id, before.state, RunState::Running)?;
        let context = match build_context(
            &spec,
            run_id,
            &mode,
            progress.clone(),
            emitter.clone(),
            &limits,
        ) {
            Ok(context) => Arc::new(context),
            Err(error) => {
                let reason = Reason::Error(error.to_string());
                lifecycle::apply(
                    &store,
                    &emitter,
                    run_id,
                    before.state,
                    RunState::Failed,
                    reason,
                )?;
                return Err(error);
            }
        };
        // Running from here on: seeding fetches sitemaps, which is work.
        lifecycle::apply(
            &store,
            &emitter,
            run_id,
            before.state,
            RunState::Running,
            Reason::Started,
        )?;
        if resume {
            let mut seen = lock(&context.seen);
            store.for_each_fingerprint(run_id, |fingerprint| {
                seen.insert(fingerprint);
            })?;
        } else {
            // Seeding awaits sitemap fetches; the store is not borrowed
            // across them (a `&Store` would make the crawl future `!Send`).
            let mut log = PageLog::new(&emitter, spec.event_log);
            let requests = seed(&spec, &context, &mut log).await;
            store.enqueue(run_id, &requests)?;
            store.append_events(run_id, &log.into_rows())?;
        }
        let counts = store.frontier_counts(run_id)?;
        Progress::set(&progress.queued, counts.pending);
        Progress::set(&progress.pages_ok, before.counters.pages_ok);
        Progress::set(&progress.pages_failed, before.counters.pages_failed);
        Progress::set(&progress.items_stored, before.counters.items_stored);
        // An earlier attempt that aborted its pages never counted them back.
        Progress::set(&progress.in_flight, 0);
        tracing::info!(%run_id, resume, pending = counts.pending, "run started");

        let writer = Writer::start(
            store,
            run_id,
            progress.clone(),
            emitter.clone(),
            checkpoints,
        )
        .map_err(|error| EngineError::Build {
            component: "store writer thread",
            message: error.to_string(),
        })?;
        let pages_before = before.counters.pages_ok + before.counters.pages_failed;
        let dispatch = Dispatch {
            context: context.clone(),
            sender: writer.sender(),
            limit: limits.run.clone(),
            page_budget: match spec.follow.max_pages {
                0 => u64::MAX,
                max_pages => max_pages.saturating_sub(pages_before),
            },
            cancel: cancel.clone(),
            pause,
        };
        let dispatch_result = dispatch.run().await;
        let (store, writer_result) = writer.finish()?;
        // The recording is complete (and synced) before the run's state says so.
        let unrecorded = context.source.finish();
        if unrecorded > 0 {
            let warning = emitter.emit(Event::WarningRaised {
                url: None,
                warning: "recording_incomplete".to_owned(),
                message: format!(
                    "{unrecorded} fetches could not be recorded; a replay will miss them"
                ),
            });
            store.append_events(run_id, &[crate::events::event_row(&warning)])?;
        }
        Progress::set(&progress.in_flight, 0);

        let state = match (&dispatch_result, &writer_result) {
            (_, Err(_)) | (Err(_), _) => RunState::Failed,
            _ if cancel.is_cancelled() => RunState::Cancelled,
            (Ok(Ended::Paused(request)), _) => request.rest_state,
            _ => {
                let record = store.run(run_id)?;
                if record.counters.pages_ok == 0 && record.counters.pages_failed > 0 {
                    RunState::Failed
                } else {
                    RunState::Succeeded
                }
            }
        };
        let error_message = match (&dispatch_result, &writer_result) {
            (_, Err(error)) => Some(format!("store: {error}")),
            (Err(error), _) => Some(error.to_string()),
            _ if state == RunState::Failed => Some("no page could be fetched".to_owned()),
            _ => None,
        };
        let reason = match (state, error_message) {
            (_, Some(message)) => Reason::Error(message),
            (RunState::Cancelled, None) => Reason::CancelRequested,
            (RunState::Paused, None) => Reason::PauseRequested,
            (RunState::Interrupted, None) => Reason::Shutdown,
            (_, None) => Reason::Completed,
        };
        lifecycle::apply(&store, &emitter, run_id, RunState::Running, state, reason)?;
        if let Err(error) = writer_result {
            return Err(EngineError::Store(error));
        }
        let record = store.run(run_id)?;
        tracing::info!(%run_id, %state, pages_ok = record.counters.pages_ok, items = record.counters.items_stored, "run finished");
        let report = CrawlReport {
            run_id,
            state,
            elapsed: started.elapsed(),
            record,
        };
        Ok((store, report))
    }
}

/// Builds the running parts from the validated spec (vector's `Config::build`).
fn build_context(
    spec: &Spec,
    run_id: RunId,
    mode: &CrawlMode,
    progress: Arc<Progress>,
    emitter: RunEmitter,
    limits: &CrawlLimits,
) -> Result<PageContext, EngineError> {
    let build_error = |component: &'static str| {
        move |error: &dyn std::fmt::Display| EngineError::Build {
            component,
            message: error.to_string(),
        }
    };
    let source = match mode {
        CrawlMode::Replay { recording } => Source::Replay(
            Replayer::open(recording, &spec.request.user_agent)
                .map_err(|error| build_error("replay")(&error))?,
        ),
        CrawlMode::Live { record_to } => {
            let fetch_config =
                fetch_config(spec).map_err(|error| build_error("request headers")(&error))?;
            let fetcher =
                Fetcher::new(fetch_config).map_err(|error| build_error("fetcher")(&error))?;
            let recorder = record_to
                .as_ref()
                .map(|dir| Recorder::start(dir.clone(), &run_id.to_string(), fetcher.user_agent()))
                .transpose()
                .map_err(|error| build_error("recording")(&error))?;
            Source::Live { fetcher, recorder }
        }
    };
    let replay = source.is_replay();
    let extractor = Extractor::build(spec).map_err(|error| build_error("extractor")(&error))?;
    let scope = Scope::build(spec).map_err(|error| build_error("link scope")(&error))?;
    let politeness = &spec.politeness;
    Ok(PageContext {
        source,
        retry: RetryPolicy::from_spec(&spec.request),
        extractor,
        scope,
        sort_query: spec.follow.sort_query,
        obey_robots: politeness.obey_robots,
        governor: {
            // A replay talks to no host: no rate to keep.
            let rate = if replay {
                0.0
            } else {
                politeness.per_host_rate
            };
            let governor = Governor::new(HostLimits::from_rate(
                politeness.per_host_concurrency,
                rate,
                politeness.per_host_burst,
            ));
            match &limits.global {
                Some(global) => governor.with_global(global.clone()),
                None => governor,
            }
        },
        pressure: limits.pressure.clone(),
        robots: RobotsCache::default(),
        seen: Mutex::new(SeenSet::new()),
        link_memo: Mutex::default(),
        progress,
        emitter,
        event_log: spec.event_log,
    })
}

/// The fetcher's settings: the spec's `[request]` table, with the idle
/// connection pool sized to the per-host concurrency. A smaller pool closes
/// the connections beyond it whenever more are idle at once (a burst of
/// pages finished, the next not started yet) and reopens them after: at 64
/// per host against the default pool of 32, the bench crawl opened a
/// connection per 7 pages (2,976 for 20,852; 64 with the pool sized), and
/// over TLS each one is a handshake.
fn fetch_config(spec: &Spec) -> Result<FetchConfig, trawl_spec::HeaderError> {
    let mut config = FetchConfig::from_spec(&spec.request)?;
    let per_host = usize::try_from(spec.politeness.per_host_concurrency).unwrap_or(usize::MAX);
    config.pool_max_idle_per_host = config.pool_max_idle_per_host.max(per_host);
    Ok(config)
}

/// The start URLs and the sitemaps' URLs that seed a fresh frontier; each
/// is a `request_scheduled` event in `log`, each problem a warning.
async fn seed(
    spec: &Spec,
    context: &PageContext,
    log: &mut PageLog<'_>,
) -> Vec<trawl_store::NewRequest> {
    let warn = |log: &mut PageLog<'_>, url: &str, warning: &str, message: String| {
        tracing::warn!(%url, "{message}");
        log.emit(Event::WarningRaised {
            url: Some(url.to_owned()),
            warning: warning.to_owned(),
            message,
        });
    };
    let start_urls: Vec<Url> = spec
        .start_urls
        .iter()
        .filter_map(|start_url| match Url::parse(start_url) {
            Ok(url) => Some(url),
            Err(error) => {
                warn(
                    log,
                    start_url,
                    "bad_start_url",
                    format!("start url skipped: {error}"),
                );
                None
            }
        })
        .collect();
    let mut requests = links::admit_urls(context, start_urls.iter(), 0);
    schedule_events(log, &requests, ScheduleSource::StartUrl);
    let mut sitemap_queue: VecDeque<(String, u32)> = spec
        .sitemaps
        .iter()
        .map(|sitemap| (sitemap.clone(), 0))
        .collect();
    let mut sitemap_files = 0;
    while let Some((sitemap_url, level)) = sitemap_queue.pop_front() {
        if sitemap_files >= MAX_SITEMAP_FILES {
            let message = format!("sitemap limit of {MAX_SITEMAP_FILES} files reached");
            warn(log, &sitemap_url, "too_many_sitemaps", message);
            break;
        }
        sitemap_files += 1;
        let Ok(url) = Url::parse(&sitemap_url) else {
            warn(
                log,
                &sitemap_url,
                "bad_sitemap",
                "sitemap url does not parse".to_owned(),
            );
            continue;
        };
        let response = match context.source.fetch(&url, 0, Purpose::Sitemap).await.0 {
            Ok(response) if response.status == 200 => response,
            Ok(response) => {
                let message = format!("sitemap not fetched: http {}", response.status);
                warn(log, url.as_str(), "bad_sitemap", message);
                continue;
            }
            Err(error) => {
                let message = format!("sitemap not fetched: {error}");
                warn(log, url.as_str(), "bad_sitemap", message);
                continue;
            }
        };
        let sitemap = trawl_extract::parse_sitemap(&response.body);
        for warning in &sitemap.warnings {
            warn(
                log,
                url.as_str(),
                "bad_sitemap",
                format!("sitemap: {warning}"),
            );
        }
        let page_urls: Vec<Url> = sitemap
            .urls
            .iter()
            .filter_map(|location| url.join(location).ok())
            .collect();
        let admitted = links::admit_urls(context, page_urls.iter(), 0);
        schedule_events(log, &admitted, ScheduleSource::Sitemap);
        requests.extend(admitted);
        if level + 1 < MAX_SITEMAP_DEPTH {
            sitemap_queue.extend(
                sitemap
                    .sitemaps
                    .iter()
                    .map(|nested| (nested.clone(), level + 1)),
            );
        }
    }
    requests
}

fn schedule_events(
    log: &mut PageLog<'_>,
    requests: &[trawl_store::NewRequest],
    source: ScheduleSource,
) {
    for request in requests {
        log.emit(Event::RequestScheduled {
            url: request.url.clone(),
            depth: request.depth,
            source,
            via: None,
        });
    }
}

/// Finished pages wait in the dispatcher's outbox until this many are ready...
const OUTBOX_PAGES: usize = 32;
/// ...or the oldest has waited this long.
const OUTBOX_AGE: Duration = Duration::from_millis(20);
/// New links worth a load from the store while the dispatcher still has
/// work queued (see `unloaded_links`).
const MIN_LOAD_LINKS: usize = 256;

/// The dispatcher: keeps up to the run's (adaptive) limit of page tasks in
/// flight, each with memory reserved for it.
struct Dispatch {
    context: Arc<PageContext>,
    sender: std::sync::mpsc::Sender<WriterCommand>,
    /// Pages in flight at most (adaptive; its maximum is the spec's).
    limit: Arc<RunLimit>,
    /// Pages this attempt may still fetch (`max_pages` minus pages already done).
    page_budget: u64,
    cancel: CancellationToken,
    /// Pause requests: stop intake without cancelling (see [`PauseRequest`]).
    pause: Option<watch::Receiver<Option<PauseRequest>>>,
}

/// Why the dispatcher stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Nothing left to fetch (frontier empty or page budget spent), or cancelled.
    Done,
    /// A pause request stopped intake and the in-flight pages were handled.
    Paused(PauseRequest),
}

impl Dispatch {
    async fn run(mut self) -> Result<Ended, EngineError> {
        let mut outbox = Outbox::default();
        let mut pause = self.pause.take();
        let result = self.dispatch(&mut outbox, pause.as_mut()).await;
        // Whatever finished is handed over, also after an error or a cancel.
        let flushed = outbox.flush(&self.sender);
        let ended = result?;
        flushed?;
        Ok(ended)
    }

    async fn dispatch(
        &self,
        outbox: &mut Outbox,
        mut pause: Option<&mut watch::Receiver<Option<PauseRequest>>>,
    ) -> Result<Ended, EngineError> {
        let mut queue: VecDeque<PendingRequest> = VecDeque::new();
        let mut cursor = 0_i64;
        // New links found since the last load was asked for: rows the store
        // may hold past the cursor. Only finished pages add rows during a
        // dispatch (seeds and a resumed run's rows are stored before it:
        // they count as one until the first load, and a full load counts as
        // more). A load makes the writer commit first, so loading after
        // every page with a link made checkpoints of one or two pages near
        // the end of a crawl; loads wait for `MIN_LOAD_LINKS` of them unless
        // the fetch slots are about to run dry.
        let mut unloaded_links: usize = 1;
        // The writer's answer to the load in progress. Pages keep being
        // dispatched and reaped meanwhile: waiting for it here would leave
        // fetch slots idle while the writer finishes a batch commit.
        let mut loading: Option<oneshot::Receiver<Option<Vec<PendingRequest>>>> = None;
        let mut dispatched = 0_u64;
        let mut tasks: JoinSet<(trawl_store::PageDone, Counters)> = JoinSet::new();
        // Refilling at a quarter of a load leaves the fetch slots work while
        // the writer commits before it reads.
        let load_limit = (self.limit.max() * 4).max(512);
        let refill_below = load_limit / 4;

        // Set once a pause is asked for: no new page starts after that.
        let mut pausing: Option<PauseRequest> = None;

        loop {
            if self.cancel.is_cancelled() {
                break;
            }
            if pausing.is_none() {
                pausing = pause.as_deref().and_then(|receiver| *receiver.borrow());
            }
            if let Some(request) = pausing {
                let finished = tasks.is_empty() || request.mode == PauseMode::AbortInFlight;
                if finished {
                    // Aborted pages stay pending in the store, like on cancel.
                    tasks.shutdown().await;
                    return Ok(Ended::Paused(request));
                }
            }
            let worth_loading = unloaded_links >= MIN_LOAD_LINKS
                || (unloaded_links > 0 && queue.len() < self.limit.max());
            if pausing.is_none() && loading.is_none() && queue.len() < refill_below && worth_loading
            {
                // The writer must see every finished page's links before it reads.
                outbox.flush(&self.sender)?;
                loading = Some(self.ask_pending(cursor, load_limit)?);
                unloaded_links = 0;
            }
            while pausing.is_none()
                && tasks.len() < self.limit.current()
                && dispatched < self.page_budget
                && !queue.is_empty()
            {
                // Memory first: a page starts only with room reserved for it
                // under the ceiling (always, when none is in flight, so the
                // crawl goes on); otherwise intake waits for a page to end.
                let reservation = if tasks.is_empty() {
                    self.context.pressure.reserve_anyway()
                } else {
                    match self.context.pressure.try_reserve() {
                        Some(reservation) => reservation,
                        None => break,
                    }
                };
                let Some(request) = queue.pop_front() else {
                    break;
                };
                dispatched += 1;
                Progress::add(&self.context.progress.in_flight, 1);
                let context = self.context.clone();
                // Page tasks log inside the run's span too.
                tasks.spawn(
                    async move {
                        let done = page::process(&context, request).await;
                        drop(reservation);
                        done
                    }
                    .in_current_span(),
                );
            }
            if tasks.is_empty() && loading.is_none() {
                if unloaded_links > 0 && dispatched < self.page_budget {
                    continue;
                }
                break;
            }
            let joined = tokio::select! {
                () = self.cancel.cancelled() => break,
                // Only wakes the loop; the request is read at its top.
                _ = async {
                    match pause.as_deref_mut() {
                        // A dropped sender can never ask again: wait forever
                        // rather than spin on the closed channel.
                        Some(receiver) => {
                            if receiver.changed().await.is_err() {
                                std::future::pending::<()>().await;
                            }
                        }
                        None => std::future::pending::<()>().await,
                    }
                }, if pausing.is_none() && pause.is_some() => continue,
                () = tokio::time::sleep_until(outbox.deadline()), if !outbox.is_empty() => {
                    outbox.flush(&self.sender)?;
                    continue;
                }
                answer = async {
                    match loading.as_mut() {
                        Some(receiver) => receiver.await,
                        None => std::future::pending().await,
                    }
                }, if loading.is_some() => {
                    loading = None;
                    match answer {
                        Ok(Some(loaded)) => {
                            if let Some(last) = loaded.last() {
                                cursor = last.seq;
                            }
                            // A full load may have left rows behind (a resumed
                            // run's, or links found faster than loaded): they
                            // are worth the next load as much as new links.
                            if loaded.len() >= load_limit {
                                unloaded_links = unloaded_links.max(MIN_LOAD_LINKS);
                            }
                            queue.extend(loaded);
                        }
                        // The writer failed; its error surfaces from `Writer::finish`.
                        _ => return Err(EngineError::WriterGone),
                    }
                    continue;
                }
                joined = tasks.join_next(), if !tasks.is_empty() => joined,
            };
            if let Some(joined) = joined {
                unloaded_links += self.finish_page(joined, outbox)?;
            }
            // Reap whatever else finished meanwhile without waiting.
            while let Some(joined) = tasks.try_join_next() {
                unloaded_links += self.finish_page(joined, outbox)?;
            }
            if outbox.is_full() {
                outbox.flush(&self.sender)?;
            }
        }
        // Cancelled: abort in-flight requests. Their pages stay pending in the
        // store, so a resumed run fetches them again; nothing half-done is kept.
        tasks.shutdown().await;
        Ok(Ended::Done)
    }

    /// Asks the writer for up to `limit` pending requests after `after_seq`;
    /// the answer arrives on the returned channel (`None`: the writer failed).
    fn ask_pending(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<oneshot::Receiver<Option<Vec<PendingRequest>>>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(WriterCommand::LoadPending {
                after_seq,
                limit,
                reply,
            })
            .map_err(|_| EngineError::WriterGone)?;
        Ok(answer)
    }

    /// Counts a finished page and queues it for the writer; returns how many
    /// links it found that the frontier did not have.
    fn finish_page(
        &self,
        joined: Result<(trawl_store::PageDone, Counters), tokio::task::JoinError>,
        outbox: &mut Outbox,
    ) -> Result<usize, EngineError> {
        let progress = &self.context.progress;
        progress
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let (page, counters) = match joined {
            Ok(done) => done,
            Err(error) => {
                // A panic in page processing is a bug; the page stays pending in
                // the store (it is not marked done), so a resume retries it.
                tracing::error!(%error, "page task failed");
                Progress::add(&progress.pages_failed, 1);
                return Ok(0);
            }
        };
        Progress::add(&progress.pages_ok, counters.pages_ok);
        Progress::add(
            &progress.pages_failed,
            counters.pages_failed + counters.pages_skipped,
        );
        Progress::add(&progress.items_dropped, counters.items_dropped);
        Progress::add(&progress.bytes_fetched, counters.bytes_fetched);
        let queued = progress.queued.load(std::sync::atomic::Ordering::Relaxed);
        Progress::set(
            &progress.queued,
            (queued + page.links.len() as u64).saturating_sub(1),
        );
        let found_links = page.links.len();
        outbox.push(page, counters);
        Ok(found_links)
    }
}

/// Finished pages on their way to the store writer.
#[derive(Default)]
struct Outbox {
    pages: Vec<(trawl_store::PageDone, Counters)>,
    oldest: Option<tokio::time::Instant>,
}

impl Outbox {
    fn push(&mut self, page: trawl_store::PageDone, counters: Counters) {
        self.oldest.get_or_insert_with(tokio::time::Instant::now);
        self.pages.push((page, counters));
    }

    fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    fn is_full(&self) -> bool {
        self.pages.len() >= OUTBOX_PAGES
    }

    fn deadline(&self) -> tokio::time::Instant {
        self.oldest.unwrap_or_else(tokio::time::Instant::now) + OUTBOX_AGE
    }

    fn flush(
        &mut self,
        sender: &std::sync::mpsc::Sender<WriterCommand>,
    ) -> Result<(), EngineError> {
        self.oldest = None;
        if self.pages.is_empty() {
            return Ok(());
        }
        sender
            .send(WriterCommand::Pages(std::mem::take(&mut self.pages)))
            .map_err(|_| EngineError::WriterGone)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn spec_with_per_host_concurrency(per_host: u32) -> Spec {
        let source = format!(
            "start_urls = [\"http://127.0.0.1:1/\"]\n[politeness]\nconcurrency = 128\n\
             per_host_concurrency = {per_host}\n"
        );
        trawl_spec::parse(&source, "test.toml").unwrap().spec
    }

    #[test]
    fn the_connection_pool_holds_every_request_a_host_may_have_in_flight() {
        let busy = fetch_config(&spec_with_per_host_concurrency(64)).unwrap();
        assert_eq!(busy.pool_max_idle_per_host, 64);
        // Fewer per host than the default pool: the default stays.
        let light = fetch_config(&spec_with_per_host_concurrency(4)).unwrap();
        assert_eq!(
            light.pool_max_idle_per_host,
            trawl_fetch::DEFAULT_POOL_MAX_IDLE_PER_HOST
        );
    }
}
