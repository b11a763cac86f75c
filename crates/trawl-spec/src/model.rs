//! The crawl spec's data model: what a user writes in `books.toml`.
//!
//! These types are the config side only (vector's `*Config`): they are parsed
//! and validated once, then each component builds its running form from them
//! (`Extractor::build`, `Fetcher::new`, ...). Units live in key names
//! (`timeout_secs`, `max_body_bytes`). Every field has a default so the
//! smallest useful spec is `start_urls = ["https://example.com/"]`.
//!
//! The doc comments here are the user-facing reference of every key: they
//! flow into the JSON Schema (`trawl spec schema`) that editors show as
//! completion and hover help, so they say what a key does, its default and
//! its limits, in the user's words.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trawl_types::Secret;

/// A whole crawl spec: where to start, which links to follow, what to
/// extract, how to fetch, how politely, and which files to write.
///
/// At least one of `start_urls` and `sitemaps` is required; everything else
/// has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Trawl crawl spec")]
pub struct Spec {
    /// Human name of the crawl; used in `trawl runs` and export file names.
    /// Must not be empty. Default: "crawl".
    #[serde(default = "default_name")]
    #[schemars(length(min = 1))]
    pub name: String,
    /// Pages the crawl starts from (absolute http or https URLs, depth 0),
    /// e.g. `["https://books.example/catalog/"]`.
    #[serde(default)]
    #[schemars(inner(url))]
    pub start_urls: Vec<String>,
    /// Sitemap URLs (XML sitemaps or sitemap indexes, absolute http or https)
    /// whose `<loc>` entries are added to the frontier at depth 1.
    #[serde(default)]
    #[schemars(inner(url))]
    pub sitemaps: Vec<String>,
    /// Hosts the crawl may visit: bare host names or IP addresses, no scheme,
    /// port or path (`example.com`, not `https://example.com/`). Subdomains
    /// are included (`example.com` allows `www.example.com`, not
    /// `evilexample.com`). Empty means: the hosts of `start_urls` and `sitemaps`.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Which links to follow.
    #[serde(default)]
    pub follow: FollowRules,
    /// Extraction rules (`[[extract]]`): each turns matching pages into items.
    /// Rule names must be unique. Without any rule the crawl only follows links.
    #[serde(default)]
    pub extract: Vec<ExtractRule>,
    /// How each request is made.
    #[serde(default)]
    pub request: RequestSettings,
    /// How hard the crawl may hit each site.
    #[serde(default)]
    pub politeness: Politeness,
    /// Files written when the run ends (`[[sinks]]`), in addition to the
    /// embedded store. Each sink needs its own path.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    /// Keep the run's event log (every request scheduled, started, fetched,
    /// failed or retried, every page's items and links) in the store, for
    /// `trawl events`, `trawl stats` and the UI. Default: true.
    /// `false` saves its disk space and a few percent of CPU; the run's
    /// state changes are recorded either way, and events still stream live.
    #[serde(default = "default_true")]
    pub event_log: bool,
    /// Record every HTTP exchange of the run (and every failed fetch) as
    /// WARC files in `DATA_DIR/runs/RUN/recording/`, so `trawl replay RUN`
    /// can re-run it offline. `trawl run --record` turns it on for one run.
    /// Default: false.
    #[serde(default)]
    pub record: bool,
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
    /// candidate. Default: every `a[href]`. The selector engine (lol_html)
    /// supports a subset of CSS: tag, `.class`, `#id`, attribute selectors,
    /// descendant and child (`>`) combinators, `:nth-child()`, `:first-child`,
    /// `:nth-of-type()`, `:first-of-type` and `:not()`; not `:has()`, sibling
    /// combinators (`+`, `~`) or pseudo-elements.
    #[serde(default = "default_follow_selectors")]
    pub selectors: Vec<String>,
    /// Regexes (Rust `regex` syntax) matched anywhere in the absolute,
    /// canonical URL; when non-empty, a link must match one, e.g.
    /// `['/catalogue/']`. Write them in single quotes so backslashes are kept.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes matched anywhere in the absolute, canonical URL; a link
    /// matching any is dropped, even if it matches `allow`, e.g. `['/logout', '\?sort=']`.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Maximum link depth from a start URL (start URLs have depth 0, the links
    /// on them depth 1). Default: 1000 — deep enough for long paginations;
    /// use `max_pages` to bound a crawl's size.
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Stop scheduling new pages once this many pages were fetched. Default: 0,
    /// no limit.
    #[serde(default)]
    pub max_pages: u64,
    /// Sort query parameters when canonicalising URLs, so `?a=1&b=2` and
    /// `?b=2&a=1` count as one page. Default: false (some sites care about
    /// the order).
    #[serde(default)]
    pub sort_query: bool,
}

