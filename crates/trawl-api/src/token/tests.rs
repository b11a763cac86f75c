//! Unit tests of the token file: creation mode, reuse, comparison.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn created_once_with_mode_0600_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-token");
    let first = ApiToken::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(first.secret().len(), 64);
    let second = ApiToken::load_or_create(&path).unwrap();
    assert_eq!(first, second);
    assert!(!format!("{first:?}").contains(first.secret()));
}

#[test]
fn loose_permissions_are_tightened_and_junk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-token");
    std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    ApiToken::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    std::fs::write(&path, "short").unwrap();
    assert!(matches!(
        ApiToken::load_or_create(&path),
        Err(TokenError::Invalid { .. })
    ));
}

#[test]
fn matches_only_the_exact_token() {
    let token = ApiToken::generate();
    assert!(token.matches(token.secret()));
    assert!(!token.matches(""));
    assert!(!token.matches(&token.secret()[1..]));
    assert!(!token.matches(ApiToken::generate().secret()));
}
