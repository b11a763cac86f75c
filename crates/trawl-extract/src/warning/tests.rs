//! Warning kinds, messages and the per-page cap.

use super::*;

#[test]
fn kinds_and_messages() {
    let cases = [
        (
            ExtractWarning::MissingRequired {
                rule: "book".to_owned(),
                field: "title".to_owned(),
            },
            "missing_required",
            r#"rule "book": required field "title" is missing; item dropped"#,
        ),
        (
            ExtractWarning::Unparsable {
                rule: "book".to_owned(),
                field: "price".to_owned(),
                value: "free".to_owned(),
                expected: "number".to_owned(),
                item_dropped: false,
            },
            "unparsable",
            r#"rule "book", field "price": cannot read "free" as number"#,
        ),
        (
            ExtractWarning::Unparsable {
                rule: "book".to_owned(),
                field: "price".to_owned(),
                value: "free".to_owned(),
                expected: "number".to_owned(),
                item_dropped: true,
            },
            "unparsable",
            r#"rule "book", field "price": cannot read "free" as number; item dropped"#,
        ),
        (
            ExtractWarning::MissingKey {
                rule: "book".to_owned(),
                key_field: "upc".to_owned(),
            },
            "missing_key",
            r#"rule "book": key field "upc" has no value; item dropped"#,
        ),
        (
            ExtractWarning::FieldTooLong {
                rule: "book".to_owned(),
                field: "body".to_owned(),
                max_bytes: 10,
            },
            "field_too_long",
            r#"rule "book", field "body": value longer than 10 bytes was cut"#,
        ),
        (
            ExtractWarning::BadLink {
                href: "http://[".to_owned(),
                reason: "invalid IPv6 address".to_owned(),
            },
            "bad_link",
            r#"bad link "http://[": invalid IPv6 address"#,
        ),
        (
            ExtractWarning::TooManyLinks {
                kept: 10,
                dropped: 2,
            },
            "too_many_links",
            "too many links on the page: kept 10, dropped 2",
        ),
        (
            ExtractWarning::ParseAborted {
                reason: "the memory limit has been exceeded".to_owned(),
            },
            "parse_aborted",
            "html parsing stopped early: the memory limit has been exceeded",
        ),
        (
            ExtractWarning::TooManyWarnings { dropped: 7 },
            "too_many_warnings",
            "too many warnings on the page: 7 more not recorded",
        ),
    ];
    for (warning, kind, message) in cases {
        assert_eq!(warning.kind(), kind);
        assert_eq!(warning.to_string(), message);
    }
}

#[test]
fn quoted_excerpts_are_cut_at_80_characters() {
    assert_eq!(quote_excerpt("short"), "short");
    let long = "é".repeat(81);
    assert_eq!(quote_excerpt(&long), format!("{}…", "é".repeat(80)));
    assert_eq!(quote_excerpt(&"x".repeat(80)), "x".repeat(80));
}

#[test]
fn house_style_lowercases_and_drops_the_period() {
    assert_eq!(
        house_style_message("The memory limit has been exceeded."),
        "the memory limit has been exceeded"
    );
    assert_eq!(house_style_message(""), "unknown error");
}

#[test]
fn warning_log_caps_and_summarises() {
    let mut log = WarningLog::default();
    for dropped in 0..MAX_WARNINGS_PER_PAGE + 3 {
        log.push(ExtractWarning::TooManyWarnings { dropped });
    }
    let warnings = log.finish();
    assert_eq!(warnings.len(), MAX_WARNINGS_PER_PAGE + 1);
    assert_eq!(
        warnings.last(),
        Some(&ExtractWarning::TooManyWarnings { dropped: 3 })
    );
    assert_eq!(
        warnings[MAX_WARNINGS_PER_PAGE - 1],
        ExtractWarning::TooManyWarnings {
            dropped: MAX_WARNINGS_PER_PAGE - 1
        }
    );
}
