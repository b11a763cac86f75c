//! Timeline sessions (`/api/timelines`): a client opens a timeline over a
//! run (see `trawl_engine::timeline`), then steps, seeks, plays and pauses
//! it, and sets breakpoints; every answer is the session with the frame at
//! its position.
//!
//! Sessions live in memory, at most [`MAX_SESSIONS`] (the least recently
//! used is closed to make room): a timeline is a cursor, cheap to reopen,
//! and the run it reads is in the store. A `play` moves in a background
//! task, a bounded number of events at a time, so `pause` (or any other
//! move, which pauses first) takes effect between two of them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use trawl_engine::{Breakpoint, Frame, PlayEnd, Timeline, TimelineError};
use trawl_events::EventKind;
use trawl_store::Store;

use crate::dto::{
    BreakpointsRequest, FrameDto, OpenTimelineRequest, PlayRequest, SeekRequest, StepRequest,
    TimelineDto,
};
use crate::routes::parse_body;
use crate::{ApiError, ApiState, lock};

/// Open sessions at most.
pub(crate) const MAX_SESSIONS: usize = 16;

/// Events one move of an unpaced `play` covers before it lets a `pause` in.
const UNPACED_BATCH: u64 = 2048;

pub(crate) fn router() -> axum::Router<ApiState> {
    axum::Router::new()
        .route("/api/timelines", post(open_timeline))
        .route(
            "/api/timelines/{timeline_id}",
            get(get_timeline).delete(close_timeline),
        )
        .route("/api/timelines/{timeline_id}/step", post(step))
        .route("/api/timelines/{timeline_id}/seek", post(seek))
        .route("/api/timelines/{timeline_id}/play", post(play))
        .route("/api/timelines/{timeline_id}/pause", post(pause))
        .route(
            "/api/timelines/{timeline_id}/breakpoints",
            put(set_breakpoints),
        )
}

/// Every open session.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<SessionMap>,
}

#[derive(Default)]
struct SessionMap {
    next_id: u64,
    sessions: HashMap<u64, Arc<Session>>,
}

struct Session {
    id: u64,
    state: Mutex<SessionState>,
}

struct SessionState {
    timeline: Timeline,
    /// Which `play` may move the timeline: a new play or any other move
    /// bumps it, which stops the one before.
    play_generation: u64,
    playing: bool,
    stopped: Option<&'static str>,
    last_used: Instant,
    /// The frame built at a position (by the move that got there, or by
    /// the first look), so a GET or a pause does not read the recording and
    /// extract the page again. Breakpoint changes drop it.
    frame: Option<(u64, Option<FrameDto>)>,
}

impl Sessions {
    fn insert(&self, timeline: Timeline) -> Arc<Session> {
        let mut map = lock(&self.inner);
        if map.sessions.len() >= MAX_SESSIONS {
            let oldest = map
                .sessions
                .values()
                .min_by_key(|session| lock(&session.state).last_used)
                .map(|session| session.id);
            if let Some(oldest) = oldest
                && let Some(session) = map.sessions.remove(&oldest)
            {
                lock(&session.state).stop_playing(None);
            }
        }
        map.next_id += 1;
        let session = Arc::new(Session {
            id: map.next_id,
            state: Mutex::new(SessionState {
                timeline,
                play_generation: 0,
                playing: false,
                stopped: None,
                last_used: Instant::now(),
                frame: None,
            }),
        });
        map.sessions.insert(session.id, session.clone());
        session
    }

    fn get(&self, id: u64) -> Result<Arc<Session>, ApiError> {
        lock(&self.inner)
            .sessions
            .get(&id)
            .cloned()
            .ok_or(ApiError::TimelineNotFound(id))
    }

    fn remove(&self, id: u64) -> Result<Arc<Session>, ApiError> {
        let session = lock(&self.inner)
            .sessions
            .remove(&id)
            .ok_or(ApiError::TimelineNotFound(id))?;
        lock(&session.state).stop_playing(None);
        Ok(session)
    }
}

