//! Typing raw strings: numbers in several notations, dates, booleans, URLs, keys.

#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn parser(value_type: ValueType, regex: Option<&str>, date_format: Option<&str>) -> ValueParser {
    ValueParser {
        regex: regex.map(|pattern| Regex::new(pattern).unwrap()),
        value_type,
        date_format: date_format.map(str::to_owned),
    }
}

fn page_url() -> url::Url {
    url::Url::parse("https://shop.example/catalog/item/").unwrap()
}

fn parse(value_type: ValueType, raw: &str) -> Parsed {
    parser(value_type, None, None).parse(raw, &page_url())
}

#[test]
fn numbers_in_us_and_european_notation() {
    let cases = [
        ("$1,299.00", Some("1299.00")),
        ("1.299,00 €", Some("1299.00")),
        ("1 299,00 €", Some("1299.00")),
        ("1\u{a0}299,50", Some("1299.50")),
        ("CHF 1'299.90", Some("1299.90")),
        ("12,50", Some("12.50")),
        ("1,024", Some("1024")),
        ("1,234,567", Some("1234567")),
        ("1.234.567", Some("1234567")),
        ("3.5", Some("3.5")),
        ("Price: -$5.25", Some("-5.25")),
        ("−7", Some("-7")),
        ("SKU-123", Some("123")),
        (".5", Some("0.5")),
        ("4.6 out of 5", Some("4.6")),
        ("12 items", Some("12")),
        ("1.2.3,4,5", None),
        ("call us", None),
        ("", None),
    ];
    for (raw, expected) in cases {
        assert_eq!(parse_number(raw).as_deref(), expected, "{raw:?}");
    }
}

#[test]
fn number_type_gives_json_floats() {
    assert_eq!(
        parse(ValueType::Number, "$1,299.00"),
        Parsed::Value(json!(1299.0))
    );
    assert_eq!(
        parse(ValueType::Number, "1.299,00 €"),
        Parsed::Value(json!(1299.0))
    );
    assert_eq!(
        parse(ValueType::Number, "free"),
        Parsed::Failed {
            expected: "number".to_owned()
        }
    );
    assert_eq!(parse(ValueType::Number, "  "), Parsed::Empty);
}

#[test]
fn integers_accept_separators_and_zero_fractions_only() {
    assert_eq!(parse_integer("1,024"), Some(1024));
    assert_eq!(parse_integer("12.00"), Some(12));
    assert_eq!(parse_integer("-3"), Some(-3));
    assert_eq!(parse_integer("12.5"), None);
    assert_eq!(parse_integer("99999999999999999999"), None);
    assert_eq!(parse_integer("9007199254740993"), None);
    assert_eq!(
        parse(ValueType::Integer, "In stock: 1,024"),
        Parsed::Value(json!(1024))
    );
}

#[test]
fn dates_with_and_without_format() {
    assert_eq!(
        parse_date("2024-03-12", None).as_deref(),
        Some("2024-03-12")
    );
    assert_eq!(
        parse_date(" 2024-03-12T10:05:00+01:00 ", None).as_deref(),
        Some("2024-03-12T10:05:00+01:00")
    );
    assert_eq!(
        parse_date("2024-03-12T10:05:00.250Z", None).as_deref(),
        Some("2024-03-12T10:05:00.250Z")
    );
    assert_eq!(
        parse_date("2024-03-12T10:05:00", None).as_deref(),
        Some("2024-03-12T10:05:00")
    );
    assert_eq!(parse_date("12 March 2024", None), None);
    assert_eq!(
        parse_date("12 March 2024", Some("%d %B %Y")).as_deref(),
        Some("2024-03-12")
    );
    assert_eq!(
        parse_date("12/03/2024 18:30", Some("%d/%m/%Y %H:%M")).as_deref(),
        Some("2024-03-12T18:30:00")
    );
    assert_eq!(
        parse_date("2024-03-12 18:30 +0200", Some("%Y-%m-%d %H:%M %z")).as_deref(),
        Some("2024-03-12T18:30:00+02:00")
    );
    assert_eq!(parse_date("31 February 2024", Some("%d %B %Y")), None);
    assert_eq!(
        parser(ValueType::Date, None, Some("%d %B %Y")).parse("soon", &page_url()),
        Parsed::Failed {
            expected: "date (%d %B %Y)".to_owned()
        }
    );
}

#[test]
fn date_formats_are_checked() {
    assert!(is_valid_date_format("%d %B %Y"));
    assert!(!is_valid_date_format("%d %Q"));
}

#[test]
fn booleans() {
    for (raw, expected) in [
        ("true", Some(true)),
        (" Yes ", Some(true)),
        ("1", Some(true)),
        ("ON", Some(true)),
        ("false", Some(false)),
        ("No", Some(false)),
        ("0", Some(false)),
        ("off", Some(false)),
        ("maybe", None),
    ] {
        assert_eq!(parse_boolean(raw), expected, "{raw:?}");
    }
}

#[test]
fn urls_resolve_against_the_base() {
    assert_eq!(
        parse(ValueType::Url, " ../img/a.jpg "),
        Parsed::Value(json!("https://shop.example/catalog/img/a.jpg"))
    );
    assert_eq!(
        parse(ValueType::Url, "http://[::1"),
        Parsed::Failed {
            expected: "url".to_owned()
        }
    );
}

#[test]
fn strings_are_kept_as_is_even_when_empty() {
    assert_eq!(parse(ValueType::String, ""), Parsed::Value(json!("")));
    assert_eq!(parse(ValueType::String, " a "), Parsed::Value(json!(" a ")));
}

#[test]
fn regex_takes_the_first_group_or_the_whole_match() {
    let with_group = parser(ValueType::Integer, Some(r"(\d+) left"), None);
    assert_eq!(
        with_group.parse("Only 3 left!", &page_url()),
        Parsed::Value(json!(3))
    );
    let without_group = parser(ValueType::String, Some(r"\d+"), None);
    assert_eq!(
        without_group.parse("Only 3 left!", &page_url()),
        Parsed::Value(json!("3"))
    );
    assert_eq!(
        with_group.parse("Sold out", &page_url()),
        Parsed::Failed {
            expected: r#"a match of regex "(\\d+) left""#.to_owned()
        }
    );
    let optional_group = parser(ValueType::String, Some(r"id=(\d+)?"), None);
    assert_eq!(
        optional_group.parse("id=", &page_url()),
        Parsed::Value(json!("id="))
    );
}

#[test]
fn keys_render_integral_numbers_without_fraction() {
    assert_eq!(render_key(&json!(1299.0)).as_deref(), Some("1299"));
    assert_eq!(render_key(&json!(12.5)).as_deref(), Some("12.5"));
    assert_eq!(render_key(&json!(-3)).as_deref(), Some("-3"));
    assert_eq!(render_key(&json!("ESP-2000")).as_deref(), Some("ESP-2000"));
    assert_eq!(render_key(&json!(true)).as_deref(), Some("true"));
    assert_eq!(render_key(&json!(["a", 1])).as_deref(), Some(r#"["a",1]"#));
    assert_eq!(render_key(&json!(null)), None);
    assert_eq!(render_key(&json!("")), None);
    assert_eq!(render_key(&json!([])), None);
}
