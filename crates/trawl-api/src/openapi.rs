//! The OpenAPI 3.1 document served at `/api/openapi.json`, written by hand.
//!
//! Handwritten rather than generated (utoipa) to keep the dependency tree
//! and the compile time small for a score of routes. [`ROUTES`] is the list the
//! document is built from; a test checks it against the router, so a route
//! cannot be added without being documented.

use serde_json::{Value, json};

/// One documented route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path with `{run_id}` / `{schedule_id}` / `{timeline_id}` placeholders,
    /// as in the router.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Schema of the JSON request body (`None`: no body).
    pub request: Option<&'static str>,
    /// Whether the request body may be omitted.
    pub request_optional: bool,
    /// Success status and the schema of its body (`None`: not JSON).
    pub success: (u16, Option<&'static str>),
}

const fn route(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    success: (u16, Option<&'static str>),
) -> Route {
    Route {
        method,
        path,
        operation_id,
        summary,
        request: None,
        request_optional: false,
        success,
    }
}

/// Every route the API serves.
pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/api/health",
        "health",
        "Server health, version and pid",
        (200, Some("Health")),
    ),
    route(
        "GET",
        "/api/openapi.json",
        "openapi",
        "This OpenAPI document",
        (200, None),
    ),
    route(
        "GET",
        "/api/runs",
        "listRuns",
        "Every run, newest first, with live progress for active ones",
        (200, Some("RunList")),
    ),
    Route {
        request: Some("StartRunRequest"),
        ..route(
            "POST",
            "/api/runs",
            "startRun",
            "Start a run from a spec given as TOML text; 422 with every problem if the spec is invalid",
            (201, Some("Run")),
        )
    },
    route(
        "GET",
        "/api/runs/{run_id}",
        "getRun",
        "One run: stored record and live progress",
        (200, Some("Run")),
    ),
    Route {
        request: Some("PauseRequest"),
        request_optional: true,
        ..route(
            "POST",
            "/api/runs/{run_id}/pause",
            "pauseRun",
            "Pause a running run: stop intake, then finish (default) or abort in-flight pages",
            (202, Some("Run")),
        )
    },
    route(
        "POST",
        "/api/runs/{run_id}/resume",
        "resumeRun",
        "Resume a paused, interrupted, failed or cancelled run from its frontier",
        (202, Some("Run")),
    ),
    route(
        "POST",
        "/api/runs/{run_id}/cancel",
        "cancelRun",
        "Cancel a run; finished pages stay committed",
        (202, Some("Run")),
    ),
    Route {
        request: Some("ReplayRequest"),
        request_optional: true,
        ..route(
            "POST",
            "/api/runs/{run_id}/replay",
            "replayRun",
            "Replay a recorded run offline into a new run, with its own spec or a new one; 409 if it has no recording",
            (201, Some("Run")),
        )
    },
    Route {
        request: Some("OpenTimelineRequest"),
        ..route(
            "POST",
            "/api/timelines",
            "openTimeline",
            "Open a timeline over a run's event log (a replay or a recorded run), before its first event, with optional breakpoints; 422 for a bad breakpoint",
            (201, Some("Timeline")),
        )
    },
    route(
        "GET",
        "/api/timelines/{timeline_id}",
        "getTimeline",
        "A timeline session: its position, whether it plays, why it stopped, and the frame there",
        (200, Some("Timeline")),
    ),
    route(
        "DELETE",
        "/api/timelines/{timeline_id}",
        "closeTimeline",
        "Close a timeline session (the last 16 opened stay open otherwise)",
        (200, Some("Timeline")),
    ),
    Route {
        request: Some("StepRequest"),
        request_optional: true,
        ..route(
            "POST",
            "/api/timelines/{timeline_id}/step",
            "stepTimeline",
            "One event forward (the next of the given kinds, if any) or back; pauses a play",
            (200, Some("Timeline")),
        )
    },
    Route {
        request: Some("SeekRequest"),
        ..route(
            "POST",
            "/api/timelines/{timeline_id}/seek",
            "seekTimeline",
            "To the first event at or after a position (0: before the first, past the end: the last); pauses a play",
            (200, Some("Timeline")),
        )
    },
    Route {
        request: Some("PlayRequest"),
        request_optional: true,
        ..route(
            "POST",
            "/api/timelines/{timeline_id}/play",
            "playTimeline",
            "Move forward in the background (events_per_second, 0: as fast as possible) until an event hits a breakpoint or the end; answers at once",
            (200, Some("Timeline")),
        )
    },
    route(
        "POST",
        "/api/timelines/{timeline_id}/pause",
        "pauseTimeline",
        "Stop a play where it is",
        (200, Some("Timeline")),
    ),
    Route {
        request: Some("BreakpointsRequest"),
        ..route(
            "PUT",
            "/api/timelines/{timeline_id}/breakpoints",
            "setTimelineBreakpoints",
            "Replace the breakpoints: url~REGEX, url=URL, kind=KIND[,KIND], error, error~REGEX, item.FIELD=VALUE, item.FIELD~REGEX",
            (200, Some("Timeline")),
        )
    },
    route(
        "GET",
        "/api/runs/{run_id}/items",
        "listRunItems",
        "One page of a run's items in insertion order",
        (200, Some("ItemPage")),
    ),
    route(
        "GET",
        "/api/runs/{run_id}/events",
        "streamRunEvents",
        "Every event of the run as Server-Sent Events (a snapshot first; id = the event's seq, event = its kind; lagged if some could not be delivered); resumes after Last-Event-ID or ?after from the store",
        (200, None),
    ),
    route(
        "GET",
        "/api/runs/{run_id}/events/history",
        "listRunEvents",
        "The run's stored events as JSON, filtered by kind, level, seq and time, in pages",
        (200, Some("EventPage")),
    ),
    route(
        "GET",
        "/api/runs/{run_id}/stats",
        "getRunStats",
        "Statistics of the run from its event log: pages by status, errors by kind, bytes, items, retries, latency percentiles, pages/s over time, per host",
        (200, Some("RunStats")),
    ),
    route(
        "GET",
        "/api/runs/{run_id}/samples",
        "listRunSamples",
        "The run's resource samples (process and system CPU and memory, sockets, store size; one a second while active)",
        (200, Some("Samples")),
    ),
    route(
        "GET",
        "/metrics",
        "metrics",
        "Prometheus metrics in the OpenMetrics text format (runs, requests by run, host and status class, errors, latency histograms, items, checkpoints, resources)",
        (200, None),
    ),
    route(
        "GET",
        "/api/schedules",
        "listSchedules",
        "Every schedule, oldest first, with its next five fire times and its latest fire",
        (200, Some("ScheduleList")),
    ),
    Route {
        request: Some("CreateScheduleRequest"),
        ..route(
            "POST",
            "/api/schedules",
            "createSchedule",
            "Add a schedule; 422 naming the field for a bad cron, zone or policy, 422 with every problem for an invalid spec, 409 for a name in use",
            (201, Some("Schedule")),
        )
    },
    route(
        "GET",
        "/api/schedules/{schedule_id}",
        "getSchedule",
        "One schedule, by id or name",
        (200, Some("Schedule")),
    ),
    route(
        "POST",
        "/api/schedules/{schedule_id}/pause",
        "pauseSchedule",
        "Pause a schedule: no fire until resumed (no-op if paused)",
        (200, Some("Schedule")),
    ),
    route(
        "POST",
        "/api/schedules/{schedule_id}/resume",
        "resumeSchedule",
        "Resume a paused schedule; its next fire is computed from now, the paused time does not count as missed",
        (200, Some("Schedule")),
    ),
    route(
        "DELETE",
        "/api/schedules/{schedule_id}",
        "removeSchedule",
        "Remove a schedule and its fire history; the runs it started stay",
        (200, Some("RemovedSchedule")),
    ),
    route(
        "GET",
        "/api/schedules/{schedule_id}/fires",
        "listScheduleFires",
        "A schedule's fires (submitted, skipped, failed, queued, firing), newest first, with each run's state",
        (200, Some("FireList")),
    ),
];

