//! One page of a crawl: politeness permit, fetch with retries, extraction, and
//! link filtering. Per-request trouble becomes a recorded outcome, never an
//! error that stops the run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use trawl_extract::{ExtractWarning, Extractor};
use trawl_fetch::robots::Robots;
use trawl_fetch::{FetchError, Response, RetryDecision, RetryPolicy};
use trawl_frontier::{Scope, SeenSet, canonicalize, fingerprint};

use std::collections::BTreeMap;

use trawl_events::{Event, RunEmitter, ScheduleSource};
use trawl_governor::pressure::Pressure;
use trawl_governor::{Governor, HostSignal};
use trawl_store::{Counters, PageDone, PendingRequest};
use url::Url;

use crate::events::PageLog;
use crate::links::{LinkMemo, admit_links};
use crate::lock;
use crate::progress::Progress;
use crate::source::{Purpose, Source};

/// Longest robots.txt crawl-delay honoured; longer ones are capped so one
/// hostile robots.txt cannot stall a run for hours.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);

/// Everything a page task needs, built once per run.
pub(crate) struct PageContext {
    /// The live fetcher (teeing to the recording), or a replayed recording.
    pub source: Source,
    pub retry: RetryPolicy,
    pub extractor: Extractor,
    pub scope: Scope,
    pub sort_query: bool,
    pub obey_robots: bool,
    pub governor: Governor,
    /// The process's memory admission; pages report their body sizes.
    pub pressure: Arc<Pressure>,
    pub robots: RobotsCache,
    pub seen: Mutex<SeenSet>,
    pub link_memo: Mutex<LinkMemo>,
    pub progress: Arc<Progress>,
    pub emitter: RunEmitter,
    /// Whether page events are stored (spec `event_log`).
    pub event_log: bool,
}

/// robots.txt per origin, fetched once even when many tasks ask at the same time.
#[derive(Default)]
pub(crate) struct RobotsCache {
    by_origin: Mutex<HashMap<String, Arc<OnceCell<Arc<Robots>>>>>,
}

impl RobotsCache {
    async fn get(
        &self,
        context: &PageContext,
        log: &mut PageLog<'_>,
        url: &Url,
        origin: &str,
    ) -> Arc<Robots> {
        let cell = {
            let mut by_origin = lock(&self.by_origin);
            by_origin.entry(origin.to_owned()).or_default().clone()
        };
        let mut crawl_delay = None;
        let robots = cell
            .get_or_init(|| async {
                let robots = context.source.robots(url).await;
                if let Some(delay) = robots.crawl_delay() {
                    let delay = delay.min(MAX_CRAWL_DELAY);
                    // A replay reports the delay but does not wait it.
                    if !context.source.is_replay() {
                        context.governor.set_crawl_delay(origin, delay);
                    }
                    crawl_delay = Some(delay);
                }
                Arc::new(robots)
            })
            .await
            .clone();
        // Reported by the page that fetched robots.txt, with its events.
        if let Some(delay) = crawl_delay {
            log.emit(Event::HostThrottled {
                host: trawl_events::host_of(origin).to_owned(),
                delay_millis: millis(delay),
                reason: "crawl_delay".to_owned(),
            });
        }
        robots
    }
}

/// Outcome names recorded in the frontier for pages that produced no response.
const OUTCOME_OK: &str = "ok";

/// Fetches and processes one request. Always returns a finished page, with
/// the events that describe what happened to it.
pub(crate) async fn process(
    context: &PageContext,
    request: PendingRequest,
) -> (PageDone, Counters) {
    let mut log = PageLog::new(&context.emitter, context.event_log);
    let mut counters = Counters::default();
    let mut page = PageDone {
        fingerprint: request.fingerprint,
        ..PageDone::default()
    };
    process_into(context, &request, &mut log, &mut page, &mut counters).await;
    page.events = log.into_rows();
    (page, counters)
}

