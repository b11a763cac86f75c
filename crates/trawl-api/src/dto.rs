//! The API's wire types (JSON), converted from engine, store and schedule types.
//!
//! Both the server and [`crate::client::ApiClient`] use these, so they derive
//! `Serialize` and `Deserialize`; engine and store types stay free of serde
//! for the UI's sake. Field names are part of the API: renaming one is a
//! breaking change of `/api/openapi.json`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trawl_engine::{PauseMode, ProgressSnapshot, RunView};
use trawl_events::{Envelope, ResourceSample};
use trawl_schedule::{FireView, MissedRunPolicy, OverlapPolicy, ScheduleTarget, ScheduleView};
use trawl_store::{Counters, FireState, RunRecord, RunSchedule};
use trawl_types::{Item, RunId, RunState, ScheduleId};

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
    /// Record every exchange (WARC) so the run can be replayed (default false;
    /// the spec's `record = true` also turns it on).
    #[serde(default)]
    pub record: Option<bool>,
}

/// `POST /api/runs/{id}/replay`: replay a recorded run, with its own spec or
/// this one (new extraction and link rules).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    #[serde(default)]
    pub spec_toml: Option<String>,
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
    /// The schedule whose fire started the run; `null` for a run started by
    /// hand (or by a schedule since removed).
    #[serde(default)]
    pub schedule: Option<RunScheduleDto>,
}

/// Which schedule started a run, and for which fire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunScheduleDto {
    pub schedule_id: ScheduleId,
    pub name: String,
    pub fire_id: i64,
    pub scheduled_for_millis: i64,
}

impl From<&RunSchedule> for RunScheduleDto {
    fn from(link: &RunSchedule) -> RunScheduleDto {
        RunScheduleDto {
            schedule_id: link.schedule_id,
            name: link.schedule_name.clone(),
            fire_id: link.fire_id.0,
            scheduled_for_millis: link.scheduled_for_millis,
        }
    }
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
            schedule: None,
        }
    }

    /// Names the schedule that started the run.
    pub fn with_schedule(mut self, link: Option<&RunSchedule>) -> RunDto {
        self.schedule = link.map(RunScheduleDto::from);
        self
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
    /// The request field an `invalid_schedule` error is about (`cron`,
    /// `time_zone`, `missed_max`, ...).
    #[serde(default)]
    pub field: Option<String>,
}

/// Overlap policy of a schedule: what a fire does while the previous run is active.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OverlapDto {
    /// Skip the fire (default).
    #[default]
    Skip,
    /// Start it when the previous run ends (at most one waits).
    Queue,
    /// Cancel the previous run, then start.
    CancelPrevious,
}

impl From<OverlapDto> for OverlapPolicy {
    fn from(overlap: OverlapDto) -> OverlapPolicy {
        match overlap {
            OverlapDto::Skip => OverlapPolicy::Skip,
            OverlapDto::Queue => OverlapPolicy::Queue,
            OverlapDto::CancelPrevious => OverlapPolicy::CancelPrevious,
        }
    }
}

impl From<OverlapPolicy> for OverlapDto {
    fn from(overlap: OverlapPolicy) -> OverlapDto {
        match overlap {
            OverlapPolicy::Skip => OverlapDto::Skip,
            OverlapPolicy::Queue => OverlapDto::Queue,
            OverlapPolicy::CancelPrevious => OverlapDto::CancelPrevious,
        }
    }
}

/// Missed-run policy of a schedule: what happens to fire times that passed
/// while no `trawl serve` was running.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MissedDto {
    /// Forget them (one skipped fire records how many) (default).
    #[default]
    Skip,
    /// Run once, for the latest missed time.
    RunOnce,
    /// Run the latest `missed_max` of them, oldest first.
    RunAll,
}

impl MissedDto {
    /// The policy with its bound (`missed_max`, required by `run_all`).
    pub fn with_max(self, missed_max: Option<u32>) -> MissedRunPolicy {
        match self {
            MissedDto::Skip => MissedRunPolicy::Skip,
            MissedDto::RunOnce => MissedRunPolicy::RunOnce,
            MissedDto::RunAll => MissedRunPolicy::RunAll {
                max: missed_max.unwrap_or(0),
            },
        }
    }
}

impl From<MissedRunPolicy> for MissedDto {
    fn from(missed: MissedRunPolicy) -> MissedDto {
        match missed {
            MissedRunPolicy::Skip => MissedDto::Skip,
            MissedRunPolicy::RunOnce => MissedDto::RunOnce,
            MissedRunPolicy::RunAll { .. } => MissedDto::RunAll,
        }
    }
}

