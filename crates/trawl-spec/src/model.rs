//! The crawl spec's data model: what a user writes in `books.toml`.
//!
//! These types are the config side only (vector's `*Config`): they are parsed
//! and validated once, then each component builds its running form from them
//! (`Extractor::build`, `Fetcher::new`, ...). Units live in key names
//! (`timeout_secs`, `max_body_bytes`). Every field has a default so the
//! smallest useful spec is `start_urls = ["https://example.com/"]`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole crawl spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Human name of the crawl; used in `trawl runs` and export file names.
    #[serde(default = "default_name")]
    pub name: String,
    /// Pages the crawl starts from (absolute http or https URLs).
    #[serde(default)]
    pub start_urls: Vec<String>,
    /// Sitemap URLs (XML sitemaps or sitemap indexes) whose `<loc>` entries are
    /// added to the frontier.
    #[serde(default)]
    pub sitemaps: Vec<String>,
    /// Hosts the crawl may visit. Subdomains are included (`example.com` allows
    /// `www.example.com`). Empty means: the hosts of `start_urls` and `sitemaps`.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Which links to follow.
    #[serde(default)]
    pub follow: FollowRules,
    /// Extraction rules: each turns matching pages into items.
    #[serde(default)]
    pub extract: Vec<ExtractRule>,
    /// How each request is made.
    #[serde(default)]
    pub request: RequestSettings,
    /// How hard the crawl may hit each site.
    #[serde(default)]
    pub politeness: Politeness,
    /// Files written when the run ends, in addition to the embedded store.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
}

fn default_name() -> String {
    "crawl".to_owned()
}

/// Link-following rules. A link is followed when it is found by one of
/// `selectors`, is on an allowed domain, matches `allow` (if any), matches no
/// `deny`, and is within `max_depth`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowRules {
    /// CSS selectors of elements whose `href` (or `src` for frames) is a link
    /// candidate. Default: every `a[href]`.
    #[serde(default = "default_follow_selectors")]
    pub selectors: Vec<String>,
    /// Regexes matched against the absolute URL; when non-empty, a link must match one.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes matched against the absolute URL; a link matching any is dropped.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Maximum link depth from a start URL (start URLs have depth 0).
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Stop scheduling new pages once this many pages were fetched. 0 means no limit.
    #[serde(default)]
    pub max_pages: u64,
    /// Sort query parameters when canonicalising URLs, so `?a=1&b=2` and
    /// `?b=2&a=1` are one page.
    #[serde(default)]
    pub sort_query: bool,
}

fn default_follow_selectors() -> Vec<String> {
    vec!["a[href]".to_owned()]
}

fn default_max_depth() -> u32 {
    32
}

impl Default for FollowRules {
    fn default() -> Self {
        FollowRules {
            selectors: default_follow_selectors(),
            allow: Vec::new(),
            deny: Vec::new(),
            max_depth: default_max_depth(),
            max_pages: 0,
            sort_query: false,
        }
    }
}

/// One extraction rule: on pages whose URL matches `url`, every element
/// matching `root` becomes one item with the given fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRule {
    /// Item kind, stored with each item (e.g. "book").
    #[serde(default = "default_item_name")]
    pub name: String,
    /// Regex matched against the page URL; when absent, every page is a candidate.
    #[serde(default)]
    pub url: Option<String>,
    /// CSS selector of the element each item comes from. When absent the whole
    /// page is one item. Field selectors are relative to it.
    #[serde(default)]
    pub root: Option<String>,
    /// Name of the field whose value de-duplicates items across the run.
    #[serde(default)]
    pub key: Option<String>,
    /// The fields, in the order they appear in exports.
    pub fields: IndexMap<String, FieldRule>,
}

fn default_item_name() -> String {
    "item".to_owned()
}

/// A field: a bare string is shorthand for `{ selector = "..." }` (text of the
/// first match).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FieldRule {
    Selector(String),
    Full(FieldSpec),
}

impl FieldRule {
    /// The full form, with the shorthand expanded.
    pub fn to_full(&self) -> FieldSpec {
        match self {
            FieldRule::Selector(selector) => FieldSpec {
                selector: Some(selector.clone()),
                ..FieldSpec::default()
            },
            FieldRule::Full(spec) => spec.clone(),
        }
    }
}

/// How one field's value is found and typed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// CSS selector, relative to the rule's `root`. Absent means the root itself
    /// (or, without a root, a page-level value such as `const` or the page URL
    /// with `source = "url"`).
    #[serde(default)]
    pub selector: Option<String>,
    /// Read an attribute instead of the text (`attr = "href"`).
    #[serde(default)]
    pub attr: Option<String>,
    /// What to read from the matched element: `text` (default; whitespace
    /// collapsed), `html` (inner HTML), or `attr` (needs `attr`).
    #[serde(default)]
    pub mode: Option<FieldMode>,
    /// Where the value comes from: the element (default) or the page URL.
    #[serde(default)]
    pub source: FieldSource,
    /// Regex applied to the raw value; the first capture group (or the whole
    /// match when there is no group) becomes the value.
    #[serde(default)]
    pub regex: Option<String>,
    /// Parse the value into a type.
    #[serde(default, rename = "type")]
    pub value_type: ValueType,
    /// For `type = "date"`: chrono format of the input (e.g. "%d %B %Y").
    /// Without it, RFC 3339 and `YYYY-MM-DD` are accepted.
    #[serde(default)]
    pub format: Option<String>,
    /// Collect every match as a list instead of the first one.
    #[serde(default)]
    pub list: bool,
    /// An item missing this field (or whose value fails to parse) is dropped
    /// with a warning.
    #[serde(default)]
    pub required: bool,
    /// Value used when nothing matched.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
}

