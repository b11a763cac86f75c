//! URL frontier logic: which URLs are the same page (canonical form and
//! fingerprint), which ones the crawl may visit (scope), and which ones it
//! has already seen.
//!
//! Pure logic, no IO: the engine persists fingerprints and queues through
//! `trawl-store`, and this crate decides what goes in.

mod canonical;
mod scope;
mod seen;

pub use canonical::{canonicalize, fingerprint};
pub use scope::{FrontierError, MAX_URL_BYTES, Rejection, Scope};
pub use seen::SeenSet;
