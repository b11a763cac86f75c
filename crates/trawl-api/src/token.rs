//! The API's bearer token: generated at first start, kept in
//! `DATA_DIR/api-token` readable by its owner only (0600), and compared in
//! constant time.
//!
//! The token is what stops other local users and web pages (DNS rebinding,
//! cross-site requests to 127.0.0.1) from driving the engine, so it is never
//! logged, never put in error messages, and `Debug` does not show it.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngCore;

/// Bytes of randomness in a token: 256 bits, hex-encoded to 64 characters.
const TOKEN_BYTES: usize = 32;

/// Why the token file could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading, creating or fixing the permissions of the file failed.
    #[error("cannot {action} the api token file {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file exists but holds no usable token (empty, or edited by hand
    /// into something too short); delete it to get a new one.
    #[error(
        "the api token file {} holds no valid token (at least 32 hex characters); delete it to generate a new one",
        path.display()
    )]
    Invalid { path: PathBuf },
}

/// A bearer token. `Debug` prints a placeholder, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    secret: String,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ApiToken(<redacted>)")
    }
}

impl ApiToken {
    /// A fresh random token: 256 bits from rand's thread RNG (ChaCha, seeded
    /// from the operating system, so cryptographically secure).
    pub fn generate() -> ApiToken {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        let mut secret = String::with_capacity(TOKEN_BYTES * 2);
        for byte in bytes {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(secret, "{byte:02x}");
        }
        ApiToken { secret }
    }

    /// Wraps a token read from elsewhere (a client reading the token file).
    pub fn from_secret(secret: impl Into<String>) -> ApiToken {
        ApiToken {
            secret: secret.into(),
        }
    }

    /// The token's text, for an `Authorization` header.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Reads the token at `path`, or creates one there (mode 0600, created
    /// with that mode so it is never readable by others, even briefly). An
    /// existing file with looser permissions is tightened to 0600.
    pub fn load_or_create(path: &Path) -> Result<ApiToken, TokenError> {
        match Self::load(path) {
            Ok(token) => {
                let io = |source| TokenError::Io {
                    action: "restrict the permissions of",
                    path: path.to_path_buf(),
                    source,
                };
                let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .map_err(io)?;
                }
                Ok(token)
            }
            Err(TokenError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                let token = ApiToken::generate();
                let io = |source| TokenError::Io {
                    action: "create",
                    path: path.to_path_buf(),
                    source,
                };
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(io)?;
                file.write_all(token.secret.as_bytes()).map_err(io)?;
                file.write_all(b"\n").map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(token)
            }
            Err(error) => Err(error),
        }
    }

    /// Reads the token at `path` (for clients); fails if it is missing.
    pub fn load(path: &Path) -> Result<ApiToken, TokenError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let secret = text.trim();
        if secret.len() < 32 || !secret.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(TokenError::Invalid {
                path: path.to_path_buf(),
            });
        }
        Ok(ApiToken::from_secret(secret))
    }

    /// True when `candidate` is this token. Constant time in the token's
    /// content, so response timing does not leak a prefix.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.secret.as_bytes();
        let candidate = candidate.as_bytes();
        if expected.len() != candidate.len() {
            return false;
        }
        expected
            .iter()
            .zip(candidate)
            .fold(0u8, |difference, (left, right)| difference | (left ^ right))
            == 0
    }
}

#[cfg(test)]
mod tests;
