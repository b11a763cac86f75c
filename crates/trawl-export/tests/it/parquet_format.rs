//! Parquet output read back with the parquet crate's own reader.

use std::fs::File;

use parquet::basic::{Compression, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::json;
use trawl_export::{ExportFormat, export};

use crate::fixture::{books, item, store_with_items};

fn read_rows(path: &std::path::Path) -> Vec<Vec<(String, Field)>> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(name, field)| (name.clone(), field.clone()))
                .collect()
        })
        .collect()
}

#[test]
fn parquet_has_typed_optional_columns_and_reads_back() {
    let fixture = books();
    let path = fixture.path("books.parquet");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Parquet, &path).unwrap();
    assert_eq!(manifest.items, 3);

    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let column_types: Vec<(String, PhysicalType)> = schema
        .columns()
        .iter()
        .map(|column| (column.name().to_owned(), column.physical_type()))
        .collect();
    // Columns in the order fields first appear, items in dataset order
    // (kind, then key with keyless items last, then URL).
    let expected_types = [
        ("_kind", PhysicalType::BYTE_ARRAY),
        ("_key", PhysicalType::BYTE_ARRAY),
        ("_url", PhysicalType::BYTE_ARRAY),
        ("name", PhysicalType::BYTE_ARRAY),
        ("title", PhysicalType::BYTE_ARRAY),
        ("meta", PhysicalType::BYTE_ARRAY),
        ("price", PhysicalType::DOUBLE),
        ("stock", PhysicalType::INT64),
        ("tags", PhysicalType::BYTE_ARRAY),
        ("in_print", PhysicalType::BOOLEAN),
    ]
    .map(|(name, physical_type)| (name.to_owned(), physical_type));
    assert_eq!(column_types, expected_types);
    assert!(
        schema
            .columns()
            .iter()
            .all(|column| column.self_type().is_optional())
    );
    assert_eq!(
        reader.metadata().row_group(0).column(0).compression(),
        Compression::SNAPPY
    );

    let rows = read_rows(&path);
    let row = |index: usize| -> Vec<Field> {
        rows[index].iter().map(|(_, field)| field.clone()).collect()
    };
    assert_eq!(
        row(0),
        [
            Field::Str("author".to_owned()),
            Field::Str("a1".to_owned()),
            Field::Str("http://127.0.0.1/a1".to_owned()),
            Field::Str("Frank Herbert".to_owned()),
            Field::Null,
            Field::Str(r#"{"born":1920}"#.to_owned()),
            Field::Null,
            Field::Null,
            Field::Null,
            Field::Null,
        ]
    );
    assert_eq!(
        row(1),
        [
            Field::Str("book".to_owned()),
            Field::Str("b1".to_owned()),
            Field::Str("http://127.0.0.1/b1".to_owned()),
            Field::Null,
            Field::Str("Dune".to_owned()),
            Field::Null,
            Field::Double(9.5),
            Field::Long(3),
            Field::Str(r#"["sf","classic"]"#.to_owned()),
            Field::Null,
        ]
    );
    assert_eq!(
        row(2),
        [
            Field::Str("book".to_owned()),
            Field::Null,
            Field::Str("http://127.0.0.1/b2".to_owned()),
            Field::Null,
            Field::Str("Крылья, \"Wings\"\nvol. 2 📚".to_owned()),
            Field::Null,
            Field::Double(12.0),
            Field::Null,
            Field::Null,
            Field::Bool(true),
        ]
    );
}

#[test]
fn parquet_splits_rows_into_groups_of_ten_thousand() {
    let items = (0..25_000_i64)
        .map(|index| item("row", None, "http://127.0.0.1/", json!({"n": index})))
        .collect();
    let fixture = store_with_items(items);
    let path = fixture.path("rows.parquet");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Parquet, &path).unwrap();
    assert_eq!(manifest.items, 25_000);
    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let group_rows: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|group| group.num_rows())
        .collect();
    assert_eq!(group_rows, [10_000, 10_000, 5_000]);
    let numbers: Vec<i64> = read_rows(&path)
        .into_iter()
        .map(|row| match &row[3].1 {
            Field::Long(number) => *number,
            other => panic!("unexpected field {other:?}"),
        })
        .collect();
    assert_eq!(numbers, (0..25_000).collect::<Vec<i64>>());
}

#[test]
fn parquet_of_an_empty_run_has_the_metadata_columns_and_no_rows() {
    let fixture = store_with_items(Vec::new());
    let path = fixture.path("empty.parquet");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Parquet, &path).unwrap();
    assert_eq!(manifest.items, 0);
    assert_eq!(manifest.columns, ["_kind", "_key", "_url"]);
    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
}
