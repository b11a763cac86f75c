//! Tests for column discovery, type inference and text rendering.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn item(fields: Value) -> Item {
    let Value::Object(fields) = fields else {
        panic!("test items need an object of fields");
    };
    Item {
        kind: "book".to_owned(),
        key: None,
        url: "http://127.0.0.1/".to_owned(),
        fields,
    }
}

fn inferred_types(items: &[Value]) -> Vec<(String, ColumnType)> {
    let mut field_columns = FieldColumns::default();
    for fields in items {
        field_columns.observe(&item(fields.clone()));
    }
    field_columns
        .columns
        .iter()
        .map(|column| (column.field_name.clone(), column.column_type()))
        .collect()
}

#[test]
fn columns_are_the_union_of_fields_in_first_seen_order() {
    let mut field_columns = FieldColumns::default();
    field_columns.observe(&item(json!({"title": "a", "price": 1})));
    field_columns.observe(&item(json!({"rating": 3, "title": "b", "_url": "x"})));
    assert_eq!(
        field_columns.header(),
        ["_kind", "_key", "_url", "title", "price", "rating", "__url"]
    );
}

#[test]
fn column_types_are_inferred_from_every_value() {
    let types = inferred_types(&[
        json!({"int": 1, "float": 1, "bool": true, "text": "x", "mixed": 1, "none": null, "big": 1}),
        json!({"int": -7, "float": 2.5, "bool": false, "text": null, "mixed": true, "none": null, "big": u64::MAX}),
        json!({"list": [1, 2], "object": {"a": 1}}),
    ]);
    assert_eq!(
        types,
        [
            ("int".to_owned(), ColumnType::Int64),
            ("float".to_owned(), ColumnType::Double),
            ("bool".to_owned(), ColumnType::Boolean),
            ("text".to_owned(), ColumnType::Text),
            ("mixed".to_owned(), ColumnType::Text),
            ("none".to_owned(), ColumnType::Text),
            ("big".to_owned(), ColumnType::Text),
            ("list".to_owned(), ColumnType::Text),
            ("object".to_owned(), ColumnType::Text),
        ]
    );
}

#[test]
fn values_render_as_text() {
    assert_eq!(value_as_text(&json!(null)), "");
    assert_eq!(value_as_text(&json!("plain")), "plain");
    assert_eq!(value_as_text(&json!(true)), "true");
    assert_eq!(value_as_text(&json!(-3)), "-3");
    assert_eq!(value_as_text(&json!(2.5)), "2.5");
    assert_eq!(value_as_text(&json!(["a", 1])), r#"["a",1]"#);
    assert_eq!(
        value_as_text(&json!({"b": 1, "a": null})),
        r#"{"b":1,"a":null}"#
    );
}
