//! The guarded site over a real socket: pages for the right headers only,
//! and no header ever echoed back.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::server::TestServer;

/// One HTTP/1.1 request with `headers`, on a connection closed after it.
async fn get(server: &TestServer, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: guarded.test\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.unwrap();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn answers_only_with_every_required_header_and_echoes_none() {
    let (handler, stats) = guarded_handler(vec![
        ("x-api-key".to_owned(), "key-1".to_owned()),
        ("authorization".to_owned(), "Bearer tok-2".to_owned()),
    ]);
    let server = TestServer::start(handler).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        let both = "X-Api-Key: key-1\r\nAuthorization: Bearer tok-2\r\n";
        let page = get(&server, "/", both).await;
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Guarded home") && page.contains("/page/2"));
        assert!(
            get(&server, "/page/2", both)
                .await
                .contains("Guarded page 2")
        );
        let wrong = get(
            &server,
            "/",
            "X-Api-Key: key-1\r\nAuthorization: Bearer nope\r\n",
        )
        .await;
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
        assert!(
            !wrong.contains("nope") && !wrong.contains("key-1"),
            "{wrong}"
        );
        let missing = get(&server, "/page/2", "").await;
        assert!(missing.starts_with("HTTP/1.1 401"), "{missing}");
        assert!(
            get(&server, "/robots.txt", "")
                .await
                .starts_with("HTTP/1.1 404")
        );
    })
    .await
    .unwrap();
    assert_eq!((stats.accepted(), stats.refused()), (2, 2));
    server.shutdown().await;
}
