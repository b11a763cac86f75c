//! The only crate that talks to target sites.
//!
//! A crawl meets every kind of hostile server, so each fetch here returns a
//! bounded, typed outcome: redirects are followed by hand (to record the
//! chain, spot loops and count), each phase has its own deadline, and bodies
//! are capped after decompression (gzip and deflate are decoded here, keeping
//! the wire bytes for recordings). Around the fetch sit the pieces that
//! interpret what came back without more IO: charset decoding
//! ([`charset`]), robots.txt rules ([`robots`]) and the retry decision
//! ([`RetryPolicy`]).
//!
//! Build a [`Fetcher`] once per run from a [`FetchConfig`] and clone it into
//! every task: clones share one connection pool and one cookie jar.

pub mod charset;
mod config;
mod cookies;
mod decode;
mod error;
mod fetcher;
mod response;
mod retry;
pub mod robots;
mod sniff;

pub use config::{DEFAULT_POOL_MAX_IDLE_PER_HOST, FetchConfig};
pub use error::{FetchError, TimeoutPhase};
pub use fetcher::{Fetcher, ROBOTS_MAX_BODY_BYTES};
pub use response::{Response, WireBody};
pub use retry::{DEFAULT_MAX_RETRY_DELAY, RetryDecision, RetryPolicy};
pub use robots::Robots;
pub use url::Url;
