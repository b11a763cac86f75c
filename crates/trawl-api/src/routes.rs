//! The handlers: each parses its input into DTOs, asks the engine (or reads
//! the store), and converts the answer back into DTOs. The bearer-token
//! check is one middleware in front of every API route, the fallback
//! included, so an unauthenticated client cannot even probe which routes
//! exist. The one exception is the web UI's static assets (`GET /` and
//! `GET /ui/...`, from `trawl-ui`), merged in after the middleware: they are
//! public files, and everything they show comes from the guarded routes.

use std::convert::Infallible;
use std::path::Path as FsPath;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use trawl_engine::RunView;
use trawl_schedule::{AddSchedule, Clock, SpecInput, SystemClock, catalog};
use trawl_types::{RunId, ScheduleId};

use trawl_engine::decode_event;
use trawl_events::{METRICS_CONTENT_TYPE, ResourceSample, RunStats};
use trawl_store::EventQuery;

use crate::dto::{
    CreateScheduleRequest, EventPageDto, FireListDto, HealthDto, ItemDto, ItemPageDto,
    PauseRequest, RemovedScheduleDto, ReplayRequest, RunDto, RunListDto, SamplesDto, ScheduleDto,
    ScheduleListDto, StartRunRequest,
};
use crate::events::{self, EventFilter, StreamItem};
use crate::{ApiError, ApiState, lock, openapi};

/// Items per page when `limit` is not given, and the most one page may hold
/// (a bound on the memory and time one request can take).
const DEFAULT_ITEMS_LIMIT: u64 = 100;
const MAX_ITEMS_LIMIT: u64 = 1000;
/// The same bounds for stored events, and the most samples one answer holds
/// (a day at one a second).
const DEFAULT_EVENTS_LIMIT: u64 = 1000;
const MAX_EVENTS_LIMIT: u64 = 10_000;
const MAX_SAMPLES: u64 = 86_400;

/// Fires per answer of `GET /api/schedules/{id}/fires` when `limit` is not
/// given, and the most one answer may hold.
const DEFAULT_FIRES_LIMIT: u32 = 100;
const MAX_FIRES_LIMIT: u32 = 1000;

pub(crate) fn router(state: ApiState) -> axum::Router {
    axum::Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/runs", get(list_runs).post(start_run))
        .route("/api/runs/{run_id}", get(get_run))
        .route("/api/runs/{run_id}/pause", post(pause_run))
        .route("/api/runs/{run_id}/resume", post(resume_run))
        .route("/api/runs/{run_id}/cancel", post(cancel_run))
        .route("/api/runs/{run_id}/replay", post(replay_run))
        .route("/api/runs/{run_id}/items", get(run_items))
        .route("/api/runs/{run_id}/events", get(run_events))
        .route("/api/runs/{run_id}/events/history", get(run_event_history))
        .route("/api/runs/{run_id}/stats", get(run_stats))
        .route("/api/runs/{run_id}/samples", get(run_samples))
        .route("/metrics", get(metrics))
        .route("/api/schedules", get(list_schedules).post(create_schedule))
        .route(
            "/api/schedules/{schedule_id}",
            get(get_schedule).delete(remove_schedule),
        )
        .route("/api/schedules/{schedule_id}/pause", post(pause_schedule))
        .route("/api/schedules/{schedule_id}/resume", post(resume_schedule))
        .route("/api/schedules/{schedule_id}/fires", get(schedule_fires))
        .merge(crate::timeline::router())
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
        // After `layer`, so outside the token check: only these two routes.
        .merge(trawl_ui::router())
}

/// Lets a request through only with `Authorization: Bearer <the token>`.
async fn require_token(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(candidate) if state.token.matches(candidate) => Ok(next.run(request).await),
        _ => Err(ApiError::Unauthorized),
    }
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_owned())
}

async fn health() -> Json<HealthDto> {
    Json(HealthDto {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
    })
}

async fn openapi_json() -> Json<serde_json::Value> {
    Json(openapi::openapi_document())
}

async fn list_runs(State(state): State<ApiState>) -> Result<Json<RunListDto>, ApiError> {
    let runs = state.engine.runs()?;
    let links = lock(&state.store).run_schedules()?;
    let links: std::collections::HashMap<RunId, &trawl_store::RunSchedule> =
        links.iter().map(|link| (link.run_id, link)).collect();
    Ok(Json(RunListDto {
        runs: runs
            .iter()
            .map(|view| {
                let link = links.get(&view.record.run_id).copied();
                RunDto::from(view).with_schedule(link)
            })
            .collect(),
    }))
}

