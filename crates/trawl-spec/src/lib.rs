//! The crawl spec (TOML): parsing, validation with file/line/column errors, and
//! the JSON Schema published for editors.
//!
//! Config side only: nothing here fetches or extracts. Components build their
//! running form from the validated [`Spec`]. A spec that loads is known to be
//! runnable as far as can be told without the network: its regexes and
//! selectors compile, its URLs are crawlable and its limits are consistent.

mod diagnostics;
mod key_path;
pub mod model;
mod serde_error;
mod validate;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::de::{DeTable, Deserializer};

pub use diagnostics::{Problem, SpecDiagnostics, render_report};
pub use model::*;

/// A spec that parsed and passed every check, with what it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSpec {
    pub spec: Spec,
    /// The TOML text, kept so a run can store exactly what it ran.
    pub source: String,
    /// The file it was read from; `None` for [`parse`]d text.
    pub path: Option<PathBuf>,
    /// SHA-256 of `source`, lowercase hex: tells runs of different spec
    /// versions apart.
    pub hash: String,
}

/// Why a spec could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SpecError {
    /// The file could not be read (missing, unreadable, or not UTF-8).
    #[error("cannot read spec file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid spec; every problem found is listed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(SpecDiagnostics),
}

/// Reads, parses and validates the spec file at `path`.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
    let source = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut loaded = parse(&source, &path.display().to_string())?;
    loaded.path = Some(path.to_owned());
    Ok(loaded)
}

/// Parses and validates spec text; `origin` names it in messages (a file name).
///
/// A TOML syntax error, or a type error serde stops at, yields one problem;
/// a spec that deserialises gets every semantic check and all their problems.
pub fn parse(source: &str, origin: &str) -> Result<LoadedSpec, SpecError> {
    let invalid = |problems: Vec<Problem>| {
        SpecError::Invalid(SpecDiagnostics {
            origin: origin.to_owned(),
            source: source.to_owned(),
            problems,
        })
    };
    let tree = match DeTable::parse(source) {
        Ok(tree) => tree,
        Err(error) => return Err(invalid(vec![syntax_problem(&error, source)])),
    };
    // The document is parsed once; serde consumes a copy and the original
    // stays around to locate problems by key path.
    let spec = match Spec::deserialize(Deserializer::from(tree.clone())) {
        Ok(spec) => spec,
        Err(error) => {
            let problem = serde_error::problem_from_toml_error(&error, &tree, source);
            return Err(invalid(vec![problem]));
        }
    };
    let problems = validate::validate(&spec, tree.get_ref(), source);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(LoadedSpec {
        spec,
        source: source.to_owned(),
        path: None,
        hash: sha256_hex(source),
    })
}

/// The problem for a TOML syntax error, named by the key it sits in when the
/// parser could recover enough of the document to tell.
fn syntax_problem(error: &toml::de::Error, source: &str) -> Problem {
    let span = error.span();
    let key_path = match &span {
        Some(span) => {
            let (partial_tree, _) = DeTable::parse_recoverable(source);
            key_path::SpanTree::new(partial_tree.get_ref()).path_of_span(span)
        }
        None => key_path::KeyPath::root(),
    };
    let message = error.message();
    let help = if message.contains("escape") {
        "in double-quoted strings a backslash starts an escape; write regexes and Windows paths in single quotes: '\\d+'"
    } else if message.contains("must be quoted") {
        "put text values in quotes: `name = \"books\"`"
    } else {
        "see https://toml.io/en/v1.0.0 for the TOML syntax"
    };
    Problem::new(
        source,
        &key_path,
        span,
        format!("invalid TOML: {message}"),
        Some(help.to_owned()),
    )
}

fn sha256_hex(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The JSON Schema of a spec file, for `trawl spec schema` and editors (with
/// taplo or Even Better TOML, `#:schema ./trawl.schema.json` at the top of a
/// spec gives completion and inline docs from the doc comments in [`model`]).
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(Spec).to_value()
}

#[cfg(test)]
mod tests;
