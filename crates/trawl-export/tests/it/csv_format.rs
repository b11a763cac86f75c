//! CSV output, byte for byte, and read back with a CSV parser.

use trawl_export::{ExportFormat, export};

use crate::fixture::books;

#[test]
fn csv_has_union_header_quoting_and_json_for_nested_values() {
    let fixture = books();
    let path = fixture.path("books.csv");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Csv, &path).unwrap();
    let content = std::fs::read_to_string(&path).unwrap();
    // Dataset order: by kind, then key (keyless items last), then URL;
    // columns in the order fields first appear.
    let expected = concat!(
        "_kind,_key,_url,name,title,meta,price,stock,tags,in_print\n",
        "author,a1,http://127.0.0.1/a1,Frank Herbert,,\"{\"\"born\"\":1920}\",,,,\n",
        "book,b1,http://127.0.0.1/b1,,Dune,,9.5,3,\"[\"\"sf\"\",\"\"classic\"\"]\",\n",
        "book,,http://127.0.0.1/b2,,\"Крылья, \"\"Wings\"\"\nvol. 2 📚\",,12,,,true\n",
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
fn csv_reads_back_to_the_original_strings() {
    let fixture = books();
    let path = fixture.path("books.csv");
    export(&fixture.store, fixture.run_id, ExportFormat::Csv, &path).unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[2][4], "Крылья, \"Wings\"\nvol. 2 📚");
    assert_eq!(&rows[1][8], r#"["sf","classic"]"#);
    assert!(rows.iter().all(|row| row.len() == 10));
}