/// A run with the schedule that started it, if any.
fn run_dto(state: &ApiState, view: &RunView) -> Result<RunDto, ApiError> {
    let link = lock(&state.store).run_schedule(view.record.run_id)?;
    Ok(RunDto::from(view).with_schedule(link.as_ref()))
}

/// Validates the spec (every problem is returned, as `trawl spec check`
/// would list them) and submits it; answers 201 with the queued run.
async fn start_run(
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let request: StartRunRequest = parse_body(&body)?.ok_or_else(|| {
        ApiError::BadRequest(
            "a JSON body is required: {\"spec_toml\": \"...\", \"priority\": 0}".to_owned(),
        )
    })?;
    let origin = request.spec_path.as_deref().unwrap_or("spec_toml");
    let loaded = trawl_spec::parse(&request.spec_toml, origin)?;
    let run_id = state.engine.submit_with(
        &loaded,
        request.spec_path.as_deref().map(FsPath::new),
        request.priority.unwrap_or(0),
        trawl_store::RunSource {
            record: request.record.unwrap_or(false),
            ..trawl_store::RunSource::default()
        },
    )?;
    let view = state.engine.run(run_id)?;
    Ok((StatusCode::CREATED, Json(run_dto(&state, &view)?)))
}

/// Replays a recorded run offline into a new run (answers 201 with it); an
/// invalid spec is 422 with every problem, a run without a recording 409.
async fn replay_run(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let original = parse_run_id(&raw_id)?;
    let request: ReplayRequest = parse_body(&body)?.unwrap_or_default();
    let loaded = request
        .spec_toml
        .as_deref()
        .map(|spec_toml| trawl_spec::parse(spec_toml, "spec_toml"))
        .transpose()?;
    let run_id = state.engine.submit_replay(original, loaded.as_ref())?;
    let view = state.engine.run(run_id)?;
    Ok((StatusCode::CREATED, Json(run_dto(&state, &view)?)))
}

async fn get_run(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<Json<RunDto>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    Ok(Json(run_dto(&state, &state.engine.run(run_id)?)?))
}

/// Asks the engine to pause; the run is `paused` once its in-flight pages
/// are done (follow the events, or poll the run). Answers 202.
async fn pause_run(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let request: PauseRequest = parse_body(&body)?.unwrap_or_default();
    state.engine.pause(run_id, request.mode.into())?;
    Ok((
        StatusCode::ACCEPTED,
        Json(run_dto(&state, &state.engine.run(run_id)?)?),
    ))
}

async fn resume_run(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    state.engine.resume(run_id)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(run_dto(&state, &state.engine.run(run_id)?)?),
    ))
}