fn default_follow_selectors() -> Vec<String> {
    vec!["a[href]".to_owned()]
}

fn default_max_depth() -> u32 {
    1000
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
/// matching `root` becomes one item with the given fields, e.g.
///
/// ```toml
/// [[extract]]
/// name = "book"
/// url = '/catalogue/.+/index\.html$'
/// key = "upc"
/// fields.title = "h1"
/// fields.upc = "table tr:nth-child(1) td"
/// fields.price = { selector = ".price_color", type = "number" }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRule {
    /// Item kind, stored with each item and exported as `_kind` (e.g. "book").
    /// Unique among rules; must not be empty. Default: "item".
    #[serde(default = "default_item_name")]
    pub name: String,
    /// Regex matched anywhere in the page's final URL; when absent, every page
    /// is a candidate. Write it in single quotes: `'/product/\d+$'`.
    #[serde(default)]
    pub url: Option<String>,
    /// CSS selector of the element each item comes from (e.g. "article.product");
    /// every match is one item. When absent the whole page is one item. Field
    /// selectors are relative to it. Same CSS subset as `follow.selectors`.
    #[serde(default)]
    pub root: Option<String>,
    /// Name of one of `fields` whose value de-duplicates items across the run
    /// (a later item with the same key replaces the earlier one); exported as
    /// `_key`. Default: none, every item is kept.
    #[serde(default)]
    pub key: Option<String>,
    /// The fields, in the order they appear in exports (at least one). Names
    /// must not be empty or start with `_` (reserved for `_kind`, `_key` and
    /// `_url` in exports). A value is either a CSS selector (text of the first
    /// match) or a table (`{ selector = "...", type = "number" }`).
    #[schemars(extend("minProperties" = 1, "propertyNames" = { "pattern": "^[^_]" }))]
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
    /// CSS selector; the field is the whitespace-collapsed text of the first match.
    Selector(String),
    /// The full form.
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
    /// (or, without a root, a page-level value such as the page URL with
    /// `source = "url"`). Not allowed with `source = "url"`.
    #[serde(default)]
    pub selector: Option<String>,
    /// Read this attribute instead of the text (`attr = "href"`); implies
    /// `mode = "attr"`, conflicts with `mode = "text"` and `mode = "html"`.
    #[serde(default)]
    pub attr: Option<String>,
    /// What to read from the matched element: `text` (default, or `attr`
    /// when `attr` is set; whitespace collapsed), `html` (inner HTML), or
    /// `attr` (needs `attr`).
    #[serde(default)]
    pub mode: Option<FieldMode>,
    /// Where the value comes from: `element` (default) or `url`, the page's
    /// final URL (no `selector` then; combine with `regex` to cut out a part).
    #[serde(default)]
    pub source: FieldSource,
    /// Regex applied to the raw value; the first capture group (or the whole
    /// match when there is no group) becomes the value, e.g. `'(\d+) in stock'`.
    /// No match counts as missing.
    #[serde(default)]
    pub regex: Option<String>,
    /// Parse the value into a type: `string` (default), `number`, `integer`,
    /// `date`, `url` or `boolean`.
    #[serde(default, rename = "type")]
    pub value_type: ValueType,
    /// For `type = "date"` only: chrono `strftime` format of the input
    /// (e.g. "%d %B %Y"). Without it, RFC 3339 and `YYYY-MM-DD` are accepted.
    #[serde(default)]
    pub format: Option<String>,
    /// Collect every match as a list instead of the first one.
    #[serde(default)]
    pub list: bool,
    /// An item missing this field (or whose value fails to parse) is dropped
    /// with a warning.
    #[serde(default)]
    pub required: bool,
    /// Value used when nothing matched (any TOML value).
    #[serde(default)]
    pub default: Option<serde_json::Value>,
}

/// What to read from an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldMode {
    /// The element's text, whitespace collapsed.
    Text,
    /// The element's inner HTML.
    Html,
    /// The attribute named by `attr`.
    Attr,
}

