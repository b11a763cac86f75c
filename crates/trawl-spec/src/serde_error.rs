//! Turns the single error serde stops at into a problem a user can act on:
//! key path, plain type names, and a "did you mean" for misspelt keys.
//!
//! serde's messages are written for Rust programmers (`expected u32`,
//! `untagged enum FieldRule`); this is the one place that translates them.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diagnostics::Problem;
use crate::key_path::{KeyPath, SpanTree};
use crate::model::{FieldSpec, HeaderTable};

/// Where each table of the spec is written, for "`max_depth` belongs in the
/// `[follow]` table" hints; names are the schema's `$defs` names.
const SECTIONS: [(&str, &str); 8] = [
    ("Spec", "the top level of the file"),
    ("FollowRules", "the `[follow]` table"),
    ("RequestSettings", "the `[request]` table"),
    ("Politeness", "the `[politeness]` table"),
    ("ExtractRule", "an `[[extract]]` rule"),
    ("FieldSpec", "a field table (`fields.NAME = { ... }`)"),
    ("SinkConfig", "a `[[sinks]]` entry"),
    ("HeaderTable", "a header table (`headers.NAME = { ... }`)"),
];

/// The problem for a deserialisation error of the document `tree`.
pub(crate) fn problem_from_toml_error(
    error: &toml::de::Error,
    tree: &Spanned<DeTable<'_>>,
    source: &str,
) -> Problem {
    let span_tree = SpanTree::new(tree.get_ref());
    let span = error.span();
    let key_path = span
        .as_ref()
        .map(|span| span_tree.path_of_span(span))
        .unwrap_or_default();
    let message = error.message();

    if message.starts_with("data did not match any variant of untagged enum FieldRule")
        && let Some(problem) = field_rule_problem(span.as_ref(), &span_tree, tree, source)
    {
        return problem;
    }
    if message.starts_with("data did not match any variant of untagged enum HeaderRule")
        && let Some(problem) = header_rule_problem(span.as_ref(), &span_tree, tree, source)
    {
        return problem;
    }
    let (message, help) = translate(message, &key_path);
    Problem::new(source, &key_path, span, message, help)
}

/// The untagged `FieldRule` enum hides why its `Full` form failed; parse the
/// value again as a `FieldSpec` to get the real error (with its span).
fn field_rule_problem(
    span: Option<&Range<usize>>,
    span_tree: &SpanTree<'_>,
    tree: &Spanned<DeTable<'_>>,
    source: &str,
) -> Option<Problem> {
    let span = span?;
    let value = span_tree.value_with_span(span)?;
    let key_path = span_tree.path_of_span(span);
    if value.get_ref().is_table() {
        let error = FieldSpec::deserialize(ValueDeserializer::from(value.clone())).err()?;
        return Some(problem_from_toml_error(&error, tree, source));
    }
    let field_name = key_path.last_key().unwrap_or("NAME");
    let message = format!(
        "invalid field rule: found {}, expected a CSS selector string or a table",
        describe_value(value.get_ref())
    );
    let help = format!(
        "write `{field_name} = \"h1\"` or `{field_name} = {{ selector = \"h1\", type = \"number\" }}`"
    );
    Some(Problem::new(
        source,
        &key_path,
        Some(span.clone()),
        message,
        Some(help),
    ))
}

