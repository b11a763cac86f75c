//! Key paths (`extract[0].fields.price.regex`) and where they sit in the source.
//!
//! serde forgets where a value came from once it is in a `Spec`, so every
//! problem found after deserialisation is located by walking the spanned
//! document (`toml::de::DeTable`) along the problem's key path. The reverse
//! walk (span -> key path) names the key of a serde error, whose own key list
//! is private in `toml::de::Error`.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Where a value lives in the spec, printed the way users write it in
/// messages: `extract[0].fields."unit price".regex`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KeyPath {
    segments: Vec<Segment>,
}

impl KeyPath {
    /// The document itself (prints as an empty string).
    pub(crate) fn root() -> KeyPath {
        KeyPath::default()
    }

    /// This path extended by a table key.
    pub(crate) fn key(&self, key: &str) -> KeyPath {
        let mut segments = self.segments.clone();
        segments.push(Segment::Key(key.to_owned()));
        KeyPath { segments }
    }

    /// This path extended by an array index.
    pub(crate) fn index(&self, index: usize) -> KeyPath {
        let mut segments = self.segments.clone();
        segments.push(Segment::Index(index));
        KeyPath { segments }
    }

    /// The last table key of the path (`regex` for `extract[0].fields.price.regex`).
    pub(crate) fn last_key(&self) -> Option<&str> {
        self.segments
            .iter()
            .rev()
            .find_map(|segment| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) => None,
            })
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

/// True when TOML accepts the key without quotes (a "bare key").
fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if position > 0 {
                        formatter.write_str(".")?;
                    }
                    if is_bare_key(key) {
                        formatter.write_str(key)?;
                    } else {
                        write!(formatter, "{key:?}")?;
                    }
                }
                Segment::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Where a key path was found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// Span of the key as written (absent for array elements).
    pub(crate) key_span: Option<Range<usize>>,
    /// Span of the value (for a `[table]` or `[[array]]` entry: its header).
    pub(crate) value_span: Range<usize>,
    /// False when the path itself is absent (a defaulted key) and this is the
    /// deepest ancestor that is present.
    pub(crate) exact: bool,
}

/// The parsed document with spans, used only to locate problems.
pub(crate) struct SpanTree<'i> {
    root: &'i DeTable<'i>,
}

impl<'i> SpanTree<'i> {
    pub(crate) fn new(root: &'i DeTable<'i>) -> SpanTree<'i> {
        SpanTree { root }
    }

    /// The deepest node on `path` that exists in the source, or `None` when
    /// not even the first segment was written (the whole document is the only
    /// ancestor, and labelling all of it helps nobody).
    pub(crate) fn locate(&self, path: &KeyPath) -> Option<Located> {
        let mut current_table = Some(self.root);
        let mut current_array: Option<&[Spanned<DeValue<'i>>]> = None;
        let mut found: Option<Located> = None;
        for segment in path.segments() {
            let next = match (segment, current_table, current_array) {
                (Segment::Key(key), Some(table), _) => table
                    .iter()
                    .find(|(candidate, _)| candidate.get_ref() == key)
                    .map(|(key, value)| (Some(key.span()), value)),
                (Segment::Index(index), _, Some(array)) => {
                    array.get(*index).map(|value| (None, value))
                }
                _ => None,
            };
            let Some((key_span, value)) = next else {
                return found.map(|located| Located {
                    exact: false,
                    ..located
                });
            };
            found = Some(Located {
                key_span,
                value_span: value.span(),
                exact: true,
            });
            current_table = value.get_ref().as_table();
            current_array = value.get_ref().as_array().map(|array| &array[..]);
        }
        found
    }

    /// The key path of the deepest key or value whose span contains `span`.
    pub(crate) fn path_of_span(&self, span: &Range<usize>) -> KeyPath {
        let mut best = KeyPath::root();
        let mut current = KeyPath::root();
        deepest_in_table(self.root, span, &mut current, &mut best);
        best
    }

    /// The value whose own span is exactly `span` (used to re-deserialise the
    /// part of the document a serde error points at).
    pub(crate) fn value_with_span(&self, span: &Range<usize>) -> Option<&'i Spanned<DeValue<'i>>> {
        value_with_span_in_table(self.root, span)
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Depth-first search; `[table]` values only span their header, so every
/// child is visited whether or not its parent contains the span.
fn deepest_in_table(
    table: &DeTable<'_>,
    span: &Range<usize>,
    current: &mut KeyPath,
    best: &mut KeyPath,
) {
    for (key, value) in table.iter() {
        current
            .segments
            .push(Segment::Key(key.get_ref().to_string()));
        if contains(&key.span(), span) || contains(&value.span(), span) {
            consider(current, best);
        }
        deepest_in_value(value, span, current, best);
        current.segments.pop();
    }
}

fn deepest_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    current: &mut KeyPath,
    best: &mut KeyPath,
) {
    match value.get_ref() {
        DeValue::Table(table) => deepest_in_table(table, span, current, best),
        DeValue::Array(array) => {
            for (index, element) in array.iter().enumerate() {
                current.segments.push(Segment::Index(index));
                if contains(&element.span(), span) {
                    consider(current, best);
                }
                deepest_in_value(element, span, current, best);
                current.segments.pop();
            }
        }
        _ => {}
    }
}

fn consider(current: &KeyPath, best: &mut KeyPath) {
    if current.segments.len() >= best.segments.len() {
        best.segments.clone_from(&current.segments);
    }
}

fn value_with_span_in_table<'a, 'i>(
    table: &'a DeTable<'i>,
    span: &Range<usize>,
) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .values()
        .find_map(|value| value_with_span_in_value(value, span))
}

fn value_with_span_in_value<'a, 'i>(
    value: &'a Spanned<DeValue<'i>>,
    span: &Range<usize>,
) -> Option<&'a Spanned<DeValue<'i>>> {
    if value.span() == *span {
        return Some(value);
    }
    match value.get_ref() {
        DeValue::Table(table) => value_with_span_in_table(table, span),
        DeValue::Array(array) => array
            .iter()
            .find_map(|element| value_with_span_in_value(element, span)),
        _ => None,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    // Spans come from the TOML parser and fall on character boundaries; the
    // fallback keeps a bad offset from panicking all the same.
    let before = source.get(..offset).unwrap_or(source);
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
