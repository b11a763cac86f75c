//! JSONL output, byte for byte.

use trawl_export::{ExportFormat, export};

use crate::fixture::{books, item, store_with_items};

#[test]
fn jsonl_is_one_object_per_item_with_metadata_first() {
    let fixture = books();
    let path = fixture.path("books.jsonl");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    let content = std::fs::read_to_string(&path).unwrap();
    // Dataset order: by kind, then key (keyless items last), then URL.
    let expected = concat!(
        r#"{"_kind":"author","_key":"a1","_url":"http://127.0.0.1/a1","name":"Frank Herbert","title":null,"meta":{"born":1920}}"#,
        "\n",
        r#"{"_kind":"book","_key":"b1","_url":"http://127.0.0.1/b1","title":"Dune","price":9.5,"stock":3,"tags":["sf","classic"]}"#,
        "\n",
        r#"{"_kind":"book","_key":null,"_url":"http://127.0.0.1/b2","title":"Крылья, \"Wings\"\nvol. 2 📚","price":12,"in_print":true}"#,
        "\n",
    );
    assert_eq!(content, expected);
    assert_eq!(manifest.items, 3);
    assert_eq!(
        manifest.columns,
        [
            "_kind", "_key", "_url", "name", "title", "meta", "price", "stock", "tags", "in_print"
        ]
    );
}

#[test]
fn field_named_like_a_metadata_column_gets_an_extra_underscore() {
    let fixture = store_with_items(vec![item(
        "page",
        None,
        "http://127.0.0.1/p",
        serde_json::json!({"_url": "http://elsewhere/", "title": "x"}),
    )]);
    let path = fixture.path("pages.jsonl");
    export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"_kind\":\"page\",\"_key\":null,\"_url\":\"http://127.0.0.1/p\",\"__url\":\"http://elsewhere/\",\"title\":\"x\"}\n"
    );
}

#[test]
fn empty_run_exports_an_empty_file() {
    let fixture = store_with_items(Vec::new());
    let path = fixture.path("empty.jsonl");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    assert_eq!(manifest.items, 0);
    assert_eq!(manifest.bytes, 0);
    assert_eq!(
        manifest.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}
