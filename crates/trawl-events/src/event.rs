//! The typed vocabulary of everything that happens in a run.
//!
//! Events are one of the few deliberate serialization boundaries (with specs
//! and stored items): they are persisted per run as JSON, streamed to the UI
//! and read back by `trawl events`, `trawl stats` and replay. So their shape
//! is a contract: variants and fields are only ever added, the `kind` tag of a
//! variant never changes, and names follow `docs/specs/events.md`
//! (past-tense `<Noun><Verb>`, units in field names).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trawl_types::RunState;

/// Something that happened, with what a person debugging the run needs.
///
/// URLs are the canonical URLs the frontier knows the request by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The run was created `queued`.
    RunCreated { name: String, priority: i32 },
    /// The run moved between lifecycle states; `reason` is a stable snake_case
    /// name (`started`, `pause_requested`, `completed`, `error`, ...).
    RunStateChanged {
        from: RunState,
        to: RunState,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A URL entered the frontier.
    RequestScheduled {
        url: String,
        depth: u32,
        source: ScheduleSource,
        /// The page whose link it was (`source = link`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// A fetch attempt began (attempt 0 is the first, then one per retry).
    RequestStarted { url: String, attempt: u32 },
    /// An attempt is retried after `delay_millis` (`reason`: the status or
    /// error kind that made it retryable).
    RequestRetried {
        url: String,
        attempt: u32,
        delay_millis: u64,
        reason: String,
    },
    /// A response arrived and the page is finished; `outcome` is what the
    /// frontier records (`ok`, `http_404`, `not_html`, `binary_content`, ...).
    RequestFetched {
        url: String,
        status: u16,
        bytes: u64,
        /// From the start of the last attempt to the end of the body.
        elapsed_millis: u64,
        outcome: String,
        /// Where redirects ended, when not at `url`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        final_url: Option<String>,
    },
    /// No usable response after all retries (timeout, body too large,
    /// redirect loop, ...); `outcome` is the error kind.
    RequestFailed {
        url: String,
        outcome: String,
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elapsed_millis: Option<u64>,
    },
    /// The page was not fetched on purpose (`robots_denied`, ...).
    RequestSkipped { url: String, reason: String },
    /// Extraction of a fetched page: items found and dropped, and what
    /// happened to its links (`links_filtered` by reason: `seen`,
    /// `out_of_domain`, `denied`, `too_deep`, ...).
    PageExtracted {
        url: String,
        items: u32,
        items_dropped: u32,
        warnings: u32,
        links_found: u32,
        links_followed: u32,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        links_filtered: BTreeMap<String, u32>,
    },
    /// An item was dropped by extraction (`reason`: `missing_required`,
    /// `unparsable`, `missing_key`).
    ItemDropped {
        url: String,
        rule: String,
        reason: String,
        message: String,
    },
    /// Something odd that did not stop anything (a bad link, a parser limit).
    WarningRaised {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        warning: String,
        message: String,
    },
    /// A checkpoint transaction committed `pages` finished pages.
    CheckpointCommitted {
        pages: u32,
        items_inserted: u64,
        items_duplicate: u64,
        links_inserted: u64,
        elapsed_millis: u64,
    },
    /// The governor holds a host back (`reason`: `retry_after`, `crawl_delay`).
    HostThrottled {
        host: String,
        delay_millis: u64,
        reason: String,
    },
    /// The governor changed a limit (`scope`: `global`, `run` or a host;
    /// `limit`: `concurrency`, `rate`, ...), with why.
    LimitChanged {
        scope: String,
        limit: String,
        from: u64,
        to: u64,
        reason: String,
    },
    /// A schedule started this run.
    ScheduleFired {
        schedule: String,
        scheduled_for_millis: i64,
    },
    /// A dataset file was written (atomically, with its manifest).
    ExportWritten {
        path: String,
        format: String,
        items: u64,
        sha256: String,
    },
}

/// Where a scheduled URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleSource {
    StartUrl,
    Sitemap,
    Link,
}

/// One reading of the resource sampler. Not an event: samples are a time
/// series of their own (`run_samples`, `GET /api/runs/{id}/samples`), so the
/// event log stays a record of decisions that a replay can reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceSample {
    pub at_millis: i64,
    /// Share of one core used by this process since the last sample (100 = one core).
    pub process_cpu_percent: f64,
    /// Share of all cores busy since the last sample (100 = every core).
    pub system_cpu_percent: f64,
    pub process_rss_bytes: u64,
    pub system_memory_used_bytes: u64,
    pub system_memory_total_bytes: u64,
    pub open_sockets: u64,
    /// The store file and its WAL.
    pub store_bytes: u64,
}