/// The OpenAPI document.
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(route.method.to_ascii_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Trawl local API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The API of `trawl serve`, on 127.0.0.1 only. Every route needs `Authorization: Bearer <token>`; the token is in DATA_DIR/api-token (mode 0600). Errors are `{\"error\": {\"code\", \"message\", \"details\"?}}`."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
            "responses": {
                "Error": {
                    "description": "An error (400 bad input, 401 bad token, 404 unknown run, schedule or timeline, 409 illegal state change or schedule name in use, 422 invalid body, spec, schedule or breakpoint, 500 internal)",
                    "content": { "application/json": { "schema": schema_ref("Error") } }
                }
            }
        }
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(route: &Route) -> Value {
    let mut parameters = Vec::new();
    if route.path.contains("{run_id}") {
        parameters.push(json!({
            "name": "run_id", "in": "path", "required": true,
            "schema": { "type": "integer", "format": "int64" }
        }));
    }
    if route.path.contains("{timeline_id}") {
        parameters.push(json!({
            "name": "timeline_id", "in": "path", "required": true,
            "schema": { "type": "integer", "format": "int64" }
        }));
    }
    if route.path.contains("{schedule_id}") {
        parameters.push(json!({
            "name": "schedule_id", "in": "path", "required": true,
            "description": "The schedule's id, or its name",
            "schema": { "type": "string" }
        }));
    }
    if route.operation_id == "listScheduleFires" {
        parameters.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": 1000, "default": 100 } }));
    }
    if route.operation_id == "listRunItems" {
        parameters.push(json!({ "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } }));
        parameters.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": 1000, "default": 100 } }));
    }
    if route.operation_id == "streamRunEvents" {
        parameters.push(
            json!({ "name": "Last-Event-ID", "in": "header", "schema": { "type": "string" } }),
        );
    }
    if matches!(route.operation_id, "streamRunEvents" | "listRunEvents") {
        parameters.push(json!({ "name": "kinds", "in": "query", "description": "Comma-separated event kinds (run_state_changed, request_fetched, request_failed, ...); all by default", "schema": { "type": "string" } }));
        parameters.push(json!({ "name": "level", "in": "query", "description": "Lowest level to include", "schema": { "type": "string", "enum": ["debug", "info", "warn", "error"] } }));
        parameters.push(json!({ "name": "after", "in": "query", "description": "Only events with a larger seq", "schema": { "type": "integer", "minimum": 0 } }));
    }
    if route.operation_id == "listRunEvents" {
        parameters
            .push(json!({ "name": "from_millis", "in": "query", "schema": { "type": "integer" } }));
        parameters
            .push(json!({ "name": "to_millis", "in": "query", "schema": { "type": "integer" } }));
        parameters.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 10000, "default": 1000 } }));
    }
    if route.operation_id == "listRunSamples" {
        parameters.push(json!({ "name": "from_millis", "in": "query", "schema": { "type": "integer", "default": 0 } }));
    }
    let (status, schema) = route.success;
    let success = match (route.operation_id, schema) {
        ("streamRunEvents", _) => json!({
            "description": "text/event-stream; each event's data is an Event (a Run for `snapshot`, {after_seq, until_seq} for `lagged`)",
            "content": { "text/event-stream": { "schema": { "type": "string" } } }
        }),
        ("metrics", _) => json!({
            "description": "OpenMetrics text",
            "content": { "application/openmetrics-text": { "schema": { "type": "string" } } }
        }),
        (_, Some(name)) => json!({
            "description": "OK",
            "content": { "application/json": { "schema": schema_ref(name) } }
        }),
        (_, None) => json!({ "description": "OK", "content": { "application/json": {} } }),
    };
    let mut responses = serde_json::Map::new();
    responses.insert(status.to_string(), success);
    responses.insert(
        "default".to_owned(),
        json!({ "$ref": "#/components/responses/Error" }),
    );
    let mut operation = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(name) = route.request {
        operation["requestBody"] = json!({
            "required": !route.request_optional,
            "content": { "application/json": { "schema": schema_ref(name) } }
        });
    }
    operation
}