/// What to read from an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldMode {
    Text,
    Html,
    Attr,
}

/// Where a field's raw value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldSource {
    #[default]
    Element,
    /// The page's final URL (useful with `regex`).
    Url,
}

/// Type a raw string is parsed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// Kept as a string (default).
    #[default]
    String,
    /// A float; thousands separators and currency symbols are stripped ("$1,299.00").
    Number,
    /// An integer; separators stripped ("1,024" -> 1024).
    Integer,
    /// A date rendered as ISO 8601 (`YYYY-MM-DD`, or RFC 3339 with a time).
    Date,
    /// A URL resolved against the page URL ("../img/a.jpg" -> absolute).
    Url,
    /// "true/yes/1/on" or "false/no/0/off" (case-insensitive).
    Boolean,
}

/// Request settings shared by every request of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSettings {
    /// The User-Agent header; also the agent name matched in robots.txt.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Extra headers sent with every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Cookies sent with every request (`name = "value"`).
    #[serde(default)]
    pub cookies: BTreeMap<String, String>,
    /// Time allowed to establish the connection (TCP + TLS).
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: f64,
    /// Time allowed from sending the request to receiving response headers.
    #[serde(default = "default_first_byte_timeout_secs")]
    pub first_byte_timeout_secs: f64,
    /// Time allowed for the whole exchange, body included (stops slow-drip servers).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: f64,
    /// Largest body accepted, measured after decompression (stops bombs).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// Redirects followed per request before giving up.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: u32,
    /// Retries after connect errors, timeouts, 429 and 5xx (with exponential
    /// backoff and jitter, honouring Retry-After).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Base delay of the exponential backoff.
    #[serde(default = "default_retry_base_millis")]
    pub retry_base_millis: u64,
    /// Longest Retry-After honoured; a longer one fails the request instead.
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Proxy for every request (`http://`, `https://` or `socks5://` URL).
    #[serde(default)]
    pub proxy: Option<String>,
}

fn default_user_agent() -> String {
    concat!("trawl/", env!("CARGO_PKG_VERSION"), " (+https://trawl.invalid/bot)").to_owned()
}
fn default_connect_timeout_secs() -> f64 {
    10.0
}
fn default_first_byte_timeout_secs() -> f64 {
    20.0
}
fn default_timeout_secs() -> f64 {
    60.0
}
fn default_max_body_bytes() -> u64 {
    16 * 1024 * 1024
}
fn default_max_redirects() -> u32 {
    10
}
fn default_retries() -> u32 {
    3
}
fn default_retry_base_millis() -> u64 {
    500
}
fn default_max_retry_after_secs() -> u64 {
    120
}

impl Default for RequestSettings {
    fn default() -> Self {
        RequestSettings {
            user_agent: default_user_agent(),
            headers: BTreeMap::new(),
            cookies: BTreeMap::new(),
            connect_timeout_secs: default_connect_timeout_secs(),
            first_byte_timeout_secs: default_first_byte_timeout_secs(),
            timeout_secs: default_timeout_secs(),
            max_body_bytes: default_max_body_bytes(),
            max_redirects: default_max_redirects(),
            retries: default_retries(),
            retry_base_millis: default_retry_base_millis(),
            max_retry_after_secs: default_max_retry_after_secs(),
            proxy: None,
        }
    }
}

/// Politeness limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Politeness {
    /// Requests in flight for the whole run.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// Requests in flight per host.
    #[serde(default = "default_per_host_concurrency")]
    pub per_host_concurrency: u32,
    /// Requests per second per host; 0 means no rate limit.
    #[serde(default)]
    pub per_host_rate: f64,
    /// Fetch and obey robots.txt (allow/deny and crawl-delay).
    #[serde(default = "default_true")]
    pub obey_robots: bool,
}

fn default_concurrency() -> u32 {
    32
}
fn default_per_host_concurrency() -> u32 {
    8
}
fn default_true() -> bool {
    true
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            concurrency: default_concurrency(),
            per_host_concurrency: default_per_host_concurrency(),
            per_host_rate: 0.0,
            obey_robots: true,
        }
    }
}

/// A file written when the run ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// File format.
    #[serde(rename = "type")]
    pub format: SinkFormat,
    /// Output path; relative paths are resolved against the spec file's folder.
    pub path: String,
}

/// Dataset file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SinkFormat {
    Jsonl,
    Csv,
    Parquet,
}
