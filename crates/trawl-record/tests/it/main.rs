//! Integration tests of trawl-record: real files on disk, written by our
//! writer, by warcio (PyPI) and by hand in the style of wget.

#![allow(clippy::unwrap_used)]

mod hostile;
mod import;
mod roundtrip;
mod support;
mod warcio;
