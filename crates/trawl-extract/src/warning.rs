//! What went wrong on one page without stopping extraction.
//!
//! The engine turns each warning into an event, so a user can see why an item
//! is missing or a link was not followed. Messages are lowercase and quote the
//! offending value, cut short, since pages control it.

use std::fmt;

/// Most warnings kept for one page; the rest are counted in
/// [`ExtractWarning::TooManyWarnings`] so a page with a million bad links
/// cannot flood the event log.
pub const MAX_WARNINGS_PER_PAGE: usize = 1_000;

/// Longest excerpt of page content quoted in a warning, in characters.
const MAX_QUOTED_CHARS: usize = 80;

/// One problem found while extracting a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractWarning {
    /// A `required` field matched nothing (or only empty text); the item was dropped.
    MissingRequired { rule: String, field: String },
    /// A field's value did not match its `regex` or could not be parsed as its
    /// `type`. The field became its `default` (or null), or the item was
    /// dropped when the field is `required` (`item_dropped`).
    Unparsable {
        rule: String,
        field: String,
        /// The offending value, cut to 80 characters.
        value: String,
        /// What was expected, e.g. `number` or `date (%d %B %Y)`.
        expected: String,
        item_dropped: bool,
    },
    /// The rule's `key` field had no value (null, missing or empty); the item
    /// was dropped because it could not be de-duplicated.
    MissingKey { rule: String, key_field: String },
    /// A field's value was longer than [`crate::MAX_FIELD_VALUE_BYTES`] and was cut.
    FieldTooLong {
        rule: String,
        field: String,
        max_bytes: usize,
    },
    /// An `href` (or `<base href>`) could not be resolved into a URL.
    BadLink {
        /// The href, cut to 80 characters.
        href: String,
        reason: String,
    },
    /// The page had more than [`crate::MAX_LINKS_PER_PAGE`] link candidates;
    /// `dropped` counts the link elements seen after the cap was reached.
    TooManyLinks { kept: usize, dropped: usize },
    /// lol_html stopped parsing (memory limit, invalid state); what was
    /// extracted before that point is kept.
    ParseAborted { reason: String },
    /// More than [`MAX_WARNINGS_PER_PAGE`] warnings; `dropped` were not recorded.
    TooManyWarnings { dropped: usize },
}

impl ExtractWarning {
    /// A stable snake_case name for events and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ExtractWarning::MissingRequired { .. } => "missing_required",
            ExtractWarning::Unparsable { .. } => "unparsable",
            ExtractWarning::MissingKey { .. } => "missing_key",
            ExtractWarning::FieldTooLong { .. } => "field_too_long",
            ExtractWarning::BadLink { .. } => "bad_link",
            ExtractWarning::TooManyLinks { .. } => "too_many_links",
            ExtractWarning::ParseAborted { .. } => "parse_aborted",
            ExtractWarning::TooManyWarnings { .. } => "too_many_warnings",
        }
    }
}

impl fmt::Display for ExtractWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtractWarning::MissingRequired { rule, field } => write!(
                f,
                "rule {rule:?}: required field {field:?} is missing; item dropped"
            ),
            ExtractWarning::Unparsable {
                rule,
                field,
                value,
                expected,
                item_dropped,
            } => {
                write!(
                    f,
                    "rule {rule:?}, field {field:?}: cannot read {value:?} as {expected}"
                )?;
                if *item_dropped {
                    f.write_str("; item dropped")?;
                }
                Ok(())
            }
            ExtractWarning::MissingKey { rule, key_field } => write!(
                f,
                "rule {rule:?}: key field {key_field:?} has no value; item dropped"
            ),
            ExtractWarning::FieldTooLong {
                rule,
                field,
                max_bytes,
            } => write!(
                f,
                "rule {rule:?}, field {field:?}: value longer than {max_bytes} bytes was cut"
            ),
            ExtractWarning::BadLink { href, reason } => {
                write!(f, "bad link {href:?}: {reason}")
            }
            ExtractWarning::TooManyLinks { kept, dropped } => write!(
                f,
                "too many links on the page: kept {kept}, dropped {dropped}"
            ),
            ExtractWarning::ParseAborted { reason } => {
                write!(f, "html parsing stopped early: {reason}")
            }
            ExtractWarning::TooManyWarnings { dropped } => {
                write!(
                    f,
                    "too many warnings on the page: {dropped} more not recorded"
                )
            }
        }
    }
}

/// Cuts page-controlled text for quoting in a warning: at most 80 characters,
/// with `…` when something was cut.
pub(crate) fn quote_excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut_at, _)) => format!("{}…", &text[..cut_at]),
        None => text.to_owned(),
    }
}

/// Rewrites a library's message in our style: lowercase first letter, no
/// trailing period (lol_html says "The memory limit has been exceeded.").
pub(crate) fn house_style_message(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let mut characters = message.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => "unknown error".to_owned(),
    }
}

/// Collects a page's warnings up to [`MAX_WARNINGS_PER_PAGE`].
#[derive(Debug, Default)]
pub(crate) struct WarningLog {
    warnings: Vec<ExtractWarning>,
    dropped: usize,
}

impl WarningLog {
    pub(crate) fn push(&mut self, warning: ExtractWarning) {
        if self.warnings.len() < MAX_WARNINGS_PER_PAGE {
            self.warnings.push(warning);
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn finish(mut self) -> Vec<ExtractWarning> {
        if self.dropped > 0 {
            self.warnings.push(ExtractWarning::TooManyWarnings {
                dropped: self.dropped,
            });
        }
        self.warnings
    }
}

#[cfg(test)]
mod tests;
