//! HTTPS with ALPN: a local TLS server with a self-signed certificate,
//! trusted through `extra_root_certs_der`, must be spoken to over HTTP/2.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use trawl_fetch::{FetchError, Url};
use trawl_test_sites::hostile::{ENCODED_PAGE_HTML, hostile_handler};

use crate::support::{fetcher_with, within};

/// A TLS server offering h2 and http/1.1 that serves the hostile site.
/// Its tasks stop when it is dropped.
struct TlsServer {
    addr: SocketAddr,
    certificate_der: Vec<u8>,
    _tasks: JoinSet<()>,
}

impl TlsServer {
    async fn start() -> TlsServer {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let certificate_der = certified.cert.der().clone();
        let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let mut server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate_der.clone()], private_key)
        .unwrap();
        server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let Ok(tls_stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let handler = hostile_handler();
                    let service = hyper::service::service_fn(move |request| {
                        let response = handler(request);
                        async move { Ok::<_, Infallible>(response.await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls_stream), service)
                        .await;
                });
            }
        });
        TlsServer {
            addr,
            certificate_der: certificate_der.to_vec(),
            _tasks: tasks,
        }
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("https://{}{path}", self.addr)).unwrap()
    }
}

#[tokio::test]
async fn trusted_tls_server_is_spoken_to_over_http2() {
    let server = TlsServer::start().await;
    let fetcher = fetcher_with(|config| {
        config.extra_root_certs_der = vec![server.certificate_der.clone()];
    });
    let (outcome, _) = within(
        Duration::from_secs(10),
        fetcher.fetch(&server.url("/redirect/relative")),
    )
    .await;
    let response = outcome.unwrap();
    assert_eq!(response.version, http::Version::HTTP_2);
    assert_eq!(response.status, 200);
    assert_eq!(response.final_url, server.url("/ok"));
    assert_eq!(response.redirects, vec![server.url("/redirect/relative")]);

    let (outcome, _) = within(
        Duration::from_secs(10),
        fetcher.fetch(&server.url("/encoded/br")),
    )
    .await;
    let response = outcome.unwrap();
    assert_eq!(response.version, http::Version::HTTP_2);
    assert_eq!(&response.body[..], ENCODED_PAGE_HTML.as_bytes());
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let server = TlsServer::start().await;
    let fetcher = fetcher_with(|_| {});
    let (outcome, _) = within(Duration::from_secs(10), fetcher.fetch(&server.url("/ok"))).await;
    let error = outcome.err().unwrap();
    assert!(matches!(error, FetchError::Tls { .. }), "{error:?}");
    assert!(!error.is_retryable());
}