impl SessionState {
    /// Keeps the frame a move returned, for the position it moved to (a
    /// move that found nothing leaves the frame to be built when asked).
    fn keep(&mut self, frame: Option<Frame>) {
        if let Some(frame) = frame {
            self.frame = Some((self.timeline.position(), Some(FrameDto::from(frame))));
        }
    }

    /// The frame at the current position, built only when not kept.
    fn frame(&mut self, store: &Mutex<Store>) -> Result<Option<FrameDto>, ApiError> {
        let position = self.timeline.position();
        match &self.frame {
            Some((kept_at, frame)) if *kept_at == position => Ok(frame.clone()),
            _ => {
                let frame = self.timeline.current(store)?.map(FrameDto::from);
                self.frame = Some((position, frame.clone()));
                Ok(frame)
            }
        }
    }

    /// Ends any `play` (it notices before its next batch).
    fn stop_playing(&mut self, why: Option<&'static str>) {
        self.play_generation += 1;
        if self.playing {
            self.playing = false;
            self.stopped = why;
        }
    }
}

impl From<TimelineError> for ApiError {
    fn from(error: TimelineError) -> ApiError {
        match error {
            TimelineError::Store(store) => store.into(),
            TimelineError::Spec { .. } => ApiError::Unprocessable(error.to_string()),
        }
    }
}

fn parse_timeline_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>()
        .map_err(|_| ApiError::BadRequest(format!("timeline id must be an integer, not {raw:?}")))
}

fn parse_breakpoints(texts: &[String]) -> Result<Vec<Breakpoint>, ApiError> {
    texts
        .iter()
        .map(|text| {
            text.parse::<Breakpoint>()
                .map_err(|error| ApiError::Unprocessable(error.to_string()))
        })
        .collect()
}

/// Runs `work` on the session's timeline on a blocking thread (it reads the
/// store and the recording), then answers with the session.
async fn with_session<T: Send + 'static>(
    state: &ApiState,
    session: Arc<Session>,
    work: impl FnOnce(&mut SessionState, &Mutex<Store>) -> Result<T, ApiError> + Send + 'static,
) -> Result<(T, TimelineDto), ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut session_state = lock(&session.state);
        session_state.last_used = Instant::now();
        let value = work(&mut session_state, &store)?;
        let dto = describe(session.id, &mut session_state, &store)?;
        Ok((value, dto))
    })
    .await
    .map_err(|error| ApiError::Internal(Box::new(error)))?
}

fn describe(
    id: u64,
    state: &mut SessionState,
    store: &Mutex<Store>,
) -> Result<TimelineDto, ApiError> {
    let frame = state.frame(store)?;
    let timeline = &state.timeline;
    Ok(TimelineDto {
        timeline_id: id,
        run_id: timeline.run_id(),
        position: timeline.position(),
        breakpoints: timeline
            .breakpoints()
            .iter()
            .map(|breakpoint| breakpoint.text().to_owned())
            .collect(),
        playing: state.playing,
        stopped: state.stopped.map(str::to_owned),
        recorded: timeline.has_recording(),
        frame,
    })
}

