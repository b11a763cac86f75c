//! One page of a crawl: politeness permit, fetch with retries, extraction, and
//! link filtering. Per-request trouble becomes a recorded outcome, never an
//! error that stops the run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use trawl_extract::Extractor;
use trawl_fetch::robots::Robots;
use trawl_fetch::{FetchError, Fetcher, Response, RetryDecision, RetryPolicy};
use trawl_frontier::{Scope, SeenSet, canonicalize, fingerprint};

use crate::links::{LinkMemo, admit_links};
use trawl_governor::Governor;
use trawl_store::{Counters, PageDone, PendingRequest};
use url::Url;

use crate::lock;
use crate::progress::Progress;

/// Longest robots.txt crawl-delay honoured; longer ones are capped so one
/// hostile robots.txt cannot stall a run for hours.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);

/// Everything a page task needs, built once per run.
pub(crate) struct PageContext {
    pub fetcher: Fetcher,
    pub retry: RetryPolicy,
    pub extractor: Extractor,
    pub scope: Scope,
    pub sort_query: bool,
    pub obey_robots: bool,
    pub governor: Governor,
    pub robots: RobotsCache,
    pub seen: Mutex<SeenSet>,
    pub link_memo: Mutex<LinkMemo>,
    pub progress: Arc<Progress>,
}

/// robots.txt per origin, fetched once even when many tasks ask at the same time.
#[derive(Default)]
pub(crate) struct RobotsCache {
    by_origin: Mutex<HashMap<String, Arc<OnceCell<Arc<Robots>>>>>,
}

impl RobotsCache {
    async fn get(&self, context: &PageContext, url: &Url, origin: &str) -> Arc<Robots> {
        let cell = {
            let mut by_origin = lock(&self.by_origin);
            by_origin.entry(origin.to_owned()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let robots = context.fetcher.fetch_robots(url).await;
            if let Some(delay) = robots.crawl_delay() {
                context
                    .governor
                    .set_crawl_delay(origin, delay.min(MAX_CRAWL_DELAY));
            }
            Arc::new(robots)
        })
        .await
        .clone()
    }
}

/// Outcome names recorded in the frontier for pages that produced no response.
const OUTCOME_OK: &str = "ok";

/// Fetches and processes one request. Always returns a finished page.
pub(crate) async fn process(
    context: &PageContext,
    request: PendingRequest,
) -> (PageDone, Counters) {
    let mut counters = Counters::default();
    let mut page = PageDone {
        fingerprint: request.fingerprint,
        status: None,
        outcome: String::new(),
        error: None,
        items: Vec::new(),
        links: Vec::new(),
    };
    let url = match Url::parse(&request.url) {
        Ok(url) => url,
        Err(error) => {
            // Only canonical URLs enter the frontier, so this means a damaged row.
            page.outcome = "invalid_url".to_owned();
            page.error = Some(format!("stored url does not parse: {error}"));
            counters.pages_failed = 1;
            return (page, counters);
        }
    };
    let origin = url.origin().ascii_serialization();

    if context.obey_robots {
        let robots = context.robots.get(context, &url, &origin).await;
        if !robots.is_allowed(&url) {
            match robots.unavailable_reason() {
                // RFC 9309: no robots.txt answer means no crawling; that is a
                // failure of the site, not a rule, so it counts as an error.
                Some(reason) => {
                    page.outcome = "robots_unavailable".to_owned();
                    page.error = Some(reason.to_owned());
                    counters.pages_failed = 1;
                }
                None => {
                    page.outcome = "robots_denied".to_owned();
                    counters.pages_skipped = 1;
                }
            }
            return (page, counters);
        }
    }

    let outcome = fetch_with_retries(context, &url, &origin, &mut counters).await;
    match outcome {
        Err(error) => {
            page.outcome = error.kind().to_owned();
            page.error = Some(error.to_string());
            counters.pages_failed = 1;
        }
        Ok(response) => {
            counters.bytes_fetched = response.body.len() as u64;
            page.status = Some(response.status);
            if response.final_url != url {
                // A redirect target is a page of its own: never fetch it twice.
                let target = canonicalize(&response.final_url, context.sort_query);
                lock(&context.seen).insert(fingerprint(&target));
            }
            handle_response(context, &request, &response, &mut page, &mut counters);
        }
    }
    (page, counters)
}

async fn fetch_with_retries(
    context: &PageContext,
    url: &Url,
    origin: &str,
    counters: &mut Counters,
) -> Result<Response, FetchError> {
    let mut attempt = 0;
    loop {
        let permit = context.governor.acquire(origin).await;
        let outcome = context.fetcher.fetch(url).await;
        drop(permit);
        match context.retry.decide(attempt, &outcome) {
            RetryDecision::Accept => return outcome,
            RetryDecision::GiveUp { reason } => {
                tracing::debug!(%url, %reason, "giving up on request");
                return outcome;
            }
            RetryDecision::RetryAfter(delay) => {
                attempt += 1;
                counters.requests_retried += 1;
                Progress::add(&context.progress.retries, 1);
                let server_asked =
                    matches!(&outcome, Ok(response) if response.retry_after().is_some());
                if server_asked {
                    // Retry-After is about the host, not this one URL: hold every
                    // request to it back (the governor's permit waits for it).
                    context.governor.back_off(origin, delay);
                } else {
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

fn handle_response(
    context: &PageContext,
    request: &PendingRequest,
    response: &Response,
    page: &mut PageDone,
    counters: &mut Counters,
) {
    if !(200..300).contains(&response.status) {
        page.outcome = format!("http_{}", response.status);
        counters.pages_failed = 1;
        return;
    }
    if !response.is_html() {
        page.outcome = "not_html".to_owned();
        counters.pages_ok = 1;
        return;
    }
    if response.looks_binary() {
        page.outcome = "binary_content".to_owned();
        page.error = Some("binary content served as html".to_owned());
        counters.pages_failed = 1;
        return;
    }
    let decoded = response.decode_text();
    let extracted = context
        .extractor
        .extract(&response.final_url, &decoded.text);
    counters.pages_ok = 1;
    counters.warnings = extracted.warnings.len() as u64;
    counters.items_dropped = extracted.dropped_items;
    for warning in &extracted.warnings {
        tracing::debug!(url = %response.final_url, kind = warning.kind(), "{warning}");
    }
    page.outcome = OUTCOME_OK.to_owned();
    let base = extracted.link_base(&response.final_url);
    let admitted = admit_links(context, base, &extracted.links, request.depth + 1);
    for warning in &admitted.warnings {
        tracing::debug!(url = %response.final_url, kind = warning.kind(), "{warning}");
    }
    counters.warnings += admitted.warnings.len() as u64;
    page.items = extracted.items;
    page.links = admitted.requests;
    counters.links_queued = page.links.len() as u64;
}