/// Where a field's raw value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldSource {
    /// The element matched by `selector` (or the rule's `root`).
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
    /// Must not be empty. Default: `trawl/<version> (+https://trawl.invalid/bot)`.
    #[serde(default = "default_user_agent")]
    #[schemars(length(min = 1))]
    pub user_agent: String,
    /// Extra headers sent with every request, to every host the crawl
    /// visits. A value is a string (`headers.Accept-Language = "en"`), or a
    /// table for a secret: `{ value = "...", secret = true }` (written here,
    /// kept out of logs and events, but stored with the run's spec) or
    /// `{ env = "API_TOKEN" }` (read from the environment of the process that
    /// runs the crawl each time the run starts or resumes; never stored).
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderRule>,
    /// Cookies sent with every request (`name = "value"`).
    #[serde(default)]
    pub cookies: BTreeMap<String, String>,
    /// Seconds allowed to establish the connection (TCP + TLS); > 0. Default: 10.
    #[serde(default = "default_connect_timeout_secs")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub connect_timeout_secs: f64,
    /// Seconds allowed from sending the request to receiving the response
    /// headers; > 0. Default: 20.
    #[serde(default = "default_first_byte_timeout_secs")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub first_byte_timeout_secs: f64,
    /// Seconds allowed for the whole exchange, body included (stops slow-drip
    /// servers); > 0. Default: 60.
    #[serde(default = "default_timeout_secs")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub timeout_secs: f64,
    /// Largest body accepted in bytes, measured after decompression (stops
    /// decompression bombs); at least 1024. Default: 16777216 (16 MiB).
    #[serde(default = "default_max_body_bytes")]
    #[schemars(range(min = 1024))]
    pub max_body_bytes: u64,
    /// Redirects followed per request before giving up. Default: 10.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: u32,
    /// Retries after connect errors, timeouts, 429 and 5xx (with exponential
    /// backoff and jitter, honouring Retry-After). Default: 3.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Base delay of the exponential backoff, in milliseconds. Default: 500.
    #[serde(default = "default_retry_base_millis")]
    pub retry_base_millis: u64,
    /// Longest Retry-After honoured, in seconds; a longer one fails the request
    /// instead. Default: 120.
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Proxy for every request: an `http://`, `https://`, `socks5://` or
    /// `socks5h://` URL (socks5h resolves host names on the proxy). Default: none.
    #[serde(default)]
    pub proxy: Option<String>,
}

fn default_user_agent() -> String {
    concat!(
        "trawl/",
        env!("CARGO_PKG_VERSION"),
        " (+https://trawl.invalid/bot)"
    )
    .to_owned()
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

/// A header's value: a string is sent as written; a table marks it secret
/// or reads it from the environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum HeaderRule {
    /// The value, sent as written (not secret).
    Text(String),
    /// `{ value = "...", secret = true }` or `{ env = "VAR" }`.
    Table(HeaderTable),
}

/// The table form of a header: exactly one of `value` and `env`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderTable {
    /// The value, written in the spec. With `secret = true` it never appears
    /// in logs, events, error messages or exports, but it is stored with the
    /// run's spec in the store (use `env` to keep it out of the store too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub value: Option<Secret>,
    /// Treat `value` as a secret (sent as a sensitive header, redacted
    /// everywhere). Default: false; implied by `env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<bool>,
    /// Name of an environment variable holding the value, read when the run
    /// starts or resumes, in the process that runs it (`trawl run`, or the
    /// `trawl serve` it goes to). Always secret. A variable that is not set
    /// stops the run from starting, naming the variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub env: Option<String>,
}

impl HeaderRule {
    /// The environment variable this header reads, if any.
    pub fn env_var(&self) -> Option<&str> {
        match self {
            HeaderRule::Table(HeaderTable {
                env: Some(name), ..
            }) => Some(name),
            _ => None,
        }
    }

    /// Whether the value must be kept out of logs and sent as sensitive.
    pub fn is_secret(&self) -> bool {
        match self {
            HeaderRule::Text(_) => false,
            HeaderRule::Table(table) => table.env.is_some() || table.secret == Some(true),
        }
    }
}

/// A header's value as sent: plain, or a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedHeaderValue {
    Plain(String),
    Secret(Secret),
}