/// `POST /api/schedules`: add a schedule. Give exactly one of `spec_toml`
/// (stored as a snapshot) and `spec_path` (an absolute path on the server's
/// machine, re-read at each fire).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateScheduleRequest {
    /// Unique; default: the spec's `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// 5 fields (minute hour day-of-month month day-of-week), 6 with seconds
    /// first, or @hourly/@daily/@weekly/@monthly/@yearly.
    pub cron: String,
    /// IANA time zone the cron is read in (default `UTC`).
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub spec_toml: Option<String>,
    #[serde(default)]
    pub spec_path: Option<String>,
    #[serde(default)]
    pub overlap: OverlapDto,
    #[serde(default)]
    pub missed: MissedDto,
    /// Bound of `missed = "run_all"` (1-168).
    #[serde(default)]
    pub missed_max: Option<u32>,
    /// Each fire waits a fixed pseudo-random delay of up to this many seconds.
    #[serde(default)]
    pub jitter_secs: Option<u64>,
    /// Add it paused (default false).
    #[serde(default)]
    pub paused: Option<bool>,
}

/// A fire time, as unix milliseconds and as local time in the schedule's zone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FireTimeDto {
    pub at_millis: i64,
    /// RFC 3339 in the schedule's time zone, with its UTC offset
    /// (`2025-01-02T06:00:00+01:00`).
    pub local: String,
}

impl FireTimeDto {
    fn new<Zone: chrono::TimeZone>(time: DateTime<Utc>, zone: &Zone) -> FireTimeDto
    where
        Zone::Offset: std::fmt::Display,
    {
        FireTimeDto {
            at_millis: time.timestamp_millis(),
            local: time.with_timezone(zone).to_rfc3339(),
        }
    }
}

/// Where a fire is in its life.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FireStateDto {
    /// Recorded; its run is being handed to the engine.
    Firing,
    /// Waiting for the previous run to end (overlap `queue`).
    Queued,
    /// Its run was started (`run_id`).
    Submitted,
    /// Not run (`detail` says why).
    Skipped,
    /// Could not start its run (`detail` has the error).
    Failed,
}

impl From<FireState> for FireStateDto {
    fn from(state: FireState) -> FireStateDto {
        match state {
            FireState::Firing => FireStateDto::Firing,
            FireState::Queued => FireStateDto::Queued,
            FireState::Submitted => FireStateDto::Submitted,
            FireState::Skipped => FireStateDto::Skipped,
            FireState::Failed => FireStateDto::Failed,
        }
    }
}

/// One fire of a schedule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FireDto {
    pub fire_id: i64,
    pub schedule_id: ScheduleId,
    /// The cron time (before jitter).
    pub scheduled_for: FireTimeDto,
    pub jitter_millis: u64,
    pub state: FireStateDto,
    pub run_id: Option<RunId>,
    /// The run's state now.
    pub run_state: Option<RunState>,
    /// Why it was skipped, or the error of a failed fire.
    pub detail: Option<String>,
    pub recorded_at_millis: i64,
    pub updated_at_millis: i64,
}

impl FireDto {
    fn new<Zone: chrono::TimeZone>(view: &FireView, zone: &Zone) -> FireDto
    where
        Zone::Offset: std::fmt::Display,
    {
        let fire = &view.fire;
        FireDto {
            fire_id: fire.fire_id.0,
            schedule_id: fire.schedule_id,
            scheduled_for: FireTimeDto::new(view.scheduled_for, zone),
            jitter_millis: fire.jitter_millis,
            state: fire.state.into(),
            run_id: fire.run_id,
            run_state: view.run_state,
            detail: fire.detail.clone(),
            recorded_at_millis: fire.recorded_at_millis,
            updated_at_millis: fire.updated_at_millis,
        }
    }
}

