//! Tests for export format names.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn format_names_parse_and_display() {
    assert_eq!(
        "jsonl".parse::<ExportFormat>().unwrap(),
        ExportFormat::Jsonl
    );
    assert_eq!(
        "json-lines".parse::<ExportFormat>().unwrap(),
        ExportFormat::Jsonl
    );
    assert_eq!("CSV".parse::<ExportFormat>().unwrap(), ExportFormat::Csv);
    assert_eq!(
        "parquet".parse::<ExportFormat>().unwrap(),
        ExportFormat::Parquet
    );
    assert_eq!(
        "xlsx".parse::<ExportFormat>().unwrap_err().to_string(),
        "unknown export format \"xlsx\" (expected jsonl, csv or parquet)"
    );
    for format in ExportFormat::ALL {
        assert_eq!(format.to_string().parse::<ExportFormat>().unwrap(), format);
        assert_eq!(format.extension(), format.to_string());
    }
}

#[test]
fn format_serializes_lowercase() {
    assert_eq!(
        serde_json::to_string(&ExportFormat::Parquet).unwrap(),
        "\"parquet\""
    );
}