impl ResolvedHeaderValue {
    /// The text to send. Callers must mark a secret's header sensitive.
    pub fn expose(&self) -> &str {
        match self {
            ResolvedHeaderValue::Plain(text) => text,
            ResolvedHeaderValue::Secret(secret) => secret.expose(),
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, ResolvedHeaderValue::Secret(_))
    }
}

/// A header of the spec could not be given its value when the run was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// `{ env = "VAR" }` names a variable that is not set (or not UTF-8) in
    /// the process that builds the run.
    #[error(
        "header {header:?} reads environment variable {variable}, which is not set: set it in the environment of the process that runs the crawl (`trawl run`, or the `trawl serve` it goes to)"
    )]
    UnsetVariable { header: String, variable: String },
    /// A table with neither `value` nor `env` (validation rejects it; this
    /// is for specs built in code).
    #[error("header {header:?} has no value: give `value` or `env`")]
    NoValue { header: String },
}

impl RequestSettings {
    /// Every header with its value, `env` ones read through `lookup`
    /// (`|name| std::env::var(name).ok()` in a real run). Fails on the first
    /// header that cannot be resolved; the error never holds a value.
    pub fn resolve_headers(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, ResolvedHeaderValue)>, HeaderError> {
        self.headers
            .iter()
            .map(|(name, rule)| {
                let value = match rule {
                    HeaderRule::Text(text) => ResolvedHeaderValue::Plain(text.clone()),
                    HeaderRule::Table(HeaderTable {
                        env: Some(variable),
                        ..
                    }) => match lookup(variable) {
                        Some(value) => ResolvedHeaderValue::Secret(Secret::new(value)),
                        None => {
                            return Err(HeaderError::UnsetVariable {
                                header: name.clone(),
                                variable: variable.clone(),
                            });
                        }
                    },
                    HeaderRule::Table(HeaderTable {
                        value: Some(value),
                        secret,
                        ..
                    }) => {
                        if *secret == Some(true) {
                            ResolvedHeaderValue::Secret(value.clone())
                        } else {
                            ResolvedHeaderValue::Plain(value.expose().to_owned())
                        }
                    }
                    HeaderRule::Table(_) => {
                        return Err(HeaderError::NoValue {
                            header: name.clone(),
                        });
                    }
                };
                Ok((name.clone(), value))
            })
            .collect()
    }

    /// `(header, variable)` for every `env` header whose variable `lookup`
    /// does not find: what `trawl spec check` warns about.
    pub fn unset_env_vars(&self, lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|(name, rule)| {
                let variable = rule.env_var()?;
                lookup(variable)
                    .is_none()
                    .then(|| (name.clone(), variable.to_owned()))
            })
            .collect()
    }
}

/// Politeness limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Politeness {
    /// Requests in flight for the whole run; at least 1. Default: 32.
    #[serde(default = "default_concurrency")]
    #[schemars(range(min = 1))]
    pub concurrency: u32,
    /// Requests in flight per host; at least 1 and at most `concurrency`. Default: 8.
    #[serde(default = "default_per_host_concurrency")]
    #[schemars(range(min = 1))]
    pub per_host_concurrency: u32,
    /// Requests per second per host (e.g. 0.5 is one request every two
    /// seconds); 0 means no rate limit. Default: 0.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub per_host_rate: f64,
    /// Requests that may start at once on a host after an idle spell, before
    /// `per_host_rate` spaces them (a token bucket); at least 1. A robots.txt
    /// crawl-delay allows no burst. Default: 1.
    #[serde(default = "default_burst")]
    #[schemars(range(min = 1))]
    pub per_host_burst: u32,
    /// Fetch and obey robots.txt (allow/deny and crawl-delay). Default: true.
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
fn default_burst() -> u32 {
    1
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            concurrency: default_concurrency(),
            per_host_concurrency: default_per_host_concurrency(),
            per_host_rate: 0.0,
            per_host_burst: default_burst(),
            obey_robots: true,
        }
    }
}

/// A file written when the run ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// File format: `jsonl`, `csv` or `parquet`.
    #[serde(rename = "type")]
    pub format: SinkFormat,
    /// Output path; relative paths are resolved against the spec file's folder.
    /// Must not be empty, and no two sinks may share a path.
    #[schemars(length(min = 1))]
    pub path: String,
}

/// Dataset file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SinkFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row; lists are JSON-encoded.
    Csv,
    /// Apache Parquet, one column per field.
    Parquet,
}
