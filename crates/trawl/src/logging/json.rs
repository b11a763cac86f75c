//! The JSON line of one log event, as the log files hold it and `trawl logs`
//! reads it:
//!
//! `{"ts":"2025-05-01T06:00:00.123Z","level":"info","target":"trawl_engine::crawl","message":"run started","resume":false,"pending":1,"run_id":1}`
//!
//! `ts` (RFC 3339, UTC, milliseconds), `level` (lowercase), `target` and
//! `message` come first; then the event's own fields with their JSON types
//! (`%value` and `?value` fields are strings); then `run_id`, the id of the
//! enclosing `run` span (the engine runs each crawl in one). An event field
//! that collides with one of the first four keys is renamed `field_NAME`.
//!
//! Written by hand on `serde_json` rather than with tracing-subscriber's
//! `json` feature, whose shape nests fields and spans (`fields.message`,
//! `spans[0].run_id`) where `trawl logs`, `jq` and `grep` want them flat.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use trawl_types::RunId;

/// The name of the span the engine runs each crawl in (`trawl-engine`'s
/// `engine.rs`: `info_span!("run", run_id = ...)`).
pub const RUN_SPAN: &str = "run";

/// Keys every line starts with, in this order.
const RESERVED_KEYS: [&str; 4] = ["ts", "level", "target", "message"];

/// The run id of a `run` span, kept in the span's extensions.
struct RunIdOfSpan(RunId);

/// Remembers the `run_id` of a new `run` span, for the events inside it.
pub(super) fn remember_run_id<S>(attributes: &Attributes<'_>, id: &Id, context: &Context<'_, S>)
where
    S: tracing::Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    if attributes.metadata().name() != RUN_SPAN {
        return;
    }
    let mut visitor = RunIdVisitor(None);
    attributes.record(&mut visitor);
    let (Some(run_id), Some(span)) = (visitor.0, context.span(id)) else {
        return;
    };
    let mut extensions = span.extensions_mut();
    // Both file layers see the span; the first one stores the id
    // (`insert` would panic on a second value).
    if extensions.get_mut::<RunIdOfSpan>().is_none() {
        extensions.insert(RunIdOfSpan(run_id));
    }
}

/// The run an event belongs to: the innermost enclosing `run` span's id.
pub(super) fn run_id_of<S>(event: &tracing::Event<'_>, context: &Context<'_, S>) -> Option<RunId>
where
    S: tracing::Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    context.event_scope(event)?.find_map(|span| {
        span.extensions()
            .get::<RunIdOfSpan>()
            .map(|run_id| run_id.0)
    })
}

struct RunIdVisitor(Option<RunId>);

impl Visit for RunIdVisitor {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "run_id" {
            self.0 = Some(RunId(value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "run_id" {
            self.0 = i64::try_from(value).ok().map(RunId);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "run_id" {
            self.0 = format!("{value:?}").parse().ok();
        }
    }
}

/// The level as the files spell it.
pub fn level_name(level: &tracing::Level) -> &'static str {
    match *level {
        tracing::Level::TRACE => "trace",
        tracing::Level::DEBUG => "debug",
        tracing::Level::INFO => "info",
        tracing::Level::WARN => "warn",
        tracing::Level::ERROR => "error",
    }
}

/// `2025-05-01T06:00:00.123Z`.
pub fn format_ts(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The event as one JSON line, newline included.
pub(super) fn render_line(
    event: &tracing::Event<'_>,
    run_id: Option<RunId>,
    now: DateTime<Utc>,
) -> String {
    // Records of the `log` crate (reqwest, rustls) arrive with target "log";
    // their real target is in the normalized metadata.
    let normalized = event.normalized_metadata();
    let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
    let mut visitor = JsonVisitor::default();
    event.record(&mut visitor);
    line_of(
        now,
        metadata.level(),
        metadata.target(),
        visitor.message.unwrap_or_default(),
        visitor.fields,
        run_id,
    )
}

/// The line for these parts (split from [`render_line`] for tests).
pub(super) fn line_of(
    now: DateTime<Utc>,
    level: &tracing::Level,
    target: &str,
    message: String,
    fields: Vec<(String, Value)>,
    run_id: Option<RunId>,
) -> String {
    let mut object = Map::new();
    object.insert("ts".to_owned(), Value::String(format_ts(now)));
    object.insert("level".to_owned(), Value::from(level_name(level)));
    object.insert("target".to_owned(), Value::from(target));
    object.insert("message".to_owned(), Value::String(message));
    for (name, value) in fields {
        if name == "run_id" {
            // The span's id wins; an event's own `%run_id` (a string) is
            // kept, as a number, only outside a run span.
            if run_id.is_none() {
                let value = match &value {
                    Value::String(text) => text.parse::<i64>().map(Value::from).unwrap_or(value),
                    _ => value,
                };
                object.insert(name, value);
            }
            continue;
        }
        let key = if RESERVED_KEYS.contains(&name.as_str()) {
            format!("field_{name}")
        } else {
            name
        };
        object.insert(key, value);
    }
    if let Some(run_id) = run_id {
        object.insert("run_id".to_owned(), Value::from(run_id.0));
    }
    let mut line = Value::Object(object).to_string();
    line.push('\n');
    line
}

/// Collects an event's message and fields as JSON values.
#[derive(Default)]
struct JsonVisitor {
    message: Option<String>,
    fields: Vec<(String, Value)>,
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name == "message" {
            self.message = Some(match value {
                Value::String(text) => text,
                other => other.to_string(),
            });
        } else if !name.starts_with("log.") {
            // `log.target`, `log.file`, ... of `log` records are in the
            // normalized metadata already.
            self.fields.push((name.to_owned(), value));
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.put(field, Value::String(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}
