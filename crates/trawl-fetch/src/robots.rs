//! robots.txt rules for one site, as RFC 9309 asks crawlers to obey them.
//!
//! Parsing and matching are `texting_robots`' job; this wrapper adds what
//! the RFC says about files that cannot be had (allow all or disallow all),
//! never fails on garbage, and picks the group by the user agent's product
//! token (`trawl/0.1 (+https://...)` matches `User-agent: trawl`).

use std::fmt;
use std::time::Duration;

use url::{Position, Url};

/// What RFC 9309 makes of a robots.txt fetch: a 2xx body is parsed (as
/// far as it was read); 4xx and redirect trouble allow all; 429, 5xx and
/// network failures disallow all. Pure, so a replay reading the recorded
/// fetch gets exactly the rules the live crawl got.
pub fn interpret(user_agent: &str, outcome: &Result<crate::Response, crate::FetchError>) -> Robots {
    use crate::FetchError;
    match outcome {
        Ok(response) => match response.status {
            200..=299 => Robots::parse(user_agent, &response.body),
            // Google and most crawlers read "too many requests" as "not now".
            status @ (429 | 500..=599) => {
                Robots::disallow_all(format!("robots.txt answered {status}"))
            }
            _ => Robots::allow_all(),
        },
        Err(
            FetchError::TooManyRedirects { .. }
            | FetchError::RedirectLoop { .. }
            | FetchError::BadRedirect { .. },
        ) => Robots::allow_all(),
        Err(FetchError::Replayed { kind, .. })
            if matches!(
                *kind,
                "too_many_redirects" | "redirect_loop" | "bad_redirect"
            ) =>
        {
            Robots::allow_all()
        }
        Err(error) => {
            tracing::debug!(%error, "robots.txt unreachable, disallowing all");
            Robots::disallow_all(format!("robots.txt unreachable: {error}"))
        }
    }
}

/// The rules of one site for our user agent.
pub struct Robots {
    rules: Rules,
    crawl_delay: Option<Duration>,
    sitemaps: Vec<String>,
}

enum Rules {
    AllowAll,
    /// The site could not say; the reason is reported with every denied page.
    DisallowAll {
        reason: String,
    },
    Parsed(Box<texting_robots::Robot>),
}

impl Robots {
    /// Parses a robots.txt body for `user_agent` (a full `User-Agent` value;
    /// its product token is what groups are matched against). Never fails:
    /// a body that cannot be parsed allows everything, as a missing file does.
    pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
        match texting_robots::Robot::new(product_token(user_agent), body) {
            Ok(robot) => Robots {
                // Negative, infinite or NaN delays are ignored rather than trusted.
                crawl_delay: robot
                    .delay
                    .and_then(|seconds| Duration::try_from_secs_f32(seconds).ok()),
                sitemaps: robot.sitemaps.clone(),
                rules: Rules::Parsed(Box::new(robot)),
            },
            Err(error) => {
                tracing::debug!(%error, "unparsable robots.txt, allowing all");
                Robots::allow_all()
            }
        }
    }

    /// No rules: the file is missing (4xx) or unusable.
    pub fn allow_all() -> Robots {
        Robots {
            rules: Rules::AllowAll,
            crawl_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Everything forbidden: the site could not say (5xx, unreachable), and
    /// RFC 9309 section 2.3.1.4 says to assume complete disallow. `reason`
    /// ("robots.txt answered 503") lets the crawl report why nothing was fetched.
    pub fn disallow_all(reason: impl Into<String>) -> Robots {
        Robots {
            rules: Rules::DisallowAll {
                reason: reason.into(),
            },
            crawl_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Whether `url` (on this site) may be fetched. `/robots.txt` itself
    /// always may.
    pub fn is_allowed(&self, url: &Url) -> bool {
        match &self.rules {
            Rules::AllowAll => true,
            Rules::DisallowAll { .. } => url.path() == "/robots.txt",
            Rules::Parsed(robot) => robot.allowed(&url[Position::BeforePath..Position::AfterQuery]),
        }
    }

    /// Why the whole site is disallowed, when robots.txt could not be had.
    pub fn unavailable_reason(&self) -> Option<&str> {
        match &self.rules {
            Rules::DisallowAll { reason } => Some(reason),
            _ => None,
        }
    }

    /// The `Crawl-delay` of our group (or of the file's top, before any group).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    /// `Sitemap:` URLs, as written (they apply to every agent).
    pub fn sitemaps(&self) -> &[String] {
        &self.sitemaps
    }
}

impl fmt::Debug for Robots {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules = match &self.rules {
            Rules::AllowAll => "allow all",
            Rules::DisallowAll { .. } => "disallow all",
            Rules::Parsed(_) => "parsed",
        };
        formatter
            .debug_struct("Robots")
            .field("rules", &rules)
            .field("crawl_delay", &self.crawl_delay)
            .field("sitemaps", &self.sitemaps)
            .finish()
    }
}

/// The robots.txt URL governing `url`: same scheme, host and port, path
/// `/robots.txt`. `None` for URLs without a host or not http(s).
pub fn robots_url(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let robots_url = match url.port() {
        Some(port) => format!("{}://{host}:{port}/robots.txt", url.scheme()),
        None => format!("{}://{host}/robots.txt", url.scheme()),
    };
    Url::parse(&robots_url).ok()
}

/// The product token of a `User-Agent` value: `trawl/0.1 (+https://x)` ->
/// `trawl`. Falls back to `*` for an empty agent.
pub fn product_token(user_agent: &str) -> &str {
    user_agent
        .split(|c: char| c == '/' || c.is_whitespace())
        .find(|part| !part.is_empty())
        .unwrap_or("*")
}

#[cfg(test)]
mod tests;
