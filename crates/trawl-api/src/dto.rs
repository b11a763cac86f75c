//! The API's wire types (JSON), converted from engine and store types.
//!
//! Both the server and [`crate::client::ApiClient`] use these, so they derive
//! `Serialize` and `Deserialize`; engine and store types stay free of serde
//! for the UI's sake. Field names are part of the API: renaming one is a
//! breaking change of `/api/openapi.json`.

use serde::{Deserialize, Serialize};
use trawl_engine::{PauseMode, ProgressSnapshot, RunView};
use trawl_events::{Envelope, ResourceSample};
use trawl_store::{Counters, RunRecord};
use trawl_types::{Item, RunId, RunState};

/// `POST /api/runs`: start a run from spec text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRunRequest {
    /// The crawl spec, as TOML text.
    pub spec_toml: String,
    /// Queue priority: higher starts first (default 0).
    #[serde(default)]
    pub priority: Option<i32>,
    /// Where the spec was read from, recorded with the run (relative sink
    /// paths of a later `trawl resume` are resolved against it).
    #[serde(default)]
    pub spec_path: Option<String>,
}

/// `POST /api/runs/{id}/pause`: how to treat pages in flight.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PauseModeDto {
    /// Let in-flight pages finish and commit (default).
    #[default]
    Finish,
    /// Abort in-flight pages; they stay pending and are fetched on resume.
    Abort,
}

impl From<PauseModeDto> for PauseMode {
    fn from(mode: PauseModeDto) -> PauseMode {
        match mode {
            PauseModeDto::Finish => PauseMode::FinishInFlight,
            PauseModeDto::Abort => PauseMode::AbortInFlight,
        }
    }
}

/// Body of `POST /api/runs/{id}/pause` (optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    #[serde(default)]
    pub mode: PauseModeDto,
}

/// The durable counters of a run, as last committed.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CountersDto {
    pub pages_ok: u64,
    pub pages_failed: u64,
    pub pages_skipped: u64,
    pub items_stored: u64,
    pub items_duplicate: u64,
    pub items_dropped: u64,
    pub bytes_fetched: u64,
    pub links_queued: u64,
    pub requests_retried: u64,
    pub warnings: u64,
}

impl From<&Counters> for CountersDto {
    fn from(counters: &Counters) -> CountersDto {
        CountersDto {
            pages_ok: counters.pages_ok,
            pages_failed: counters.pages_failed,
            pages_skipped: counters.pages_skipped,
            items_stored: counters.items_stored,
            items_duplicate: counters.items_duplicate,
            items_dropped: counters.items_dropped,
            bytes_fetched: counters.bytes_fetched,
            links_queued: counters.links_queued,
            requests_retried: counters.requests_retried,
            warnings: counters.warnings,
        }
    }
}

/// Live counters of a run that is queued or running in the server's engine.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProgressDto {
    pub pages_ok: u64,
    pub pages_failed: u64,
    pub items_stored: u64,
    pub items_dropped: u64,
    pub bytes_fetched: u64,
    pub in_flight: u64,
    pub queued: u64,
    pub retries: u64,
}

impl From<ProgressSnapshot> for ProgressDto {
    fn from(snapshot: ProgressSnapshot) -> ProgressDto {
        ProgressDto {
            pages_ok: snapshot.pages_ok,
            pages_failed: snapshot.pages_failed,
            items_stored: snapshot.items_stored,
            items_dropped: snapshot.items_dropped,
            bytes_fetched: snapshot.bytes_fetched,
            in_flight: snapshot.in_flight,
            queued: snapshot.queued,
            retries: snapshot.retries,
        }
    }
}

/// A run: its stored record, plus live progress while it is active.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunDto {
    pub run_id: RunId,
    pub name: String,
    pub state: RunState,
    pub created_at_millis: i64,
    pub started_at_millis: Option<i64>,
    pub finished_at_millis: Option<i64>,
    pub spec_path: Option<String>,
    pub spec_hash: String,
    pub error: Option<String>,
    pub counters: CountersDto,
    /// Present while the run is queued or running in the server's engine.
    pub progress: Option<ProgressDto>,
}

impl RunDto {
    pub fn from_record(record: &RunRecord, progress: Option<ProgressSnapshot>) -> RunDto {
        RunDto {
            run_id: record.run_id,
            name: record.name.clone(),
            state: record.state,
            created_at_millis: record.created_at_millis,
            started_at_millis: record.started_at_millis,
            finished_at_millis: record.finished_at_millis,
            spec_path: record.spec_path.clone(),
            spec_hash: record.spec_hash.clone(),
            error: record.error.clone(),
            counters: CountersDto::from(&record.counters),
            progress: progress.map(ProgressDto::from),
        }
    }
}

impl From<&RunView> for RunDto {
    fn from(view: &RunView) -> RunDto {
        RunDto::from_record(&view.record, view.progress)
    }
}

/// `GET /api/runs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunListDto {
    /// Newest first.
    pub runs: Vec<RunDto>,
}

/// One stored item. `fields` is the item exactly as extracted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemDto {
    pub kind: String,
    pub key: Option<String>,
    pub url: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl From<Item> for ItemDto {
    fn from(item: Item) -> ItemDto {
        ItemDto {
            kind: item.kind,
            key: item.key,
            url: item.url,
            fields: item.fields,
        }
    }
}

/// `GET /api/runs/{id}/items`: one page of a run's items in insertion order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemPageDto {
    pub run_id: RunId,
    pub offset: u64,
    pub limit: u64,
    /// Items of the run in the store now (grows while it runs).
    pub total: u64,
    pub items: Vec<ItemDto>,
}

/// A page of stored events (`GET /api/runs/{id}/events/history`). Events
/// are sent as `trawl-events` defines them (a deliberate boundary: the same
/// shape is stored, streamed and shown by `trawl events --json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventPageDto {
    pub events: Vec<Envelope>,
    /// The seq to pass as `after` for the next page; `None`: no more.
    pub next_after: Option<u64>,
}

/// A run's resource samples (`GET /api/runs/{id}/samples`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SamplesDto {
    pub samples: Vec<ResourceSample>,
}

/// One problem of an invalid spec (the `details` of a 422 `invalid_spec`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProblemDto {
    pub message: String,
    pub help: Option<String>,
    pub line: usize,
    pub column: usize,
    pub key_path: String,
}

impl From<&trawl_spec::Problem> for ProblemDto {
    fn from(problem: &trawl_spec::Problem) -> ProblemDto {
        ProblemDto {
            message: problem.message.clone(),
            help: problem.help.clone(),
            line: problem.line,
            column: problem.column,
            key_path: problem.key_path.clone(),
        }
    }
}

/// `GET /api/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthDto {
    /// Always `"ok"` when the server answers.
    pub status: String,
    /// The trawl-api crate version.
    pub version: String,
    /// Process id of the server, to tell a restarted server apart.
    pub pid: u32,
}

/// The JSON error shape of every failed request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBodyDto {
    pub error: ErrorDto,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub details: Option<Vec<ProblemDto>>,
}
