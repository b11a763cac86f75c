//! Which URLs a crawl may visit: scheme, allowed domains, follow allow/deny
//! patterns, depth and length, decided before a URL enters the frontier.
//!
//! Built once from the spec (config -> running form), then asked for every
//! discovered link, so checks are ordered cheapest first and a huge URL is
//! turned away before any pattern scans it.

use std::collections::HashSet;
use std::net::IpAddr;

use regex::RegexSet;
use trawl_spec::Spec;
use url::{Host, Url};

/// Longest URL accepted, in bytes. Longer ones are traps (session ids
/// appended forever, calendars) or attacks, and some servers reject them anyway.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// Why a [`Scope`] could not be built from a spec.
#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    /// A `follow.allow` or `follow.deny` pattern does not compile (only for
    /// specs that skipped `trawl_spec` validation).
    #[error("invalid regex in {list}")]
    InvalidPattern {
        list: &'static str,
        #[source]
        source: regex::Error,
    },
    /// An `allowed_domains` entry is not a host name or IP address.
    #[error("invalid allowed domain {domain:?}: {reason}")]
    InvalidDomain { domain: String, reason: String },
    /// A start URL or sitemap URL does not parse, so its host cannot be allowed.
    #[error("invalid start url {url:?}")]
    InvalidStartUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// `allowed_domains` is empty and no start URL or sitemap has a host, so
    /// nothing could ever be in scope.
    #[error("no allowed domains: set allowed_domains or give start_urls with a host")]
    NoAllowedDomains,
}

/// Why a URL is out of scope. An outcome, not a failure: the link is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Rejection {
    /// The scheme is not http or https.
    #[error("scheme is not http or https")]
    Scheme,
    /// The host is not an allowed domain (nor a subdomain of one).
    #[error("host is not in allowed_domains")]
    Domain,
    /// The URL matches a `follow.deny` pattern.
    #[error("url matches a follow.deny pattern")]
    Denied,
    /// `follow.allow` is not empty and the URL matches none of its patterns.
    #[error("url matches no follow.allow pattern")]
    NotAllowed,
    /// The link is deeper than `follow.max_depth`.
    #[error("deeper than follow.max_depth")]
    TooDeep,
    /// The URL is longer than [`MAX_URL_BYTES`].
    #[error("url is longer than 8 KiB")]
    TooLong,
}

impl Rejection {
    /// Short stable name for events, metrics labels and the store.
    pub fn kind(self) -> &'static str {
        match self {
            Rejection::Scheme => "scheme",
            Rejection::Domain => "domain",
            Rejection::Denied => "denied",
            Rejection::NotAllowed => "not_allowed",
            Rejection::TooDeep => "too_deep",
            Rejection::TooLong => "too_long",
        }
    }
}

/// The running form of a spec's scope rules.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Allowed domain names: lowercase, punycode, no trailing dot.
    allowed_domains: HashSet<String>,
    /// Allowed IP hosts; these match exactly, never as a suffix.
    allowed_ips: HashSet<IpAddr>,
    allow: RegexSet,
    deny: RegexSet,
    max_depth: u32,
}