async fn process_into(
    context: &PageContext,
    request: &PendingRequest,
    log: &mut PageLog<'_>,
    page: &mut PageDone,
    counters: &mut Counters,
) {
    let url = match Url::parse(&request.url) {
        Ok(url) => url,
        Err(error) => {
            // Only canonical URLs enter the frontier, so this means a damaged row.
            page.outcome = "invalid_url".to_owned();
            page.error = Some(format!("stored url does not parse: {error}"));
            counters.pages_failed = 1;
            log.emit(Event::RequestFailed {
                url: request.url.clone(),
                outcome: page.outcome.clone(),
                error: format!("stored url does not parse: {error}"),
                elapsed_millis: None,
            });
            return;
        }
    };
    let origin = url.origin().ascii_serialization();

    if context.obey_robots {
        let robots = context.robots.get(context, log, &url, &origin).await;
        if !robots.is_allowed(&url) {
            match robots.unavailable_reason() {
                // RFC 9309: no robots.txt answer means no crawling; that is a
                // failure of the site, not a rule, so it counts as an error.
                Some(reason) => {
                    page.outcome = "robots_unavailable".to_owned();
                    page.error = Some(reason.to_owned());
                    counters.pages_failed = 1;
                    log.emit(Event::RequestFailed {
                        url: request.url.clone(),
                        outcome: page.outcome.clone(),
                        error: reason.to_owned(),
                        elapsed_millis: None,
                    });
                }
                None => {
                    page.outcome = "robots_denied".to_owned();
                    counters.pages_skipped = 1;
                    log.emit(Event::RequestSkipped {
                        url: request.url.clone(),
                        reason: page.outcome.clone(),
                    });
                }
            }
            return;
        }
    }

    let (outcome, elapsed) =
        fetch_with_retries(context, log, &request.url, &url, &origin, counters).await;
    match outcome {
        Err(error) => {
            page.outcome = error.kind().to_owned();
            page.error = Some(error.to_string());
            counters.pages_failed = 1;
            log.emit(Event::RequestFailed {
                url: request.url.clone(),
                outcome: page.outcome.clone(),
                error: error.to_string(),
                elapsed_millis: Some(millis(elapsed)),
            });
        }
        Ok(response) => {
            counters.bytes_fetched = response.body.len() as u64;
            page.status = Some(response.status);
            if response.final_url != url {
                // A redirect target is a page of its own: never fetch it twice.
                let target = canonicalize(&response.final_url, context.sort_query);
                lock(&context.seen).insert(fingerprint(&target));
            }
            handle_response(context, log, request, &response, page, counters);
        }
    }
}

/// Tells the governor what the host said, reports a limit change, and lets
/// memory admission learn the body's size.
fn report_to_governor(
    context: &PageContext,
    log: &mut PageLog<'_>,
    origin: &str,
    outcome: &Result<Response, FetchError>,
) {
    let signal = match outcome {
        Ok(response) if matches!(response.status, 429 | 503) => HostSignal::Throttled {
            reason: format!("http_{}", response.status),
        },
        Ok(response) => {
            context.pressure.observe_body(response.body.len() as u64);
            HostSignal::Answered {
                elapsed: response.elapsed,
            }
        }
        Err(error) if error.is_overload() => HostSignal::Throttled {
            reason: error.kind().to_owned(),
        },
        // Other failures (a redirect loop, a bomb cut off) say nothing about load.
        Err(_) => return,
    };
    if let Some(change) = context.governor.report(origin, &signal) {
        tracing::info!(host = %change.host, from = change.from, to = change.to, reason = %change.reason, "host concurrency changed");
        log.emit(Event::LimitChanged {
            scope: trawl_events::host_of(origin).to_owned(),
            limit: "concurrency".to_owned(),
            from: u64::from(change.from),
            to: u64::from(change.to),
            reason: change.reason,
        });
    }
}

