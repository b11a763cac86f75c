//! A two-page site that answers only requests carrying the headers it was
//! given (API keys, `Authorization`), for tests of secret headers: the crawl
//! must send them, and nothing of them may leak into logs, events or exports.
//!
//! The site never echoes a header back: a refused request gets a plain 401,
//! and the pages hold only their own text, so a secret found anywhere in a
//! test's output came from Trawl, not from the site.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::server::{Handler, full};

/// What the guarded site saw.
#[derive(Debug, Default)]
pub struct GuardStats {
    accepted: AtomicU64,
    refused: AtomicU64,
}

impl GuardStats {
    /// Page requests that carried every required header with its value.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Requests missing a header or with a wrong value (robots.txt aside).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// The site: `/` (title "Guarded home", a link to `/page/2`) and `/page/2`
/// (title "Guarded page 2"), each `<h1 class="title">`; `/robots.txt` is
/// 404 for everyone. Anything else, or a request without `required`
/// headers, is 401.
pub fn guarded_handler(required: Vec<(String, String)>) -> (Handler, Arc<GuardStats>) {
    let stats = Arc::new(GuardStats::default());
    let required = Arc::new(required);
    let handler_stats = stats.clone();
    let handler: Handler = Arc::new(move |request: http::Request<hyper::body::Incoming>| {
        let stats = handler_stats.clone();
        let required = required.clone();
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            if path == "/robots.txt" {
                return full(404, "text/plain", "no robots.txt");
            }
            let carries_all = required.iter().all(|(name, value)| {
                request
                    .headers()
                    .get_all(name.as_str())
                    .iter()
                    .any(|sent| sent.as_bytes() == value.as_bytes())
            });
            if !carries_all {
                stats.refused.fetch_add(1, Ordering::Relaxed);
                return full(401, "text/plain", "missing or wrong credentials");
            }
            let page = match path.as_str() {
                "/" => {
                    "<html><body><h1 class=\"title\">Guarded home</h1><a href=\"/page/2\">next</a></body></html>"
                }
                "/page/2" => "<html><body><h1 class=\"title\">Guarded page 2</h1></body></html>",
                _ => return full(404, "text/plain", "not found"),
            };
            stats.accepted.fetch_add(1, Ordering::Relaxed);
            full(200, "text/html; charset=utf-8", page)
        })
    });
    (handler, stats)
}

#[cfg(test)]
mod tests;