impl Scope {
    /// Compiles the spec's scope rules. Allowed domains default to the hosts
    /// of `start_urls` and `sitemaps`.
    pub fn build(spec: &Spec) -> Result<Scope, FrontierError> {
        let mut allowed_domains = HashSet::new();
        let mut allowed_ips = HashSet::new();
        if spec.allowed_domains.is_empty() {
            for text in spec.start_urls.iter().chain(&spec.sitemaps) {
                let url = Url::parse(text).map_err(|source| FrontierError::InvalidStartUrl {
                    url: text.clone(),
                    source,
                })?;
                match url.host() {
                    Some(Host::Domain(domain)) => {
                        allowed_domains.insert(normalize_domain(domain));
                    }
                    Some(Host::Ipv4(address)) => {
                        allowed_ips.insert(IpAddr::V4(address));
                    }
                    Some(Host::Ipv6(address)) => {
                        allowed_ips.insert(IpAddr::V6(address));
                    }
                    None => {}
                }
            }
        } else {
            for text in &spec.allowed_domains {
                // `Host::parse` applies IDNA (punycode, lowercase) and reads
                // IPv4 and bracketed IPv6 addresses.
                match Host::parse(text) {
                    Ok(Host::Domain(domain)) => {
                        allowed_domains.insert(normalize_domain(&domain));
                    }
                    Ok(Host::Ipv4(address)) => {
                        allowed_ips.insert(IpAddr::V4(address));
                    }
                    Ok(Host::Ipv6(address)) => {
                        allowed_ips.insert(IpAddr::V6(address));
                    }
                    Err(error) => {
                        return Err(FrontierError::InvalidDomain {
                            domain: text.clone(),
                            reason: error.to_string(),
                        });
                    }
                }
            }
        }
        allowed_domains.remove("");
        if allowed_domains.is_empty() && allowed_ips.is_empty() {
            return Err(FrontierError::NoAllowedDomains);
        }
        let allow =
            RegexSet::new(&spec.follow.allow).map_err(|source| FrontierError::InvalidPattern {
                list: "follow.allow",
                source,
            })?;
        let deny =
            RegexSet::new(&spec.follow.deny).map_err(|source| FrontierError::InvalidPattern {
                list: "follow.deny",
                source,
            })?;
        Ok(Scope {
            allowed_domains,
            allowed_ips,
            allow,
            deny,
            max_depth: spec.follow.max_depth,
        })
    }

    /// Whether the crawl may visit `url` (pass the canonical URL, which is
    /// what patterns are written against) found at link depth `depth`.
    pub fn check(&self, url: &Url, depth: u32) -> Result<(), Rejection> {
        self.check_depth(depth)?;
        self.check_url(url)
    }

    /// The part of [`Scope::check`] that depends on the depth alone: a page's
    /// links all share it, so the engine checks it once per page.
    pub fn check_depth(&self, depth: u32) -> Result<(), Rejection> {
        if depth > self.max_depth {
            return Err(Rejection::TooDeep);
        }
        Ok(())
    }

    /// The part of [`Scope::check`] that depends on the URL alone (length,
    /// scheme, domain, allow/deny), so its verdict can be remembered per URL.
    pub fn check_url(&self, url: &Url) -> Result<(), Rejection> {
        // Length first: it is O(1), and every later check may scan the URL.
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(Rejection::TooLong);
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Rejection::Scheme);
        }
        if !self.host_is_allowed(url) {
            return Err(Rejection::Domain);
        }
        if self.deny.is_match(url.as_str()) {
            return Err(Rejection::Denied);
        }
        if !self.allow.is_empty() && !self.allow.is_match(url.as_str()) {
            return Err(Rejection::NotAllowed);
        }
        Ok(())
    }

    /// The host equals an allowed domain or ends with "." + one; IP hosts
    /// match exactly. Walks the host's parent domains (`a.b.example.com`,
    /// `b.example.com`, `example.com`, `com`), so the cost depends on the
    /// host's label count, not on how many domains are allowed.
    fn host_is_allowed(&self, url: &Url) -> bool {
        match url.host() {
            Some(Host::Domain(domain)) => {
                // Special-scheme hosts are already lowercase punycode; only
                // a trailing dot (`example.com.`) remains to strip.
                let mut candidate = domain.strip_suffix('.').unwrap_or(domain);
                loop {
                    if self.allowed_domains.contains(candidate) {
                        return true;
                    }
                    match candidate.split_once('.') {
                        Some((_, parent)) => candidate = parent,
                        None => return false,
                    }
                }
            }
            Some(Host::Ipv4(address)) => self.allowed_ips.contains(&IpAddr::V4(address)),
            Some(Host::Ipv6(address)) => self.allowed_ips.contains(&IpAddr::V6(address)),
            None => false,
        }
    }
}

/// Lowercase, without a trailing dot: the form hosts are compared in.
fn normalize_domain(domain: &str) -> String {
    domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests;