/// How much attention an event deserves; used to filter (`--level warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "debug" | "trace" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" | "warning" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// The `kind` tags of [`Event`], for filtering without decoding payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    RunCreated,
    RunStateChanged,
    RequestScheduled,
    RequestStarted,
    RequestRetried,
    RequestFetched,
    RequestFailed,
    RequestSkipped,
    PageExtracted,
    ItemDropped,
    WarningRaised,
    CheckpointCommitted,
    HostThrottled,
    LimitChanged,
    ScheduleFired,
    ExportWritten,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        EventKind::RunCreated,
        EventKind::RunStateChanged,
        EventKind::RequestScheduled,
        EventKind::RequestStarted,
        EventKind::RequestRetried,
        EventKind::RequestFetched,
        EventKind::RequestFailed,
        EventKind::RequestSkipped,
        EventKind::PageExtracted,
        EventKind::ItemDropped,
        EventKind::WarningRaised,
        EventKind::CheckpointCommitted,
        EventKind::HostThrottled,
        EventKind::LimitChanged,
        EventKind::ScheduleFired,
        EventKind::ExportWritten,
    ];

    /// The `kind` tag in JSON and in the store's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RunCreated => "run_created",
            EventKind::RunStateChanged => "run_state_changed",
            EventKind::RequestScheduled => "request_scheduled",
            EventKind::RequestStarted => "request_started",
            EventKind::RequestRetried => "request_retried",
            EventKind::RequestFetched => "request_fetched",
            EventKind::RequestFailed => "request_failed",
            EventKind::RequestSkipped => "request_skipped",
            EventKind::PageExtracted => "page_extracted",
            EventKind::ItemDropped => "item_dropped",
            EventKind::WarningRaised => "warning_raised",
            EventKind::CheckpointCommitted => "checkpoint_committed",
            EventKind::HostThrottled => "host_throttled",
            EventKind::LimitChanged => "limit_changed",
            EventKind::ScheduleFired => "schedule_fired",
            EventKind::ExportWritten => "export_written",
        }
    }

    /// Parses [`EventKind::as_str`]'s names (also with `-` for `_`).
    pub fn parse(text: &str) -> Option<EventKind> {
        let wanted = text.trim().replace('-', "_");
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == wanted)
    }

    /// Every name, for error messages (`expected one of ...`).
    pub fn names() -> String {
        EventKind::ALL.map(EventKind::as_str).join(", ")
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::RunCreated { .. } => EventKind::RunCreated,
            Event::RunStateChanged { .. } => EventKind::RunStateChanged,
            Event::RequestScheduled { .. } => EventKind::RequestScheduled,
            Event::RequestStarted { .. } => EventKind::RequestStarted,
            Event::RequestRetried { .. } => EventKind::RequestRetried,
            Event::RequestFetched { .. } => EventKind::RequestFetched,
            Event::RequestFailed { .. } => EventKind::RequestFailed,
            Event::RequestSkipped { .. } => EventKind::RequestSkipped,
            Event::PageExtracted { .. } => EventKind::PageExtracted,
            Event::ItemDropped { .. } => EventKind::ItemDropped,
            Event::WarningRaised { .. } => EventKind::WarningRaised,
            Event::CheckpointCommitted { .. } => EventKind::CheckpointCommitted,
            Event::HostThrottled { .. } => EventKind::HostThrottled,
            Event::LimitChanged { .. } => EventKind::LimitChanged,
            Event::ScheduleFired { .. } => EventKind::ScheduleFired,
            Event::ExportWritten { .. } => EventKind::ExportWritten,
        }
    }

    pub fn level(&self) -> Level {
        match self {
            Event::RunStateChanged { to, .. } if *to == RunState::Failed => Level::Error,
            Event::RequestFailed { .. }
            | Event::ItemDropped { .. }
            | Event::WarningRaised { .. } => Level::Warn,
            Event::RequestFetched { outcome, .. } if outcome != "ok" && outcome != "not_html" => {
                Level::Warn
            }
            Event::RequestStarted { .. }
            | Event::RequestScheduled { .. }
            | Event::PageExtracted { .. }
            | Event::CheckpointCommitted { .. } => Level::Debug,
            _ => Level::Info,
        }
    }

    /// The request URL the event is about, if any (for `--grep` and the UI).
    pub fn url(&self) -> Option<&str> {
        match self {
            Event::RequestScheduled { url, .. }
            | Event::RequestStarted { url, .. }
            | Event::RequestRetried { url, .. }
            | Event::RequestFetched { url, .. }
            | Event::RequestFailed { url, .. }
            | Event::RequestSkipped { url, .. }
            | Event::PageExtracted { url, .. }
            | Event::ItemDropped { url, .. } => Some(url),
            Event::WarningRaised { url, .. } => url.as_deref(),
            _ => None,
        }
    }
}

/// The stored form of an event: its JSON without the `kind` tag, which the
/// store keeps in a column of its own (a tenth of a typical event's bytes).
///
/// serde writes an internally tagged enum's tag first (`{"kind":"…",…}`), so
/// dropping it is a cut of that prefix, not a re-encode; [`decode_stored`]
/// puts it back. A test checks the round trip for every kind.
pub fn encode_stored(event: &Event) -> String {
    // Serializing a plain enum of strings and numbers cannot fail.
    let mut json = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    const TAG_START: &str = "{\"kind\":\"";
    let kind = event.kind().as_str();
    let tag_len = TAG_START.len() + kind.len() + 1;
    let tagged = json.starts_with(TAG_START)
        && json[TAG_START.len()..].starts_with(kind)
        && json.as_bytes().get(tag_len - 1) == Some(&b'"');
    if tagged {
        // `{"kind":"x","a":1}` -> `{"a":1}`, `{"kind":"x"}` -> `{}`, in place.
        let cut_to = if json.as_bytes().get(tag_len) == Some(&b',') {
            tag_len + 1
        } else {
            tag_len
        };
        json.replace_range(1..cut_to, "");
    }
    // Otherwise (not the expected shape) it is kept whole; decoding accepts both.
    json
}

/// An event from its stored `kind` and payload (with or without the tag).
pub fn decode_stored(kind: &str, payload: &str) -> Result<Event, serde_json::Error> {
    let trimmed = payload.trim_start();
    if trimmed.starts_with("{\"kind\"") {
        return serde_json::from_str(payload);
    }
    let Some(fields) = trimmed.strip_prefix('{') else {
        // Not an object: let serde say what is wrong.
        return serde_json::from_str(payload);
    };
    let kind_json = serde_json::to_string(kind)?;
    let fields = fields.trim_start();
    let tagged = if fields.starts_with('}') {
        format!("{{\"kind\":{kind_json}{fields}")
    } else {
        format!("{{\"kind\":{kind_json},{fields}")
    };
    serde_json::from_str(&tagged)
}