async fn cancel_run(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    state.engine.cancel(run_id)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(run_dto(&state, &state.engine.run(run_id)?)?),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsQuery {
    #[serde(default)]
    offset: u64,
    limit: Option<u64>,
}

async fn run_items(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    query: Result<Query<ItemsQuery>, QueryRejection>,
) -> Result<Json<ItemPageDto>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let Query(query) = query.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "bad query string (offset and limit are non-negative integers): {}",
            rejection.body_text()
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_ITEMS_LIMIT);
    if limit > MAX_ITEMS_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit {limit} is too large: at most {MAX_ITEMS_LIMIT} items per page"
        )));
    }
    let store = lock(&state.store);
    store.run(run_id)?;
    let total = store.item_count(run_id)?;
    let items = store.items_page(run_id, query.offset, limit)?;
    Ok(Json(ItemPageDto {
        run_id,
        offset: query.offset,
        limit,
        total,
        items: items.into_iter().map(ItemDto::from).collect(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Comma-separated kinds (`request_failed,item_dropped`); all by default.
    kinds: Option<String>,
    /// Lowest level: debug, info, warn, error.
    level: Option<String>,
    /// Start after this seq (like `Last-Event-ID`).
    after: Option<u64>,
    /// Only events at or after / before this time (unix milliseconds); history only.
    from_millis: Option<i64>,
    to_millis: Option<i64>,
    /// At most this many (history only; default 1000, at most 10000).
    limit: Option<u64>,
}

fn events_query(
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<EventsQuery, ApiError> {
    query.map(|Query(query)| query).map_err(|rejection| {
        ApiError::BadRequest(format!(
            "bad query string (kinds, level, after, from_millis, to_millis, limit): {}",
            rejection.body_text()
        ))
    })
}

/// SSE: first a `snapshot` event (the run as it is now, without an id),
/// then every event of the run after `Last-Event-ID` (or `?after=`; all of
/// them for a new client) from the store, then live ones; `id:` is the
/// event's seq, `event:` its kind, `data:` the event as JSON. A `lagged`
/// event says which seqs could not be delivered. See `events.rs`.
async fn run_events(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let query = events_query(query)?;
    let filter = EventFilter::parse(query.kinds.as_deref(), query.level.as_deref())?;
    let last_seq = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .or(query.after)
        .unwrap_or(0);
    let snapshot = RunDto::from(&state.engine.run(run_id)?);
    let first = stream::once(async move { json_event("snapshot", &snapshot) });
    let events = events::run_events(
        state.engine.clone(),
        state.store.clone(),
        run_id,
        last_seq,
        filter,
    )
    .map(|item| match item {
        StreamItem::Event(envelope) => {
            json_event(envelope.event.kind().as_str(), &*envelope).id(envelope.seq.to_string())
        }
        StreamItem::Lagged { after, until } => json_event(
            "lagged",
            &serde_json::json!({ "after_seq": after, "until_seq": until }),
        ),
    });
    let events = first
        .chain(events)
        .map(Ok)
        .take_until(state.stopping.clone().cancelled_owned());
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Stored events as JSON, for queries by kind and time: `{"events": [...],
/// "next_after": seq}` (pass `next_after` as `after` for the next page).
async fn run_event_history(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventPageDto>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let query = events_query(query)?;
    let filter = EventFilter::parse(query.kinds.as_deref(), query.level.as_deref())?;
    let limit = query.limit.unwrap_or(DEFAULT_EVENTS_LIMIT);
    if limit == 0 || limit > MAX_EVENTS_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_EVENTS_LIMIT}"
        )));
    }
    let store = lock(&state.store);
    store.run(run_id)?;
    let rows = store.events(
        run_id,
        &EventQuery {
            after_seq: query.after.unwrap_or(0),
            kinds: filter.store_kinds(),
            from_millis: query.from_millis,
            to_millis: query.to_millis,
            limit,
        },
    )?;
    let next_after = rows.last().map(|row| row.seq);
    let events = rows
        .iter()
        .filter_map(|row| decode_event(run_id, row).ok())
        .filter(|envelope| filter.matches(&envelope.event))
        .collect();
    Ok(Json(EventPageDto { events, next_after }))
}

async fn run_stats(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<Json<RunStats>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let store = lock(&state.store);
    let (stats, _undecodable) = trawl_engine::run_stats(&store, run_id)?;
    Ok(Json(stats))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SamplesQuery {
    #[serde(default)]
    from_millis: i64,
}

/// The resource sampler's time series of a run (one sample a second while
/// it was active): `{"samples": [...]}`.
async fn run_samples(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    query: Result<Query<SamplesQuery>, QueryRejection>,
) -> Result<Json<SamplesDto>, ApiError> {
    let run_id = parse_run_id(&raw_id)?;
    let Query(query) = query.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "bad query string (from_millis): {}",
            rejection.body_text()
        ))
    })?;
    let store = lock(&state.store);
    store.run(run_id)?;
    let samples = store
        .samples(run_id, query.from_millis, MAX_SAMPLES)?
        .iter()
        .filter_map(|row| serde_json::from_str::<ResourceSample>(&row.payload).ok())
        .collect();
    Ok(Json(SamplesDto { samples }))
}

/// Prometheus metrics (OpenMetrics text), behind the same token as every route.
async fn metrics(State(state): State<ApiState>) -> Response {
    let body = state.engine.bus().metrics().render();
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], body).into_response()
}

async fn list_schedules(State(state): State<ApiState>) -> Result<Json<ScheduleListDto>, ApiError> {
    let views = catalog::list(&lock(&state.store), now())?;
    Ok(Json(ScheduleListDto {
        schedules: views.iter().map(ScheduleDto::from).collect(),
    }))
}