/// A schedule with its next fire times and its latest fire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScheduleDto {
    pub schedule_id: ScheduleId,
    pub name: String,
    pub cron: String,
    pub time_zone: String,
    pub overlap: OverlapDto,
    pub missed: MissedDto,
    /// The bound of `missed = "run_all"`.
    pub missed_max: Option<u32>,
    pub jitter_secs: u64,
    /// The spec file re-read at each fire; `null` for a snapshot.
    pub spec_path: Option<String>,
    /// Whether the spec is stored text (a snapshot) rather than a file.
    pub spec_snapshot: bool,
    pub paused: bool,
    pub created_at_millis: i64,
    /// The latest cron time already decided (fired, queued or skipped).
    pub last_fire: Option<FireTimeDto>,
    /// The next five cron times after now (before jitter).
    pub next_fires: Vec<FireTimeDto>,
    /// A cron time that passed while no `trawl serve` ran; the missed-run
    /// policy decides it when one starts.
    pub overdue_since: Option<FireTimeDto>,
    /// A fire waiting for the previous run to end (overlap `queue`).
    pub queued_fire: Option<FireTimeDto>,
    /// The fire with the latest cron time, and its run's state.
    pub last_outcome: Option<FireDto>,
}

impl From<&ScheduleView> for ScheduleDto {
    fn from(view: &ScheduleView) -> ScheduleDto {
        let schedule = &view.schedule;
        let zone = schedule.cron.time_zone();
        let time = |time: DateTime<Utc>| FireTimeDto::new(time, &zone);
        let (spec_path, spec_snapshot) = match &schedule.target {
            ScheduleTarget::SpecFile(path) => (Some(path.display().to_string()), false),
            ScheduleTarget::SpecSnapshot(_) => (None, true),
        };
        let missed_max = match schedule.missed {
            MissedRunPolicy::RunAll { max } => Some(max),
            _ => None,
        };
        ScheduleDto {
            schedule_id: schedule.id,
            name: schedule.name.clone(),
            cron: schedule.cron.expression().to_owned(),
            time_zone: zone.name().to_owned(),
            overlap: schedule.overlap.into(),
            missed: schedule.missed.into(),
            missed_max,
            jitter_secs: schedule.jitter.as_secs(),
            spec_path,
            spec_snapshot,
            paused: schedule.paused,
            created_at_millis: view.created_at.timestamp_millis(),
            last_fire: schedule.last_fire.map(time),
            next_fires: view.next_fires.iter().copied().map(time).collect(),
            overdue_since: view.overdue_since.map(time),
            queued_fire: schedule.queued_fire.map(time),
            last_outcome: view
                .last_fire
                .as_ref()
                .map(|fire| FireDto::new(fire, &zone)),
        }
    }
}

/// `GET /api/schedules`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleListDto {
    /// Oldest first.
    pub schedules: Vec<ScheduleDto>,
}

/// `GET /api/schedules/{id}/fires`: newest cron time first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FireListDto {
    pub schedule_id: ScheduleId,
    pub fires: Vec<FireDto>,
}

impl FireListDto {
    /// The fires of `view`'s schedule, with local times in its zone.
    pub fn new(view: &ScheduleView, fires: &[FireView]) -> FireListDto {
        let zone = view.schedule.cron.time_zone();
        FireListDto {
            schedule_id: view.schedule.id,
            fires: fires.iter().map(|fire| FireDto::new(fire, &zone)).collect(),
        }
    }
}

/// `DELETE /api/schedules/{id}`: what was removed and what was kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RemovedScheduleDto {
    pub schedule_id: ScheduleId,
    pub name: String,
    /// Fire records deleted with the schedule.
    pub fires_deleted: usize,
    /// Runs the schedule started; they stay, with their datasets.
    pub runs_kept: Vec<RunId>,
}

impl From<&trawl_schedule::Removed> for RemovedScheduleDto {
    fn from(removed: &trawl_schedule::Removed) -> RemovedScheduleDto {
        RemovedScheduleDto {
            schedule_id: removed.schedule_id,
            name: removed.name.clone(),
            fires_deleted: removed.fires_deleted,
            runs_kept: removed.runs_kept.clone(),
        }
    }
}

/// `POST /api/timelines`: open a timeline over a run's event log (a replay
/// or a recorded run), optionally with breakpoints.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OpenTimelineRequest {
    pub run_id: RunId,
    /// Breakpoint expressions (`url~REGEX`, `kind=KIND`, `error`,
    /// `item.FIELD=VALUE`, ...); `play` stops at an event that hits any.
    #[serde(default)]
    pub breakpoints: Vec<String>,
}

/// `POST /api/timelines/{id}/step`: one event forward (of these kinds, when
/// given), or back.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub back: bool,
}

/// `POST /api/timelines/{id}/seek`: to the first event at or after `position`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SeekRequest {
    pub position: u64,
}

/// `POST /api/timelines/{id}/play`: move forward until a breakpoint or the
/// end, at `events_per_second` (0 or absent: as fast as possible).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlayRequest {
    #[serde(default)]
    pub events_per_second: u32,
}

