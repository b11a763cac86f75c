//! The crawl spec (TOML): parsing, validation with file/line/column errors, and
//! the JSON Schema published for editors.
//!
//! Config side only: nothing here fetches or extracts. Components build their
//! running form from the validated [`Spec`].

pub mod model;

pub use model::*;

/// A spec that failed to parse or validate (placeholder until diagnostics land).
#[derive(Debug, thiserror::Error)]
#[error("invalid spec: {0}")]
pub struct SpecError(pub String);

/// Parse and validate a spec from TOML source.
pub fn parse(source: &str) -> Result<Spec, SpecError> {
    toml::from_str(source).map_err(|error| SpecError(error.to_string()))
}