/// The untagged `HeaderRule` enum hides why its table form failed; parse the
/// value again as a `HeaderTable` to get the real error (with its span). The
/// value itself is never quoted: it may be a secret.
fn header_rule_problem(
    span: Option<&Range<usize>>,
    span_tree: &SpanTree<'_>,
    tree: &Spanned<DeTable<'_>>,
    source: &str,
) -> Option<Problem> {
    let span = span?;
    let value = span_tree.value_with_span(span)?;
    let key_path = span_tree.path_of_span(span);
    if value.get_ref().is_table() {
        let error = HeaderTable::deserialize(ValueDeserializer::from(value.clone())).err()?;
        return Some(problem_from_toml_error(&error, tree, source));
    }
    let name = key_path.last_key().unwrap_or("NAME");
    let message = format!(
        "invalid header value: found {}, expected a string or a table",
        describe_value(value.get_ref())
    );
    let help = format!(
        "write `{name} = \"text\"`, `{name} = {{ value = \"...\", secret = true }}` or `{name} = {{ env = \"VAR\" }}`"
    );
    Some(Problem::new(
        source,
        &key_path,
        Some(span.clone()),
        message,
        Some(help),
    ))
}

fn describe_value(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The words between backticks: "unknown field `a`, expected `b`" -> [a, b].
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Message and help for one serde message.
fn translate(message: &str, key_path: &KeyPath) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let words = backticked(rest);
        let Some((unknown, allowed)) = words.split_first() else {
            return (message.to_owned(), None);
        };
        let help = suggest_key(unknown, allowed);
        return (format!("unknown key `{unknown}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let words = backticked(rest);
        let Some((unknown, allowed)) = words.split_first() else {
            return (message.to_owned(), None);
        };
        let allowed_list = quote_list(allowed);
        let help = match closest(unknown, allowed) {
            Some(suggestion) => {
                format!("did you mean `{suggestion}`? expected one of {allowed_list}")
            }
            None => format!("expected one of {allowed_list}"),
        };
        return (format!("unknown value `{unknown}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let missing = backticked(rest).first().copied().unwrap_or(rest);
        let help = if missing == "fields" {
            "add at least one field, e.g. `fields.title = \"h1\"`".to_owned()
        } else {
            format!("add `{missing} = ...` here")
        };
        return (format!("missing key `{missing}`"), Some(help));
    }
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        let (found, expected) = message
            .split_once(", expected ")
            .unwrap_or((message, "another type"));
        let expected = plain_type_name(expected);
        let key = key_path.last_key().unwrap_or("value");
        let help = if expected == "an array" && found.contains("string") {
            format!("wrap the value in brackets: `{key} = [\"...\"]`")
        } else {
            format!("`{key}` takes {expected}")
        };
        return (format!("{found}, expected {expected}"), Some(help));
    }
    (message.to_owned(), None)
}

/// serde's Rust-flavoured type names in the words of a TOML user.
fn plain_type_name(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a map" => "a table",
        "a boolean" => "a boolean (`true` or `false`)",
        other if other.starts_with("struct ") => "a table",
        other => other,
    }
}

fn quote_list(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The allowed word nearest to `unknown`, if it is near enough to be a typo.
pub(crate) fn closest<'a>(unknown: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|candidate| (strsim::osa_distance(unknown, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Help for an unknown key: a near miss, else the table it belongs in, else
/// the keys allowed here.
fn suggest_key(unknown: &str, allowed: &[&str]) -> String {
    if let Some(suggestion) = closest(unknown, allowed) {
        return format!("did you mean `{suggestion}`?");
    }
    let homes = sections_with_key(unknown);
    if !homes.is_empty() {
        return format!("`{unknown}` belongs in {}", homes.join(" or "));
    }
    if allowed.is_empty() {
        "remove it".to_owned()
    } else {
        format!("remove it; allowed keys here: {}", quote_list(allowed))
    }
}

/// Every section of the spec that has a key named `key`.
fn sections_with_key(key: &str) -> Vec<&'static str> {
    let schema = crate::json_schema();
    SECTIONS
        .iter()
        .filter(|(definition, _)| {
            let properties = if *definition == "Spec" {
                schema.get("properties")
            } else {
                schema
                    .get("$defs")
                    .and_then(|definitions| definitions.get(definition))
                    .and_then(|definition| definition.get("properties"))
            };
            properties.is_some_and(|properties| properties.get(key).is_some())
        })
        .map(|(_, place)| *place)
        .collect()
}