/// `PUT /api/timelines/{id}/breakpoints`: replaces the breakpoints.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BreakpointsRequest {
    pub breakpoints: Vec<String>,
}

/// A timeline session and where it is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelineDto {
    pub timeline_id: u64,
    pub run_id: RunId,
    /// The current event's seq (0: before the first).
    pub position: u64,
    pub breakpoints: Vec<String>,
    /// Whether a `play` is moving it now.
    pub playing: bool,
    /// Why the last `play` stopped: `breakpoint`, `end` or `paused`.
    pub stopped: Option<String>,
    /// Whether responses can be shown (the run, or the run it replays, was
    /// recorded).
    pub recorded: bool,
    /// The frame at `position` (`None` before the first event).
    pub frame: Option<FrameDto>,
}

/// Everything known at one position of a timeline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FrameDto {
    pub position: u64,
    /// The run's last position when this was read.
    pub last: u64,
    pub event: Envelope,
    /// The request and its recorded outcome, for events about a fetch.
    pub exchange: Option<ExchangeDto>,
    /// The page's extraction (redone from the recording with the run's
    /// spec), for `page_extracted` and `item_dropped` events.
    pub extraction: Option<ExtractionDto>,
    /// The breakpoints this event hits.
    pub breakpoints: Vec<String>,
}

/// One request and what the recording holds for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExchangeDto {
    pub method: String,
    pub url: String,
    /// Which attempt (0: the first); `None`: the last.
    pub attempt: Option<u32>,
    /// `response`, `failure` (no response: `error_kind`, `error`) or
    /// `unavailable` (not recorded or unreadable: `error`).
    pub outcome: String,
    pub status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<String>,
    pub elapsed_millis: Option<u64>,
    pub headers: Vec<(String, String)>,
    pub body_bytes: Option<u64>,
    /// The body as text (at most 256 KiB); `None` for binary content.
    pub body: Option<String>,
    pub body_truncated: bool,
    pub error_kind: Option<String>,
    pub error: Option<String>,
}

impl From<trawl_engine::timeline::ExchangeView> for ExchangeDto {
    fn from(view: trawl_engine::timeline::ExchangeView) -> ExchangeDto {
        use trawl_engine::timeline::ExchangeOutcome;
        let mut dto = ExchangeDto {
            method: view.method.to_owned(),
            url: view.url,
            attempt: view.attempt,
            outcome: String::new(),
            status: None,
            final_url: None,
            redirects: Vec::new(),
            elapsed_millis: None,
            headers: Vec::new(),
            body_bytes: None,
            body: None,
            body_truncated: false,
            error_kind: None,
            error: None,
        };
        match view.outcome {
            ExchangeOutcome::Response {
                status,
                final_url,
                redirects,
                elapsed_millis,
                headers,
                body_bytes,
                body,
                body_truncated,
            } => {
                dto.outcome = "response".to_owned();
                dto.status = Some(status);
                dto.final_url = Some(final_url);
                dto.redirects = redirects;
                dto.elapsed_millis = Some(elapsed_millis);
                dto.headers = headers;
                dto.body_bytes = Some(body_bytes);
                dto.body = body;
                dto.body_truncated = body_truncated;
            }
            ExchangeOutcome::Failure { kind, message } => {
                dto.outcome = "failure".to_owned();
                dto.error_kind = Some(kind);
                dto.error = Some(message);
            }
            ExchangeOutcome::Unavailable { reason } => {
                dto.outcome = "unavailable".to_owned();
                dto.error = Some(reason);
            }
        }
        dto
    }
}

/// What extraction made of a page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExtractionDto {
    /// The page's items, before the dataset's key de-duplication.
    pub items: Vec<ItemDto>,
    pub items_dropped: u64,
    pub warnings: Vec<String>,
    /// Links the follow rules found, before allow/deny/domain/depth rules.
    pub links: Vec<String>,
}

impl From<trawl_engine::Frame> for FrameDto {
    fn from(frame: trawl_engine::Frame) -> FrameDto {
        FrameDto {
            position: frame.position,
            last: frame.last,
            event: frame.event,
            exchange: frame.exchange.map(ExchangeDto::from),
            extraction: frame.extraction.map(|extraction| ExtractionDto {
                items: extraction.items.into_iter().map(ItemDto::from).collect(),
                items_dropped: extraction.items_dropped,
                warnings: extraction.warnings,
                links: extraction.links,
            }),
            breakpoints: frame.breakpoints,
        }
    }
}