/// Milliseconds of a duration, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The fetch (with its retries), and how long its last attempt took.
async fn fetch_with_retries(
    context: &PageContext,
    log: &mut PageLog<'_>,
    frontier_url: &str,
    url: &Url,
    origin: &str,
    counters: &mut Counters,
) -> (Result<Response, FetchError>, Duration) {
    let mut attempt = 0;
    loop {
        let permit = context.governor.acquire(origin).await;
        log.emit(Event::RequestStarted {
            url: frontier_url.to_owned(),
            attempt,
        });
        let (outcome, elapsed) = context.source.fetch(url, attempt, Purpose::Page).await;
        drop(permit);
        // A replay does not adapt limits to a host it is not talking to.
        if !context.source.is_replay() {
            report_to_governor(context, log, origin, &outcome);
        }
        match context.retry.decide(frontier_url, attempt, &outcome) {
            RetryDecision::Accept => return (outcome, elapsed),
            RetryDecision::GiveUp { reason } => {
                tracing::info!(%url, %reason, "giving up on request");
                return (outcome, elapsed);
            }
            RetryDecision::RetryAfter(delay) => {
                attempt += 1;
                counters.requests_retried += 1;
                Progress::add(&context.progress.retries, 1);
                let reason = match &outcome {
                    Ok(response) => format!("http_{}", response.status),
                    Err(error) => error.kind().to_owned(),
                };
                log.emit(Event::RequestRetried {
                    url: frontier_url.to_owned(),
                    attempt,
                    delay_millis: millis(delay),
                    reason,
                });
                let server_asked =
                    matches!(&outcome, Ok(response) if response.retry_after().is_some());
                if server_asked {
                    // Retry-After is about the host, not this one URL: hold every
                    // request to it back (the governor's permit waits for it).
                    if !context.source.is_replay() {
                        context.governor.back_off(origin, delay);
                    }
                    log.emit(Event::HostThrottled {
                        host: trawl_events::host_of(origin).to_owned(),
                        delay_millis: millis(delay),
                        reason: "retry_after".to_owned(),
                    });
                } else if !context.source.is_replay() {
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

fn handle_response(
    context: &PageContext,
    log: &mut PageLog<'_>,
    request: &PendingRequest,
    response: &Response,
    page: &mut PageDone,
    counters: &mut Counters,
) {
    let fetched = |outcome: &str| Event::RequestFetched {
        url: request.url.clone(),
        status: response.status,
        bytes: response.body.len() as u64,
        elapsed_millis: millis(response.elapsed),
        outcome: outcome.to_owned(),
        final_url: (response.final_url.as_str() != request.url)
            .then(|| response.final_url.to_string()),
    };
    if !(200..300).contains(&response.status) {
        page.outcome = format!("http_{}", response.status);
        counters.pages_failed = 1;
        log.emit(fetched(&page.outcome));
        return;
    }
    if !response.is_html() {
        page.outcome = "not_html".to_owned();
        counters.pages_ok = 1;
        log.emit(fetched(&page.outcome));
        return;
    }
    if response.looks_binary() {
        page.outcome = "binary_content".to_owned();
        page.error = Some("binary content served as html".to_owned());
        counters.pages_failed = 1;
        log.emit(fetched(&page.outcome));
        return;
    }
    page.outcome = OUTCOME_OK.to_owned();
    log.emit(fetched(OUTCOME_OK));
    let decoded = response.decode_text();
    let extracted = context
        .extractor
        .extract(&response.final_url, &decoded.text);
    counters.pages_ok = 1;
    counters.warnings = extracted.warnings.len() as u64;
    counters.items_dropped = extracted.dropped_items;
    for warning in &extracted.warnings {
        tracing::debug!(url = %response.final_url, kind = warning.kind(), "{warning}");
        log.emit(warning_event(&request.url, warning));
    }
    let base = extracted.link_base(&response.final_url);
    let admitted = admit_links(context, base, &extracted.links, request.depth + 1);
    for warning in &admitted.warnings {
        tracing::debug!(url = %response.final_url, kind = warning.kind(), "{warning}");
        log.emit(warning_event(&request.url, warning));
    }
    counters.warnings += admitted.warnings.len() as u64;
    log.emit(Event::PageExtracted {
        url: request.url.clone(),
        items: count32(extracted.items.len()),
        items_dropped: u32::try_from(extracted.dropped_items).unwrap_or(u32::MAX),
        warnings: count32(extracted.warnings.len() + admitted.warnings.len()),
        links_found: count32(extracted.links.len()),
        links_followed: count32(admitted.requests.len()),
        links_filtered: admitted
            .filtered
            .iter()
            .map(|(reason, count)| ((*reason).to_owned(), *count))
            .collect::<BTreeMap<String, u32>>(),
    });
    for link in &admitted.requests {
        log.emit(Event::RequestScheduled {
            url: link.url.clone(),
            depth: link.depth,
            source: ScheduleSource::Link,
            via: Some(request.url.clone()),
        });
    }
    page.items = extracted.items;
    page.links = admitted.requests;
    counters.links_queued = page.links.len() as u64;
}

fn count32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// An extraction warning as an event: a dropped item is `item_dropped`,
/// anything else `warning_raised`.
fn warning_event(url: &str, warning: &ExtractWarning) -> Event {
    match warning {
        ExtractWarning::MissingRequired { rule, .. }
        | ExtractWarning::MissingKey { rule, .. }
        | ExtractWarning::Unparsable {
            rule,
            item_dropped: true,
            ..
        } => Event::ItemDropped {
            url: url.to_owned(),
            rule: rule.clone(),
            reason: warning.kind().to_owned(),
            message: warning.to_string(),
        },
        _ => Event::WarningRaised {
            url: Some(url.to_owned()),
            warning: warning.kind().to_owned(),
            message: warning.to_string(),
        },
    }
}
