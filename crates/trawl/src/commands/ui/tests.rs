//! The UI's address and the redirect page of `--open`.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn the_address_carries_the_token_in_its_fragment() {
    let token = ApiToken::from_secret("ab".repeat(32));
    assert_eq!(
        ui_address("http://127.0.0.1:8640", &token),
        format!("http://127.0.0.1:8640/#token={}", "ab".repeat(32))
    );
    assert_eq!(
        ui_address("http://127.0.0.1:8640/", &token),
        ui_address("http://127.0.0.1:8640", &token)
    );
}

#[test]
fn the_open_page_redirects_without_script_and_escapes_the_address() {
    let page = open_page("http://127.0.0.1:1/#token=ab\"><script>");
    assert!(
        page.contains("content=\"0;url=http://127.0.0.1:1/#token=ab&quot;&gt;&lt;script&gt;\"")
    );
    assert!(!page.contains("<script"));
}

#[test]
fn the_open_page_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write_open_page(dir.path(), "http://127.0.0.1:1/#token=x").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let again = write_open_page(dir.path(), "http://127.0.0.1:2/#token=y").unwrap();
    assert!(std::fs::read_to_string(again).unwrap().contains(":2/"));
    // A page left world-readable is made private before the token goes in.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_open_page(dir.path(), "http://127.0.0.1:3/#token=z").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