/// Validates everything (the cron names the wrong field; an invalid spec
/// lists every problem, as for `POST /api/runs`) and adds the schedule; the
/// scheduler of `trawl serve` picks it up at its next tick. Answers 201.
async fn create_schedule(
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<ScheduleDto>), ApiError> {
    let request: CreateScheduleRequest = parse_body(&body)?.ok_or_else(|| {
        ApiError::BadRequest(
            "a JSON body is required: {\"cron\": \"0 6 * * *\", \"spec_toml\": \"...\"}".to_owned(),
        )
    })?;
    let spec = match (request.spec_toml, request.spec_path) {
        (Some(toml), None) => SpecInput::Text(toml),
        (None, Some(path)) => SpecInput::File {
            path: path.into(),
            snapshot: false,
        },
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "give spec_toml (stored as a snapshot) or spec_path (re-read at each fire), not both"
                    .to_owned(),
            ));
        }
        (None, None) => {
            return Err(ApiError::Unprocessable(
                "the schedule needs a spec: give spec_toml (TOML text) or spec_path (an absolute path)"
                    .to_owned(),
            ));
        }
    };
    let add = AddSchedule {
        name: request.name,
        cron: request.cron,
        time_zone: request.time_zone.unwrap_or_else(|| "UTC".to_owned()),
        overlap: request.overlap.into(),
        missed: request.missed.with_max(request.missed_max),
        jitter: std::time::Duration::from_secs(request.jitter_secs.unwrap_or(0)),
        spec,
        paused: request.paused.unwrap_or(false),
    };
    let view = catalog::add(&lock(&state.store), &add, now())?;
    Ok((StatusCode::CREATED, Json(ScheduleDto::from(&view))))
}

async fn get_schedule(
    State(state): State<ApiState>,
    Path(key): Path<String>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let store = lock(&state.store);
    let schedule_id = catalog::resolve(&store, &key)?;
    Ok(Json(ScheduleDto::from(&catalog::get(
        &store,
        schedule_id,
        now(),
    )?)))
}

/// Pauses a schedule (no-op if it is paused); answers 200 with it.
async fn pause_schedule(
    State(state): State<ApiState>,
    Path(key): Path<String>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let store = lock(&state.store);
    let schedule_id = catalog::resolve(&store, &key)?;
    let (view, _) = catalog::pause(&store, schedule_id, now())?;
    Ok(Json(ScheduleDto::from(&view)))
}

/// Resumes a paused schedule from now (its next fire is recomputed, the
/// paused time does not count as missed); answers 200 with it.
async fn resume_schedule(
    State(state): State<ApiState>,
    Path(key): Path<String>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let store = lock(&state.store);
    let schedule_id = catalog::resolve(&store, &key)?;
    let (view, _) = catalog::resume(&store, schedule_id, now())?;
    Ok(Json(ScheduleDto::from(&view)))
}

/// Removes a schedule and its fire history; the runs it started stay.
async fn remove_schedule(
    State(state): State<ApiState>,
    Path(key): Path<String>,
) -> Result<Json<RemovedScheduleDto>, ApiError> {
    let store = lock(&state.store);
    let schedule_id = catalog::resolve(&store, &key)?;
    let removed = catalog::remove(&store, schedule_id)?;
    Ok(Json(RemovedScheduleDto::from(&removed)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiresQuery {
    limit: Option<u32>,
}

async fn schedule_fires(
    State(state): State<ApiState>,
    Path(key): Path<String>,
    query: Result<Query<FiresQuery>, QueryRejection>,
) -> Result<Json<FireListDto>, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "bad query string (limit is a non-negative integer): {}",
            rejection.body_text()
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_FIRES_LIMIT);
    if limit > MAX_FIRES_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit {limit} is too large: at most {MAX_FIRES_LIMIT} fires per answer"
        )));
    }
    let store = lock(&state.store);
    let schedule_id: ScheduleId = catalog::resolve(&store, &key)?;
    let view = catalog::get(&store, schedule_id, now())?;
    let fires = catalog::history(&store, schedule_id, limit)?;
    Ok(Json(FireListDto::new(&view, &fires)))
}

fn now() -> DateTime<Utc> {
    SystemClock.now()
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Event {
    // DTOs are plain data: serialising them cannot fail.
    Event::default()
        .event(name)
        .data(serde_json::to_string(data).unwrap_or_default())
}

fn parse_run_id(raw: &str) -> Result<RunId, ApiError> {
    raw.parse::<RunId>()
        .map_err(|_| ApiError::BadRequest(format!("run id must be an integer, not {raw:?}")))
}

/// Parses an optional JSON body: `None` when empty. Not JSON at all is 400;
/// JSON of the wrong shape is 422. serde's message names the field and place.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|error| {
        use serde_json::error::Category;
        match error.classify() {
            Category::Data => {
                ApiError::Unprocessable(format!("request body has the wrong shape: {error}"))
            }
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::BadRequest(format!("request body is not valid JSON: {error}"))
            }
        }
    })
}