fn schemas() -> Value {
    let mut schemas = core_schemas();
    for more in [event_schemas(), timeline_schemas()] {
        if let (Some(all), Value::Object(more)) = (schemas.as_object_mut(), more) {
            all.extend(more);
        }
    }
    schemas
}

/// Runs, items, schedules, errors.
fn core_schemas() -> Value {
    let state = json!({ "type": "string", "enum": ["queued", "running", "paused", "interrupted", "succeeded", "failed", "cancelled"] });
    let counter = json!({ "type": "integer", "minimum": 0 });
    let overlap = json!({ "type": "string", "enum": ["skip", "queue", "cancel_previous"], "default": "skip" });
    let missed =
        json!({ "type": "string", "enum": ["skip", "run_once", "run_all"], "default": "skip" });
    let fire_time = json!({ "oneOf": [schema_ref("FireTime"), { "type": "null" }] });
    let counters = |names: &[&str]| {
        let properties: serde_json::Map<String, Value> = names
            .iter()
            .map(|name| ((*name).to_owned(), counter.clone()))
            .collect();
        json!({ "type": "object", "properties": properties, "required": names })
    };
    json!({
        "StartRunRequest": {
            "type": "object", "required": ["spec_toml"], "additionalProperties": false,
            "properties": {
                "spec_toml": { "type": "string", "description": "The crawl spec as TOML text" },
                "priority": { "type": ["integer", "null"], "description": "Queue priority, higher first (default 0)" },
                "spec_path": { "type": ["string", "null"], "description": "Where the spec file lives, recorded with the run" },
                "record": { "type": ["boolean", "null"], "description": "Record every exchange (WARC) for replay (default false)" }
            }
        },
        "ReplayRequest": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "spec_toml": { "type": ["string", "null"], "description": "A spec to replay with instead of the run's own (new extraction and link rules)" }
            }
        },
        "PauseRequest": {
            "type": "object", "additionalProperties": false,
            "properties": { "mode": { "type": "string", "enum": ["finish", "abort"], "default": "finish" } }
        },
        "Counters": counters(&["pages_ok", "pages_failed", "pages_skipped", "items_stored", "items_duplicate", "items_dropped", "bytes_fetched", "links_queued", "requests_retried", "warnings"]),
        "Progress": counters(&["pages_ok", "pages_failed", "items_stored", "items_dropped", "bytes_fetched", "in_flight", "queued", "retries"]),
        "Run": {
            "type": "object",
            "required": ["run_id", "name", "state", "created_at_millis", "spec_hash", "counters"],
            "properties": {
                "run_id": { "type": "integer" },
                "name": { "type": "string" },
                "state": state,
                "created_at_millis": { "type": "integer" },
                "started_at_millis": { "type": ["integer", "null"] },
                "finished_at_millis": { "type": ["integer", "null"] },
                "spec_path": { "type": ["string", "null"] },
                "spec_hash": { "type": "string" },
                "error": { "type": ["string", "null"] },
                "counters": schema_ref("Counters"),
                "progress": { "oneOf": [schema_ref("Progress"), { "type": "null" }] },
                "schedule": { "oneOf": [schema_ref("RunSchedule"), { "type": "null" }] }
            }
        },
        "RunSchedule": {
            "type": "object", "required": ["schedule_id", "name", "fire_id", "scheduled_for_millis"],
            "description": "The schedule whose fire started the run",
            "properties": {
                "schedule_id": { "type": "integer" }, "name": { "type": "string" },
                "fire_id": { "type": "integer" }, "scheduled_for_millis": { "type": "integer" }
            }
        },
        "CreateScheduleRequest": {
            "type": "object", "required": ["cron"], "additionalProperties": false,
            "description": "Give exactly one of spec_toml (stored as a snapshot) and spec_path (an absolute path, re-read and validated at each fire)",
            "properties": {
                "name": { "type": ["string", "null"], "description": "Unique, not all digits; default: the spec's name" },
                "cron": { "type": "string", "description": "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, names (MON, JAN), or @hourly/@daily/@weekly/@monthly/@yearly" },
                "time_zone": { "type": ["string", "null"], "description": "IANA time zone (default UTC)" },
                "spec_toml": { "type": ["string", "null"] },
                "spec_path": { "type": ["string", "null"] },
                "overlap": overlap.clone(),
                "missed": missed.clone(),
                "missed_max": { "type": ["integer", "null"], "minimum": 1, "maximum": 168, "description": "Bound of missed = run_all" },
                "jitter_secs": { "type": ["integer", "null"], "minimum": 0, "maximum": 86400, "description": "Each fire waits a fixed pseudo-random delay up to this (default 0)" },
                "paused": { "type": ["boolean", "null"], "description": "Add it paused (default false)" }
            }
        },
        "FireTime": {
            "type": "object", "required": ["at_millis", "local"],
            "properties": {
                "at_millis": { "type": "integer" },
                "local": { "type": "string", "description": "RFC 3339 in the schedule's time zone, with its UTC offset" }
            }
        },
        "Fire": {
            "type": "object",
            "required": ["fire_id", "schedule_id", "scheduled_for", "jitter_millis", "state", "recorded_at_millis", "updated_at_millis"],
            "properties": {
                "fire_id": { "type": "integer" },
                "schedule_id": { "type": "integer" },
                "scheduled_for": schema_ref("FireTime"),
                "jitter_millis": counter,
                "state": { "type": "string", "enum": ["firing", "queued", "submitted", "skipped", "failed"] },
                "run_id": { "type": ["integer", "null"] },
                "run_state": { "oneOf": [state.clone(), { "type": "null" }] },
                "detail": { "type": ["string", "null"], "description": "Why it was skipped, or the error of a failed fire" },
                "recorded_at_millis": { "type": "integer" },
                "updated_at_millis": { "type": "integer" }
            }
        },
        "Schedule": {
            "type": "object",
            "required": ["schedule_id", "name", "cron", "time_zone", "overlap", "missed", "jitter_secs", "spec_snapshot", "paused", "created_at_millis", "next_fires"],
            "properties": {
                "schedule_id": { "type": "integer" },
                "name": { "type": "string" },
                "cron": { "type": "string" },
                "time_zone": { "type": "string" },
                "overlap": overlap,
                "missed": missed,
                "missed_max": { "type": ["integer", "null"] },
                "jitter_secs": counter,
                "spec_path": { "type": ["string", "null"] },
                "spec_snapshot": { "type": "boolean" },
                "paused": { "type": "boolean" },
                "created_at_millis": { "type": "integer" },
                "last_fire": fire_time.clone(),
                "next_fires": { "type": "array", "items": schema_ref("FireTime"), "description": "The next five cron times after now (before jitter)" },
                "overdue_since": fire_time.clone(),
                "queued_fire": fire_time,
                "last_outcome": { "oneOf": [schema_ref("Fire"), { "type": "null" }] }
            }
        },
        "ScheduleList": { "type": "object", "required": ["schedules"], "properties": { "schedules": { "type": "array", "items": schema_ref("Schedule") } } },
        "FireList": {
            "type": "object", "required": ["schedule_id", "fires"],
            "properties": { "schedule_id": { "type": "integer" }, "fires": { "type": "array", "items": schema_ref("Fire") } }
        },
        "RemovedSchedule": {
            "type": "object", "required": ["schedule_id", "name", "fires_deleted", "runs_kept"],
            "properties": {
                "schedule_id": { "type": "integer" }, "name": { "type": "string" },
                "fires_deleted": counter,
                "runs_kept": { "type": "array", "items": { "type": "integer" } }
            }
        },
        "RunList": { "type": "object", "required": ["runs"], "properties": { "runs": { "type": "array", "items": schema_ref("Run") } } },
        "Item": {
            "type": "object", "required": ["kind", "url", "fields"],
            "properties": {
                "kind": { "type": "string" },
                "key": { "type": ["string", "null"] },
                "url": { "type": "string" },
                "fields": { "type": "object" }
            }
        },
        "ItemPage": {
            "type": "object", "required": ["run_id", "offset", "limit", "total", "items"],
            "properties": {
                "run_id": { "type": "integer" }, "offset": counter, "limit": counter, "total": counter,
                "items": { "type": "array", "items": schema_ref("Item") }
            }
        },
        "Health": {
            "type": "object", "required": ["status", "version", "pid"],
            "properties": { "status": { "type": "string" }, "version": { "type": "string" }, "pid": { "type": "integer" } }
        },
        "Problem": {
            "type": "object", "required": ["message", "line", "column", "key_path"],
            "properties": {
                "message": { "type": "string" }, "help": { "type": ["string", "null"] },
                "line": { "type": "integer" }, "column": { "type": "integer" }, "key_path": { "type": "string" }
            }
        },
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message"],
                "properties": {
                    "code": { "type": "string" }, "message": { "type": "string" },
                    "details": { "type": "array", "items": schema_ref("Problem") },
                    "field": { "type": "string", "description": "The request field an invalid_schedule error is about" }
                }
            } }
        }
    })
}

