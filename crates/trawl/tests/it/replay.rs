//! Record and replay through the real binary: `trawl run --record` writes
//! WARC files warcio (PyPI) reads and digest-checks; with the site gone,
//! `trawl replay` gives a byte-identical export and says nothing changed;
//! `--spec` re-extracts and reports the difference field by field; and
//! `trawl import-warc` makes a WARC file into a run to scrape with a spec.

use serde_json::Value;

use super::serve::catalog_site;
use super::*;

/// warcio's view of a WARC file: record types, and whether every digest
/// checked out (`check_digests='raise'` makes a mismatch an exception).
const CHECK_WITH_WARCIO: &str = r#"
import json, sys
from warcio.archiveiterator import ArchiveIterator
types = {}
with open(sys.argv[1], 'rb') as stream:
    for record in ArchiveIterator(stream, check_digests='raise'):
        record.content_stream().read()
        types[record.rec_type] = types.get(record.rec_type, 0) + 1
print(json.dumps(types))
"#;

fn python(script: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 is required (scripts/test installs warcio for it)");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn export_bytes(trawl: &Trawl, run: &str) -> Vec<u8> {
    let path = trawl.path(&format!("run-{run}.jsonl"));
    trawl.expect(&["export", run, "-o", str_path(&path)], 0);
    std::fs::read(path).unwrap()
}

#[test]
fn a_recorded_run_replays_offline_and_with_a_new_spec() {
    let (catalog, site) = catalog_site(40);
    let trawl = Trawl::default();
    let source = demo_spec(&site.url(""));
    let spec = trawl.write("shop.toml", &source);
    let (stdout, _) = trawl.expect(
        &["run", str_path(&spec), "--record", "--quiet", "--json"],
        0,
    );
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    let items = summary["items_stored"].as_u64().unwrap();
    assert_eq!(items as usize, catalog.expected_products().len());

    // warcio reads the recording and every digest is right.
    let warc = trawl.path("runs/1/recording/trawl-1-00000.warc.gz");
    let types: Value =
        serde_json::from_str(&python(CHECK_WITH_WARCIO, &[str_path(&warc)])).unwrap();
    assert_eq!(types["warcinfo"], 1, "{types}");
    let pages = summary["pages_ok"].as_u64().unwrap() + summary["pages_failed"].as_u64().unwrap();
    // Every page, plus robots.txt, is a request and a response.
    assert_eq!(types["response"].as_u64(), Some(pages + 1), "{types}");
    assert_eq!(types["request"], types["response"]);

    // Offline from here.
    drop(site);
    let (stdout, _) = trawl.expect(&["replay", "1", "--quiet", "--json"], 0);
    let diff: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diff["replay_run"], 2);
    assert_eq!(diff["unchanged"].as_u64(), Some(items));
    for list in ["added", "removed", "changed"] {
        assert_eq!(diff[list], Value::Array(Vec::new()), "{diff}");
    }
    assert_eq!(export_bytes(&trawl, "2"), export_bytes(&trawl, "1"));
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        runs[0]["name"]
            .as_str()
            .unwrap()
            .contains("replay of run 1"),
        "{runs}"
    );

    // New rules: the price as text. Every item changes in that field only.
    let fixed = trawl.write(
        "fixed.toml",
        &source.replace(
            "price = { selector = \".price\", type = \"number\", required = true }",
            "price = { selector = \".price\", required = true }",
        ),
    );
    assert_ne!(std::fs::read_to_string(&fixed).unwrap(), source);
    let (stdout, _) = trawl.expect(
        &[
            "replay",
            "1",
            "--spec",
            str_path(&fixed),
            "--quiet",
            "--json",
        ],
        0,
    );
    let diff: Value = serde_json::from_str(&stdout).unwrap();
    let changed = diff["changed"].as_array().unwrap();
    assert_eq!(changed.len() as u64, items, "{diff}");
    let fields: Vec<&String> = changed[0]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["price"]);
    assert!(changed[0]["fields"]["price"]["before"].is_number());
    assert!(changed[0]["fields"]["price"]["after"].is_string());
    let (stdout, _) = trawl.expect(
        &["replay", "1", "--spec", str_path(&fixed), "--show", "1"],
        0,
    );
    assert!(
        stdout.contains(&format!("0 added, 0 removed, {items} changed")),
        "{stdout}"
    );
    assert!(stdout.contains("price: "), "{stdout}");

    // The recording, imported as any WARC file, is a run to scrape.
    let (stdout, _) = trawl.expect(&["import-warc", str_path(&warc), "--json"], 0);
    let imported: Value = serde_json::from_str(&stdout).unwrap();
    let imported_run = imported["run_id"].to_string();
    assert_eq!(imported["files"][0]["responses"].as_u64(), Some(pages + 1));
    let (_, stderr) = trawl.expect(&["replay", &imported_run], 1);
    assert!(stderr.contains("give a spec"), "{stderr}");
    let (stdout, _) = trawl.expect(
        &[
            "replay",
            &imported_run,
            "--spec",
            str_path(&spec),
            "--quiet",
            "--json",
        ],
        0,
    );
    let diff: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        diff["added"].as_array().unwrap().len() as u64,
        items,
        "{diff}"
    );
}

#[test]
fn replay_needs_a_recording_and_says_how_to_get_one() {
    let (_catalog, site) = catalog_site(5);
    let trawl = Trawl::default();
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    trawl.expect(&["run", str_path(&spec), "--quiet"], 0);
    let (_, stderr) = trawl.expect(&["replay", "1"], 1);
    assert!(stderr.contains("has no recording"), "{stderr}");
    assert!(stderr.contains("--record"), "{stderr}");
    let (_, stderr) = trawl.expect(&["replay", "9"], 1);
    assert!(stderr.contains("run 9"), "{stderr}");
    let (_, stderr) = trawl.expect(&["import-warc", str_path(&spec)], 1);
    assert!(stderr.contains("cannot import"), "{stderr}");
}
