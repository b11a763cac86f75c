//! A client of the API, for the CLI in client mode (`trawl run` while
//! `trawl serve` owns the data directory, `trawl pause|resume|cancel`).
//!
//! It speaks the same [`crate::dto`] types as the server. The token goes in
//! the `Authorization` header only; it is never part of an error message.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::de::DeserializeOwned;
use trawl_types::RunId;

use crate::dto::{
    ErrorBodyDto, PauseModeDto, PauseRequest, ProblemDto, RunDto, RunListDto, StartRunRequest,
};
use crate::token::ApiToken;

/// Why a call to the API failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The token is not a valid header value (a corrupt token file).
    #[error(
        "the api token is not usable in an http header; delete the api-token file and restart `trawl serve`"
    )]
    BadToken,
    /// The HTTP client could not be built (TLS setup); a bug or a broken install.
    #[error("cannot build the http client")]
    Build(#[source] reqwest::Error),
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the trawl server at {base_url}")]
    Unreachable {
        base_url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error; `message` is its explanation.
    #[error("the server refused the request ({status}): {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        /// Problems of an invalid spec (422 `invalid_spec`).
        problems: Vec<ProblemDto>,
    },
    /// The server answered something that is not the expected JSON (another
    /// program on that port, or a different trawl version).
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

/// A client bound to one server and token.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    authorization: HeaderValue,
}

impl ApiClient {
    /// `base_url` is `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn new(base_url: &str, token: &ApiToken) -> Result<ApiClient, ClientError> {
        // reqwest is built without a default crypto provider (see trawl-fetch);
        // plain http needs none, but the builder insists on one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
            .map_err(|_| ClientError::BadToken)?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .map_err(ClientError::Build)?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            authorization,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /api/runs`.
    pub async fn start_run(&self, request: &StartRunRequest) -> Result<RunDto, ClientError> {
        self.send(reqwest::Method::POST, "/api/runs", Some(body_of(request)?))
            .await
    }

    /// `POST /api/runs/{id}/replay`.
    pub async fn replay(
        &self,
        run_id: RunId,
        request: &crate::dto::ReplayRequest,
    ) -> Result<RunDto, ClientError> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/runs/{run_id}/replay"),
            Some(body_of(request)?),
        )
        .await
    }

    /// `GET /api/runs`.
    pub async fn runs(&self) -> Result<RunListDto, ClientError> {
        self.send(reqwest::Method::GET, "/api/runs", None).await
    }

    /// `GET /api/runs/{id}`.
    pub async fn run(&self, run_id: RunId) -> Result<RunDto, ClientError> {
        self.send(reqwest::Method::GET, &format!("/api/runs/{run_id}"), None)
            .await
    }

    /// `POST /api/runs/{id}/pause`.
    pub async fn pause(&self, run_id: RunId, mode: PauseModeDto) -> Result<RunDto, ClientError> {
        let body = body_of(&PauseRequest { mode })?;
        self.send(
            reqwest::Method::POST,
            &format!("/api/runs/{run_id}/pause"),
            Some(body),
        )
        .await
    }

    /// `POST /api/runs/{id}/resume`.
    pub async fn resume(&self, run_id: RunId) -> Result<RunDto, ClientError> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/runs/{run_id}/resume"),
            None,
        )
        .await
    }

    /// `POST /api/runs/{id}/cancel`.
    pub async fn cancel(&self, run_id: RunId) -> Result<RunDto, ClientError> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/runs/{run_id}/cancel"),
            None,
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ClientError> {
        let unreachable = |source| ClientError::Unreachable {
            base_url: self.base_url.clone(),
            source,
        };
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.authorization.clone());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBodyDto>(&bytes) {
                Ok(body) => ClientError::Api {
                    status: status.as_u16(),
                    code: body.error.code,
                    message: body.error.message,
                    problems: body.error.details.unwrap_or_default(),
                },
                Err(_) => ClientError::Protocol(format!("status {status} without an error body")),
            });
        }
        serde_json::from_slice(&bytes).map_err(|error| {
            ClientError::Protocol(format!("cannot read the {path} answer: {error}"))
        })
    }
}

fn body_of(value: &impl serde::Serialize) -> Result<String, ClientError> {
    serde_json::to_string(value).map_err(|error| ClientError::Protocol(error.to_string()))
}
