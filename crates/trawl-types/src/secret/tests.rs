//! A secret never prints itself.

use super::*;

#[test]
fn debug_display_and_serialize_are_redacted() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(format!("{secret}"), "[redacted]");
    assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
    assert_eq!(
        serde_json::to_string(&secret).unwrap_or_default(),
        "\"[redacted]\""
    );
    assert_eq!(secret.expose(), "hunter2");
}

#[test]
fn deserializes_from_a_plain_string() {
    let secret: Secret = serde_json::from_str("\"s3cr3t\"").unwrap_or_default();
    assert_eq!(secret.expose(), "s3cr3t");
}
