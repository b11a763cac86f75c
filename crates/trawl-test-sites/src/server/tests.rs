//! Real-socket checks of the fixture server: it answers, keeps connections
//! alive, and its shutdown is bounded even with a response that never ends.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

/// Sends one HTTP/1.1 request on `stream` and reads until `needle` appears.
async fn request_and_read_until(stream: &mut TcpStream, path: &str, needle: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: fixture.test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains(needle) {
        let read = stream.read(&mut buffer).await.unwrap();
        assert_ne!(read, 0, "connection closed before {needle:?}");
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn serves_two_requests_on_one_kept_alive_connection() {
    let server = TestServer::start(crate::hostile::hostile_handler())
        .await
        .unwrap();
    assert_eq!(
        server.url("/ok"),
        format!("http://127.0.0.1:{}/ok", server.addr().port())
    );
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let first = request_and_read_until(&mut stream, "/ok", "</html>").await;
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        let second = request_and_read_until(&mut stream, "/sitemap.xml", "</urlset>").await;
        assert!(second.starts_with("HTTP/1.1 200 OK\r\n"), "{second}");
        // The origin comes from the Host header.
        assert!(
            second.contains("<loc>http://fixture.test/ok</loc>"),
            "{second}"
        );
    })
    .await
    .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn a_delayed_handler_answers_after_its_delay_and_concurrently() {
    let delay = Duration::from_millis(200);
    let server = TestServer::start(delayed(crate::hostile::hostile_handler(), delay))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        let started = Instant::now();
        let mut first = TcpStream::connect(server.addr()).await.unwrap();
        let mut second = TcpStream::connect(server.addr()).await.unwrap();
        let (a, b) = tokio::join!(
            request_and_read_until(&mut first, "/ok", "</html>"),
            request_and_read_until(&mut second, "/ok", "</html>"),
        );
        let elapsed = started.elapsed();
        assert!(a.starts_with("HTTP/1.1 200 OK\r\n") && b.starts_with("HTTP/1.1 200 OK\r\n"));
        // Both waited the delay, side by side rather than one after the other.
        assert!(elapsed >= delay, "answered after {elapsed:?}");
        assert!(elapsed < delay * 2, "delays were serialised: {elapsed:?}");
    })
    .await
    .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_bounded_while_a_response_never_ends() {
    let server = TestServer::start(crate::hostile::hostile_handler())
        .await
        .unwrap();
    let mut drip_stream = TcpStream::connect(server.addr()).await.unwrap();
    let mut silent_stream = TcpStream::connect(server.addr()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        request_and_read_until(&mut drip_stream, "/slow-drip", "\r\n\r\n").await;
        silent_stream
            .write_all(b"GET /no-headers HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
    })
    .await
    .unwrap();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Both connections were cut: reads reach end of stream (or a reset).
    for stream in [&mut drip_stream, &mut silent_stream] {
        let mut buffer = [0u8; 1024];
        let end = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(end.is_ok());
    }
}

#[test]
fn thread_server_answers_and_stops_on_drop() {
    let server = TestServer::start_in_thread(crate::hostile::hostile_handler(), 1).unwrap();
    let addr = server.addr();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /status/418 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 418 "), "{response}");
    drop(server);
    // The listener closes shortly after the drop.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "server still accepting after drop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn full_sets_status_and_content_type() {
    let response = full(201, "text/plain", "x");
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()[http::header::CONTENT_TYPE], "text/plain");
    assert_eq!(full(1000, "text/plain", "x").status(), 500);
}
