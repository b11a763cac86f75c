//! Why a spec's extraction rules cannot be compiled into an [`crate::Extractor`].
//!
//! These are the only errors the crate returns: they happen once, at run start,
//! and each names the rule and field so the user can fix the spec. Problems with
//! pages are warnings instead ([`crate::ExtractWarning`]).

/// A spec whose extraction rules cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A rule's `root` is not a CSS selector lol_html supports (it has no
    /// sibling combinators, `:has()`, `:is()`, pseudo-elements, ...).
    #[error("rule {rule:?}: invalid root selector {selector:?}: {reason}")]
    InvalidRootSelector {
        rule: String,
        selector: String,
        reason: String,
    },
    /// A field's `selector` (combined with the rule's `root`) is not a CSS
    /// selector lol_html supports.
    #[error("rule {rule:?}, field {field:?}: invalid selector {selector:?}: {reason}")]
    InvalidFieldSelector {
        rule: String,
        field: String,
        selector: String,
        reason: String,
    },
    /// One of `follow.selectors` is not a CSS selector lol_html supports.
    #[error("follow.selectors: invalid selector {selector:?}: {reason}")]
    InvalidFollowSelector { selector: String, reason: String },
    /// A rule's `url` is not a valid regex.
    #[error("rule {rule:?}: invalid url regex {pattern:?}: {reason}")]
    InvalidUrlRegex {
        rule: String,
        pattern: String,
        reason: String,
    },
    /// A field's `regex` is not a valid regex.
    #[error("rule {rule:?}, field {field:?}: invalid regex {pattern:?}: {reason}")]
    InvalidFieldRegex {
        rule: String,
        field: String,
        pattern: String,
        reason: String,
    },
    /// A field's `format` has a `%` specifier chrono does not know.
    #[error("rule {rule:?}, field {field:?}: invalid date format {format:?}")]
    InvalidDateFormat {
        rule: String,
        field: String,
        format: String,
    },
    /// A rule's `key` names no field of the rule.
    #[error("rule {rule:?}: key {key:?} is not one of the rule's fields")]
    UnknownKeyField { rule: String, key: String },
    /// A field has `mode = "attr"` but no `attr` naming the attribute.
    #[error("rule {rule:?}, field {field:?}: mode \"attr\" needs `attr` (the attribute name)")]
    MissingAttrName { rule: String, field: String },
    /// A field sets `attr` together with `mode = "text"` or `mode = "html"`,
    /// so it is unclear what to read.
    #[error("rule {rule:?}, field {field:?}: `attr` is set but mode is {mode:?}; drop one of them")]
    AttrWithOtherMode {
        rule: String,
        field: String,
        mode: &'static str,
    },
}
