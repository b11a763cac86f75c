//! `ApiError`: the one error type of the API's handlers, and the JSON error
//! shape every failed request gets: `{"error": {"code", "message", "details"?}}`.
//!
//! Input problems (bad token, bad body, invalid spec, unknown run, an illegal
//! state change) say what is wrong so a client can fix its request. Internal
//! causes (the store failing) answer a generic 500 and are logged here, once,
//! with their detail: that is the boundary that decides.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use trawl_engine::EngineError;
use trawl_schedule::ScheduleError;
use trawl_store::StoreError;
use trawl_types::RunId;

use crate::dto::ProblemDto;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` header, or not the server's token.
    #[error(
        "missing or invalid bearer token: send `Authorization: Bearer <token>` with the token from the server's api-token file"
    )]
    Unauthorized,
    /// The body is not JSON, or a path or query parameter does not parse.
    #[error("{0}")]
    BadRequest(String),
    /// The body is JSON but not of the expected shape (a missing field, a
    /// wrong type, an unknown pause mode).
    #[error("{0}")]
    Unprocessable(String),
    /// The spec in a start request is not a valid spec; every problem is listed.
    #[error("the spec is invalid: {} problem(s)", problems.len())]
    InvalidSpec { problems: Vec<ProblemDto> },
    /// No run with this id.
    #[error("run {0} not found")]
    RunNotFound(RunId),
    /// No open timeline session with this id (closed, or evicted by newer ones).
    #[error("timeline {0} not found (open one with POST /api/timelines)")]
    TimelineNotFound(u64),
    /// No schedule with this id or name.
    #[error("schedule {0} not found")]
    ScheduleNotFound(String),
    /// A schedule to add is invalid: a cron field, the time zone, a policy
    /// bound, the name; `field` names the request field.
    #[error("{message}")]
    InvalidSchedule {
        message: String,
        field: Option<&'static str>,
    },
    /// No route for this method and path.
    #[error("no such route: {0}")]
    NoRoute(String),
    /// The request is valid but the run's state does not allow it (resume a
    /// succeeded run, pause a queued one), or the engine is shutting down.
    #[error("{0}")]
    Conflict(String),
    /// Something on the server's side failed (the store, a panic); the detail
    /// is logged, not sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_)
            | ApiError::InvalidSpec { .. }
            | ApiError::InvalidSchedule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RunNotFound(_)
            | ApiError::ScheduleNotFound(_)
            | ApiError::TimelineNotFound(_)
            | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code, next to the human message.
    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::InvalidSpec { .. } => "invalid_spec",
            ApiError::RunNotFound(_) => "run_not_found",
            ApiError::ScheduleNotFound(_) => "schedule_not_found",
            ApiError::TimelineNotFound(_) => "timeline_not_found",
            ApiError::InvalidSchedule { .. } => "invalid_schedule",
            ApiError::NoRoute(_) => "no_route",
            ApiError::Conflict(_) => "conflict",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::RunNotFound(run_id) => ApiError::RunNotFound(run_id),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        match error {
            EngineError::Store(store) => store.into(),
            EngineError::Lifecycle(_)
            | EngineError::NotResumable { .. }
            | EngineError::NotOwned { .. }
            | EngineError::ShuttingDown
            | EngineError::NoRecording { .. } => ApiError::Conflict(error.to_string()),
            EngineError::ReplayNeedsSpec { .. } | EngineError::Import { .. } => {
                ApiError::Unprocessable(error.to_string())
            }
            EngineError::Header(_) => ApiError::Unprocessable(error.to_string()),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// A spec in a request body: every problem (422 `invalid_spec`), or 422
/// with the reason when it could not be read at all.
impl From<trawl_spec::SpecError> for ApiError {
    fn from(error: trawl_spec::SpecError) -> ApiError {
        match error {
            trawl_spec::SpecError::Invalid(diagnostics) => ApiError::InvalidSpec {
                problems: diagnostics.problems.iter().map(ProblemDto::from).collect(),
            },
            other => ApiError::Unprocessable(other.to_string()),
        }
    }
}

impl From<ScheduleError> for ApiError {
    fn from(error: ScheduleError) -> ApiError {
        match error {
            ScheduleError::NotFound { key } => ApiError::ScheduleNotFound(key),
            ScheduleError::InvalidSpec(invalid @ trawl_spec::SpecError::Invalid(_)) => {
                ApiError::from(invalid)
            }
            ScheduleError::InvalidSpec(other) => ApiError::Unprocessable(format!(
                "{}: check spec_path (a spec file the server can read)",
                error_chain(&other)
            )),
            ScheduleError::Store(StoreError::ScheduleNameTaken(_)) => {
                ApiError::Conflict(error.to_string())
            }
            ScheduleError::Store(store) => store.into(),
            input if input.is_input_error() => ApiError::InvalidSchedule {
                message: input.to_string(),
                field: input.field(),
            },
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(source) = &self {
            tracing::error!(error = %error_chain(source.as_ref()), "api request failed");
        }
        let mut error = json!({ "code": self.code(), "message": self.to_string() });
        if let ApiError::InvalidSpec { problems } = &self {
            error["details"] = json!(problems);
        }
        if let ApiError::InvalidSchedule {
            field: Some(field), ..
        } = &self
        {
            error["field"] = json!(field);
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
