//! Where a timeline stops: breakpoints on a request's URL, an event's kind,
//! an error, or an extracted item's field, written as short expressions
//! (`url~/product/42`, `kind=request_retried`, `error`, `item.price=0`)
//! that the CLI's `--break` and the API's `breakpoints` share.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde_json::Value;
use trawl_events::{Event, EventKind};
use trawl_types::Item;

/// One breakpoint, parsed from its expression (see [`Breakpoint::SYNTAX`]).
#[derive(Debug, Clone)]
pub struct Breakpoint {
    text: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    /// The event's URL matches (`url~RE`) or equals (`url=URL`).
    Url(TextTest),
    /// The event is of one of these kinds.
    Kind(Vec<EventKind>),
    /// A failed request, an error status, a dropped item or a failed run;
    /// with a pattern, one whose outcome, reason or message matches it.
    Error(Option<Regex>),
    /// An item extracted on the page has this field equal to (or matching)
    /// the value. Checked on `page_extracted` events.
    Item { field: String, test: TextTest },
}

#[derive(Debug, Clone)]
enum TextTest {
    Equals(String),
    Matches(Regex),
}

/// A breakpoint expression that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("breakpoint `{text}`: {problem} (expected {})", Breakpoint::SYNTAX)]
pub struct BreakpointError {
    pub text: String,
    pub problem: String,
}

impl Breakpoint {
    /// The accepted forms, for help texts and error messages.
    pub const SYNTAX: &'static str = "url~REGEX, url=URL, kind=KIND[,KIND…], error, error~REGEX, \
         item.FIELD=VALUE or item.FIELD~REGEX";

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when it can only be decided with the page's items (which the
    /// timeline re-extracts from the recording).
    pub fn needs_items(&self) -> bool {
        matches!(self.test, Test::Item { .. })
    }

    /// Whether the event stops here. `items` is called (at most once) for
    /// an item breakpoint on a `page_extracted` event: the items of the page.
    pub fn hits(&self, event: &Event, items: &mut dyn FnMut() -> Vec<Item>) -> bool {
        match &self.test {
            Test::Url(test) => event.url().is_some_and(|url| test.text_matches(url)),
            Test::Kind(kinds) => kinds.contains(&event.kind()),
            Test::Error(pattern) => error_text(event)
                .is_some_and(|text| pattern.as_ref().is_none_or(|re| re.is_match(&text))),
            Test::Item { field, test } => {
                matches!(event, Event::PageExtracted { items: found, .. } if *found > 0)
                    && items().iter().any(|item| {
                        item.fields
                            .get(field)
                            .is_some_and(|value| test.value_matches(value))
                    })
            }
        }
    }
}

/// What makes the event an error, as text to match: `None` when it is not
/// one. Error statuses count; `not_html` and robots rules are not errors.
fn error_text(event: &Event) -> Option<String> {
    match event {
        Event::RequestFailed { outcome, error, .. } => Some(format!("{outcome}: {error}")),
        Event::RequestFetched {
            outcome, status, ..
        } if outcome != "ok" && outcome != "not_html" => Some(format!("{outcome} {status}")),
        Event::ItemDropped {
            rule,
            reason,
            message,
            ..
        } => Some(format!("{reason} ({rule}): {message}")),
        Event::RunStateChanged {
            error: Some(error),
            reason,
            ..
        } => Some(format!("{reason}: {error}")),
        _ => None,
    }
}

impl TextTest {
    fn parse(operator: char, value: &str, text: &str) -> Result<TextTest, BreakpointError> {
        if operator == '=' {
            return Ok(TextTest::Equals(value.to_owned()));
        }
        Regex::new(value)
            .map(TextTest::Matches)
            .map_err(|error| BreakpointError {
                text: text.to_owned(),
                problem: format!("not a regular expression: {error}"),
            })
    }

    fn text_matches(&self, text: &str) -> bool {
        match self {
            TextTest::Equals(expected) => text == expected,
            TextTest::Matches(pattern) => pattern.is_match(text),
        }
    }

    /// A field value against the test: strings as they are, numbers by
    /// value (`price=19.9` matches 19.90), booleans and null by name, and a
    /// list when any element does.
    fn value_matches(&self, value: &Value) -> bool {
        match value {
            Value::Array(values) => values.iter().any(|value| self.value_matches(value)),
            Value::String(text) => self.text_matches(text),
            Value::Number(number) => match self {
                TextTest::Equals(expected) => {
                    match (expected.trim().parse::<f64>(), number.as_f64()) {
                        (Ok(expected), Some(actual)) => expected == actual,
                        _ => number.to_string() == *expected,
                    }
                }
                TextTest::Matches(pattern) => pattern.is_match(&number.to_string()),
            },
            Value::Bool(flag) => self.text_matches(if *flag { "true" } else { "false" }),
            Value::Null => self.text_matches("null"),
            Value::Object(_) => self.text_matches(&value.to_string()),
        }
    }
}

impl FromStr for Breakpoint {
    type Err = BreakpointError;

    fn from_str(text: &str) -> Result<Breakpoint, BreakpointError> {
        let problem = |problem: &str| BreakpointError {
            text: text.to_owned(),
            problem: problem.to_owned(),
        };
        let trimmed = text.trim();
        if trimmed == "error" {
            return Ok(Breakpoint {
                text: trimmed.to_owned(),
                test: Test::Error(None),
            });
        }
        let Some(split) = trimmed.find(['=', '~']) else {
            return Err(problem("no `=` or `~`"));
        };
        let (subject, rest) = trimmed.split_at(split);
        let operator = rest.chars().next().unwrap_or('=');
        let value = &rest[1..];
        if value.is_empty() {
            return Err(problem("nothing after the operator"));
        }
        let test = match subject.trim() {
            "url" => Test::Url(TextTest::parse(operator, value, text)?),
            "kind" => {
                if operator != '=' {
                    return Err(problem("kinds are named with `=`"));
                }
                let kinds = value
                    .split(',')
                    .map(|name| {
                        EventKind::parse(name.trim()).ok_or_else(|| BreakpointError {
                            text: text.to_owned(),
                            problem: format!(
                                "unknown event kind `{}` (kinds: {})",
                                name.trim(),
                                EventKind::names()
                            ),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Test::Kind(kinds)
            }
            "error" => {
                if operator != '~' {
                    return Err(problem("errors are matched with `~` (or plain `error`)"));
                }
                let pattern = Regex::new(value)
                    .map_err(|error| problem(&format!("not a regular expression: {error}")))?;
                Test::Error(Some(pattern))
            }
            subject => match subject.strip_prefix("item.") {
                Some(field) if !field.is_empty() => Test::Item {
                    field: field.to_owned(),
                    test: TextTest::parse(operator, value, text)?,
                },
                _ => return Err(problem(&format!("unknown subject `{subject}`"))),
            },
        };
        Ok(Breakpoint {
            text: trimmed.to_owned(),
            test,
        })
    }
}

impl fmt::Display for Breakpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests;
