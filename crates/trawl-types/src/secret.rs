//! `Secret`: a string that must never reach a log line, an event, an error
//! message or an export (API tokens, passwords, `Authorization` values).
//!
//! Shared vocabulary because a secret is read in one crate (the spec, later
//! the secrets store) and used in another (the fetcher): the type travels
//! with the value so no `{:?}` of a config, a spec or an error on the way can
//! print it. The only way to the text is [`Secret::expose`], which is easy to
//! grep for.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret prints as, everywhere.
pub const REDACTED: &str = "[redacted]";

/// A secret string. `Debug`, `Display` and `Serialize` print [`REDACTED`];
/// `Deserialize` reads a plain string.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret text, for the one place that must send it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

/// Serialising a secret writes [`REDACTED`]: whatever is serialised (a spec
/// shown by a UI, a config dump) is safe to show, and a secret cannot round-trip
/// through serde by accident.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests;