/// The event log's shapes: events, their pages, stats and samples.
fn event_schemas() -> Value {
    let counter = json!({ "type": "integer", "minimum": 0 });
    json!({
        "Event": {
            "type": "object", "required": ["run_id", "seq", "at_millis", "kind"],
            "description": "One event of a run; the fields besides these depend on `kind` (see docs/specs/events.md)",
            "additionalProperties": true,
            "properties": {
                "run_id": { "type": "integer" },
                "seq": { "type": "integer", "minimum": 1, "description": "The run's logical clock" },
                "at_millis": { "type": "integer" },
                "kind": { "type": "string", "enum": trawl_events::EventKind::ALL.map(trawl_events::EventKind::as_str) }
            }
        },
        "EventPage": {
            "type": "object", "required": ["events"],
            "properties": {
                "events": { "type": "array", "items": schema_ref("Event") },
                "next_after": { "type": ["integer", "null"] }
            }
        },
        "RunStats": {
            "type": "object",
            "required": ["pages", "pages_ok", "pages_failed", "pages_skipped", "status_codes", "errors_by_kind", "bytes", "retries", "latency", "timeline", "hosts"],
            "properties": {
                "pages": counter, "pages_ok": counter, "pages_failed": counter, "pages_skipped": counter,
                "status_codes": { "type": "object", "additionalProperties": counter },
                "errors_by_kind": { "type": "object", "additionalProperties": counter },
                "bytes": counter, "items_extracted": counter, "items_dropped": counter,
                "items_stored": counter, "items_duplicate": counter, "retries": counter, "warnings": counter,
                "latency": { "type": "object", "properties": {
                    "count": counter, "mean_millis": { "type": "number" }, "p50_millis": counter,
                    "p90_millis": counter, "p99_millis": counter, "max_millis": counter } },
                "timeline_bucket_secs": counter,
                "timeline": { "type": "array", "items": { "type": "object", "properties": {
                    "offset_secs": counter, "pages_per_sec": { "type": "number" } } } },
                "hosts": { "type": "array", "items": { "type": "object" } }
            }
        },
        "Samples": {
            "type": "object", "required": ["samples"],
            "properties": { "samples": { "type": "array", "items": { "type": "object", "properties": {
                "at_millis": { "type": "integer" },
                "process_cpu_percent": { "type": "number" }, "system_cpu_percent": { "type": "number" },
                "process_rss_bytes": counter, "system_memory_used_bytes": counter,
                "system_memory_total_bytes": counter, "open_sockets": counter, "store_bytes": counter } } } }
        }
    })
}