async fn open_timeline(
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<TimelineDto>), ApiError> {
    let request: OpenTimelineRequest = parse_body(&body)?
        .ok_or_else(|| ApiError::Unprocessable("a body with run_id is required".to_owned()))?;
    let breakpoints = parse_breakpoints(&request.breakpoints)?;
    let store = state.store.clone();
    let timeline = tokio::task::spawn_blocking(move || {
        let store = lock(&store);
        let path = store.path().map(PathBuf::from).unwrap_or_default();
        Timeline::open(&store, &path, request.run_id)
    })
    .await
    .map_err(|error| ApiError::Internal(Box::new(error)))??;
    let mut timeline = timeline;
    timeline.set_breakpoints(breakpoints);
    let session = state.timelines.insert(timeline);
    let ((), dto) = with_session(&state, session, |_, _| Ok(())).await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

async fn get_timeline(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let ((), dto) = with_session(&state, session, |_, _| Ok(())).await?;
    Ok(Json(dto))
}

async fn close_timeline(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.remove(parse_timeline_id(&raw_id)?)?;
    let ((), dto) = with_session(&state, session, |_, _| Ok(())).await?;
    Ok(Json(dto))
}

async fn step(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let request: StepRequest = parse_body(&body)?.unwrap_or_default();
    let kinds = request
        .kinds
        .iter()
        .map(|name| {
            EventKind::parse(name).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "unknown event kind {name:?} (kinds: {})",
                    EventKind::names()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if request.back && !kinds.is_empty() {
        return Err(ApiError::Unprocessable(
            "kinds apply to forward steps only".to_owned(),
        ));
    }
    let ((), dto) = with_session(&state, session, move |session, store| {
        session.stop_playing(Some("paused"));
        let frame = if request.back {
            session.timeline.step_back(store)?
        } else {
            session.timeline.step(store, &kinds)?
        };
        session.keep(frame);
        Ok(())
    })
    .await?;
    Ok(Json(dto))
}

async fn seek(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let request: SeekRequest = parse_body(&body)?
        .ok_or_else(|| ApiError::Unprocessable("a body with position is required".to_owned()))?;
    let ((), dto) = with_session(&state, session, move |session, store| {
        session.stop_playing(Some("paused"));
        let frame = session.timeline.seek(store, request.position)?;
        session.keep(frame);
        Ok(())
    })
    .await?;
    Ok(Json(dto))
}

async fn set_breakpoints(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let request: BreakpointsRequest = parse_body(&body)?
        .ok_or_else(|| ApiError::Unprocessable("a body with breakpoints is required".to_owned()))?;
    let breakpoints = parse_breakpoints(&request.breakpoints)?;
    let ((), dto) = with_session(&state, session, move |session, _| {
        session.timeline.set_breakpoints(breakpoints);
        // The frame lists the breakpoints it hits.
        session.frame = None;
        Ok(())
    })
    .await?;
    Ok(Json(dto))
}

async fn pause(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let ((), dto) = with_session(&state, session, |session, _| {
        session.stop_playing(Some("paused"));
        Ok(())
    })
    .await?;
    Ok(Json(dto))
}

/// Starts moving forward (answers at once, `playing: true`); the session
/// stops at a breakpoint or the end (`stopped` says which), or on `pause`.
async fn play(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    body: Bytes,
) -> Result<Json<TimelineDto>, ApiError> {
    let session = state.timelines.get(parse_timeline_id(&raw_id)?)?;
    let request: PlayRequest = parse_body(&body)?.unwrap_or_default();
    // Paced: a tenth of a second's events per move (at least one).
    let (batch, pause_between) = match request.events_per_second {
        0 => (UNPACED_BATCH, Duration::ZERO),
        rate if rate >= 10 => (u64::from(rate / 10), Duration::from_millis(100)),
        rate => (1, Duration::from_secs(1) / rate),
    };
    let (generation, dto) = with_session(&state, session.clone(), |session, _| {
        session.stop_playing(None);
        session.playing = true;
        session.stopped = None;
        Ok(session.play_generation)
    })
    .await?;
    let store = state.store.clone();
    tokio::spawn(async move {
        loop {
            let session = session.clone();
            let store = store.clone();
            let more = tokio::task::spawn_blocking(move || {
                let mut state = lock(&session.state);
                if state.play_generation != generation {
                    return false;
                }
                match state.timeline.play(&store, batch) {
                    Ok((frame, PlayEnd::Budget)) => {
                        state.keep(frame);
                        true
                    }
                    Ok((frame, end)) => {
                        state.keep(frame);
                        state.playing = false;
                        state.stopped = Some(match end {
                            PlayEnd::Breakpoint => "breakpoint",
                            PlayEnd::End | PlayEnd::Budget => "end",
                        });
                        false
                    }
                    Err(error) => {
                        tracing::warn!(%error, "a timeline's play stopped on an error");
                        state.playing = false;
                        state.stopped = Some("error");
                        false
                    }
                }
            })
            .await
            .unwrap_or(false);
            if !more {
                break;
            }
            tokio::time::sleep(pause_between).await;
        }
    });
    Ok(Json(dto))
}
