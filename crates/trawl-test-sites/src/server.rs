//! The small hyper server every fixture site runs on.
//!
//! Tests, the demo and the benchmark all need a real HTTP server on loopback
//! that starts on port 0, speaks HTTP/1.1 with keep-alive and h2c, and goes
//! away cleanly. A site is just a [`Handler`]; this file owns the sockets,
//! the connection tasks and shutdown, so sites stay pure request -> response
//! functions. It is on the benchmark's hot path: one boxed future per request
//! (the [`Handler`] signature) is the only allocation added to hyper's own.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

/// Response body type of every fixture handler: static pages, streamed
/// bombs and slow drips alike.
pub type BoxBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// A fixture site: turns a request into a response. Shared by all
/// connections, so any state lives behind the `Arc` (counters, caches).
pub type Handler = Arc<
    dyn Fn(
            http::Request<hyper::body::Incoming>,
        ) -> Pin<Box<dyn Future<Output = http::Response<BoxBody>> + Send>>
        + Send
        + Sync,
>;

/// How long open connections get to finish their in-flight responses once
/// the server stops, before they are cut. Hostile routes (slow drip, never
/// answering) never finish, so this bounds every shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(250);

/// A running server bound to one address. Stops on [`TestServer::shutdown`]
/// or, best effort, when dropped.
pub struct TestServer {
    local_addr: SocketAddr,
    /// Dropping or sending on it tells the accept loop to stop.
    shutdown_sender: watch::Sender<bool>,
    /// Fires once the accept loop and every connection task have ended.
    stopped_receiver: Option<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TestServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts the server on 127.0.0.1 with a free port, on the current tokio
    /// runtime. Must be called from inside a runtime.
    pub async fn start(handler: Handler) -> std::io::Result<TestServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let local_addr = listener.local_addr()?;
        let (shutdown_sender, shutdown_receiver) = watch::channel(false);
        let (stopped_sender, stopped_receiver) = oneshot::channel();
        tokio::spawn(async move {
            accept_loop(listener, handler, shutdown_receiver).await;
            let _ = stopped_sender.send(());
        });
        Ok(TestServer {
            local_addr,
            shutdown_sender,
            stopped_receiver: Some(stopped_receiver),
        })
    }

    /// Starts the server on its own thread with its own runtime (for sync
    /// callers: CLI demo, std tests, a separate bench process).
    pub fn start_in_thread(handler: Handler, worker_threads: usize) -> std::io::Result<TestServer> {
        TestServer::start_in_thread_on(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            handler,
            worker_threads,
        )
    }

    /// Like [`TestServer::start_in_thread`] on a fixed address, for
    /// `trawl serve-fixture --port`. Binding happens before this returns, so
    /// a port in use is reported here and not lost in the thread.
    pub fn start_in_thread_on(
        addr: SocketAddr,
        handler: Handler,
        worker_threads: usize,
    ) -> std::io::Result<TestServer> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local_addr = std_listener.local_addr()?;
        let runtime = if worker_threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(worker_threads)
                .thread_name("trawl-test-server")
                .enable_all()
                .build()?
        };
        let (shutdown_sender, shutdown_receiver) = watch::channel(false);
        let (stopped_sender, stopped_receiver) = oneshot::channel();
        std::thread::Builder::new()
            .name(format!("trawl-test-server-{}", local_addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => accept_loop(listener, handler, shutdown_receiver).await,
                        Err(error) => {
                            tracing::warn!(%error, "test server could not register its listener");
                        }
                    }
                });
                // Dropping the runtime here cancels any task hyper spawned
                // (HTTP/2 streams), so nothing outlives the server.
                drop(runtime);
                let _ = stopped_sender.send(());
            })?;
        Ok(TestServer {
            local_addr,
            shutdown_sender,
            stopped_receiver: Some(stopped_receiver),
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Absolute URL of `path` on this server: `"http://127.0.0.1:PORT" + path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.local_addr, path)
    }

    /// Stops accepting, lets open connections finish for a short grace
    /// period, cuts the rest, and returns once every task has ended.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_sender.send(true);
        if let Some(stopped_receiver) = self.stopped_receiver.take() {
            let _ = stopped_receiver.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Best effort: the accept loop sees the signal and winds down on its
        // own; nobody waits for it.
        let _ = self.shutdown_sender.send(true);
    }
}

/// Accepts connections until told to stop, then shuts every connection down.
async fn accept_loop(
    listener: TcpListener,
    handler: Handler,
    mut shutdown_receiver: watch::Receiver<bool>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let mut connection_tasks = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown_receiver.changed() => {
                // An error means the `TestServer` is gone: stop as well.
                if changed.is_err() || *shutdown_receiver.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer_addr)) => {
                    connection_tasks.spawn(serve_connection(
                        stream,
                        builder.clone(),
                        handler.clone(),
                        shutdown_receiver.clone(),
                    ));
                }
                Err(error) => {
                    // Usually EMFILE under load: back off instead of spinning.
                    tracing::debug!(%error, "test server accept failed");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            },
            Some(_) = connection_tasks.join_next(), if !connection_tasks.is_empty() => {}
        }
    }
    drop(listener);
    // Connections saw the same signal and are closing gracefully; cut the
    // ones that do not make it in time.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE * 2, async {
        while connection_tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connection_tasks.shutdown().await;
    }
}

/// Serves one connection (HTTP/1.1 or h2c, detected from the preface).
async fn serve_connection(
    stream: TcpStream,
    builder: auto::Builder<TokioExecutor>,
    handler: Handler,
    mut shutdown_receiver: watch::Receiver<bool>,
) {
    // Small request/response exchanges must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request| {
        let response_future = handler(request);
        async move { Ok::<_, Infallible>(response_future.await) }
    });
    let mut connection =
        pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
    // A closed channel means the `TestServer` is gone: stop as well.
    let stop_signal = async {
        let _ = shutdown_receiver.wait_for(|stop| *stop).await;
    };
    let stop_requested = tokio::select! {
        _ = connection.as_mut() => false,
        () = stop_signal => true,
    };
    if stop_requested {
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await;
    }
}

/// A complete response with a fixed body: the common case for fixture pages.
pub fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> http::Response<BoxBody> {
    let mut response = http::Response::new(
        http_body_util::Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(content_type_value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, content_type_value);
    }
    response
}

/// Makes every response of `handler` wait `delay` before it is sent, like a
/// site that takes that long per page. A crawl of a delayed server waits on
/// the site instead of the CPU, as against most real sites, which is how
/// `trawl bench --server-delay-ms` measures what a feature costs when CPU is
/// not the bottleneck.
pub fn delayed(handler: Handler, delay: Duration) -> Handler {
    Arc::new(move |request| {
        let response = handler(request);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            response.await
        })
    })
}

/// Most bytes the gzip cache of [`gzipped`] keeps (a 200,000-page shop
/// at ~6 KB a page fits).
const GZIP_CACHE_MAX_BYTES: usize = 2 << 30;

/// Serves `handler`'s responses gzip-encoded to clients that accept gzip,
/// as nginx's `gzip_static` serves precompressed files: each distinct body
/// is compressed once and kept (by its hash), so the server's cost per
/// request stays that of a static file. For benchmarks of what crawling a
/// real (compressing) site costs.
pub fn gzipped(handler: Handler) -> Handler {
    let cache: Arc<std::sync::Mutex<GzipCache>> = Arc::default();
    Arc::new(move |request| {
        let accepts_gzip = request
            .headers()
            .get_all(http::header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|coding| coding.split(';').next().unwrap_or("").trim() == "gzip");
        let response = handler(request);
        let cache = cache.clone();
        Box::pin(async move {
            let response = response.await;
            if !accepts_gzip
                || response
                    .headers()
                    .contains_key(http::header::CONTENT_ENCODING)
            {
                return response;
            }
            let (mut parts, body) = response.into_parts();
            let Ok(collected) = body.collect().await else {
                return full(500, "text/plain", "body failed");
            };
            let compressed = cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .compressed(&collected.to_bytes());
            parts.headers.insert(
                http::header::CONTENT_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
            parts.headers.remove(http::header::CONTENT_LENGTH);
            parts.headers.insert(
                http::header::VARY,
                http::HeaderValue::from_static("Accept-Encoding"),
            );
            let body = http_body_util::Full::new(compressed)
                .map_err(|never: Infallible| match never {})
                .boxed();
            http::Response::from_parts(parts, body)
        })
    })
}

/// Compressed bodies by the xxh3 hash of the plain body.
#[derive(Default)]
struct GzipCache {
    bodies: std::collections::HashMap<u64, Bytes>,
    bytes: usize,
}

impl GzipCache {
    fn compressed(&mut self, plain: &[u8]) -> Bytes {
        use std::io::Write;
        let key = xxhash_rust::xxh3::xxh3_64(plain);
        if let Some(compressed) = self.bodies.get(&key) {
            return compressed.clone();
        }
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(plain);
        let compressed = Bytes::from(encoder.finish().unwrap_or_default());
        if self.bytes + compressed.len() <= GZIP_CACHE_MAX_BYTES {
            self.bytes += compressed.len();
            self.bodies.insert(key, compressed.clone());
        }
        compressed
    }
}

/// Serves the demo catalog. The catalog renders absolute links, so it needs
/// the origin clients used: taken from the request (`Host`, or the HTTP/2
/// authority), which also stays right behind `serve-fixture --port` when a
/// user browses it as `localhost`.
pub fn catalog_handler(catalog: Arc<crate::catalog::Catalog>) -> Handler {
    Arc::new(move |request: http::Request<hyper::body::Incoming>| {
        let catalog = catalog.clone();
        Box::pin(async move {
            let origin = request_origin(&request);
            let path_and_query = request
                .uri()
                .path_and_query()
                .map_or("/", |path_and_query| path_and_query.as_str());
            let page = catalog.render(path_and_query, &origin);
            full(page.status, page.content_type, page.body)
        })
    })
}

/// `http://host[:port]` as the client addressed this server.
pub(crate) fn request_origin<B>(request: &http::Request<B>) -> String {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

#[cfg(test)]
mod tests;