/// Timeline sessions and their frames.
fn timeline_schemas() -> Value {
    let counter = json!({ "type": "integer", "minimum": 0 });
    json!({
        "OpenTimelineRequest": {
            "type": "object", "required": ["run_id"], "additionalProperties": false,
            "properties": {
                "run_id": { "type": "integer" },
                "breakpoints": { "type": "array", "items": { "type": "string" }, "description": "url~REGEX, url=URL, kind=KIND[,KIND], error, error~REGEX, item.FIELD=VALUE, item.FIELD~REGEX" }
            }
        },
        "StepRequest": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "kinds": { "type": "array", "items": { "type": "string" }, "description": "Step to the next event of one of these kinds" },
                "back": { "type": "boolean", "default": false }
            }
        },
        "SeekRequest": { "type": "object", "required": ["position"], "additionalProperties": false, "properties": { "position": counter.clone() } },
        "PlayRequest": { "type": "object", "additionalProperties": false, "properties": { "events_per_second": { "type": "integer", "minimum": 0, "default": 0 } } },
        "BreakpointsRequest": { "type": "object", "required": ["breakpoints"], "additionalProperties": false, "properties": { "breakpoints": { "type": "array", "items": { "type": "string" } } } },
        "Timeline": {
            "type": "object", "required": ["timeline_id", "run_id", "position", "breakpoints", "playing", "recorded"],
            "properties": {
                "timeline_id": { "type": "integer" },
                "run_id": { "type": "integer" },
                "position": { "type": "integer", "description": "The current event's seq (0: before the first)" },
                "breakpoints": { "type": "array", "items": { "type": "string" } },
                "playing": { "type": "boolean" },
                "stopped": { "type": ["string", "null"], "enum": ["breakpoint", "end", "paused", "error", null] },
                "recorded": { "type": "boolean", "description": "Whether responses can be shown (the run, or the run it replays, was recorded)" },
                "frame": { "oneOf": [schema_ref("Frame"), { "type": "null" }] }
            }
        },
        "Frame": {
            "type": "object", "required": ["position", "last", "event", "breakpoints"],
            "properties": {
                "position": counter.clone(),
                "last": counter.clone(),
                "event": schema_ref("Event"),
                "exchange": { "oneOf": [schema_ref("Exchange"), { "type": "null" }] },
                "extraction": { "oneOf": [{
                    "type": "object", "required": ["items", "items_dropped", "warnings", "links"],
                    "description": "The page extracted again from the recording with the run's spec (items before key de-duplication)",
                    "properties": {
                        "items": { "type": "array", "items": schema_ref("Item") },
                        "items_dropped": counter.clone(),
                        "warnings": { "type": "array", "items": { "type": "string" } },
                        "links": { "type": "array", "items": { "type": "string" } }
                    }
                }, { "type": "null" }] },
                "breakpoints": { "type": "array", "items": { "type": "string" }, "description": "The breakpoints this event hits" }
            }
        },
        "Exchange": {
            "type": "object", "required": ["method", "url", "outcome"],
            "properties": {
                "method": { "type": "string" },
                "url": { "type": "string" },
                "attempt": { "type": ["integer", "null"], "description": "0 for the first; null: the last" },
                "outcome": { "type": "string", "enum": ["response", "failure", "unavailable"] },
                "status": { "type": ["integer", "null"] },
                "final_url": { "type": ["string", "null"] },
                "redirects": { "type": "array", "items": { "type": "string" } },
                "elapsed_millis": { "type": ["integer", "null"] },
                "headers": { "type": "array", "items": { "type": "array", "items": { "type": "string" }, "minItems": 2, "maxItems": 2 } },
                "body_bytes": { "type": ["integer", "null"] },
                "body": { "type": ["string", "null"], "description": "The body as text, at most 256 KiB; null for binary content" },
                "body_truncated": { "type": "boolean" },
                "error_kind": { "type": ["string", "null"] },
                "error": { "type": ["string", "null"] }
            }
        }
    })
}
