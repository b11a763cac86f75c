//! Integration tests of the fetcher against real servers on 127.0.0.1: the
//! hostile fixture site for every way a site can misbehave, and a local
//! TLS server for HTTP/2. Each test asserts the exact typed outcome and
//! that it came within a time bound.

#![allow(clippy::unwrap_used)]

mod content;
mod http2;
mod limits;
mod redirects;
mod retries;
mod robots;
mod session;
mod support;
