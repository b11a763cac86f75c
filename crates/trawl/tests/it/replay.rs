//! Record and replay through the real binary: `trawl run --record` writes
//! WARC files warcio (PyPI) reads and digest-checks; with the site gone,
//! `trawl replay` gives a byte-identical export and says nothing changed;
//! `--spec` re-extracts and reports the difference field by field; and
//! `trawl import-warc` makes a WARC file (ours, or one real wget wrote) into
//! a run to scrape with a spec.

use std::path::PathBuf;
use std::process::{Command, Stdio};

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

/// GNU wget (Debian package); missing it fails the test (scripts/test
/// installs it).
fn wget_binary() -> PathBuf {
    let path = PathBuf::from("/usr/bin/wget");
    assert!(
        path.exists(),
        "wget is not installed: `apt-get install wget` (scripts/test does) — \
         the import test scrapes a WARC file that real wget wrote"
    );
    path
}

#[test]
fn a_wget_warc_of_the_shop_is_imported_and_scraped_offline() {
    let (catalog, site) = catalog_site(40);
    let origin = site.url("");
    let trawl = Trawl::default();
    // wget's own crawl, recorded with its own WARC writer (gzip per record,
    // warcinfo, request, response, metadata and its log as a resource).
    let warc_base = trawl.path("wget-shop");
    let status = Command::new(wget_binary())
        .args(["--quiet", "--recursive", "--level=inf", "--no-parent"])
        .args(["-e", "robots=on", "--directory-prefix"])
        .arg(trawl.path("wget-mirror"))
        .arg(format!("--warc-file={}", warc_base.display()))
        .arg(site.url("/"))
        .stdin(Stdio::null())
        .status()
        .unwrap();
    // 8: some responses were errors (the shop's dead links answer 404).
    assert!(matches!(status.code(), Some(0 | 8)), "wget: {status}");
    // From here on the site is gone: everything comes from wget's file.
    drop(site);

    let warc = trawl.path("wget-shop.warc.gz");
    let (stdout, _) = trawl.expect(&["import-warc", str_path(&warc), "--json"], 0);
    let imported: Value = serde_json::from_str(&stdout).unwrap();
    let run = imported["run_id"].to_string();
    let responses = imported["files"][0]["responses"].as_u64().unwrap();
    assert!(
        responses as usize >= catalog.expected_products().len(),
        "{imported}"
    );
    let spec = trawl.write("shop.toml", &demo_spec(&origin));
    let (stdout, _) = trawl.expect(
        &[
            "replay",
            &run,
            "--spec",
            str_path(&spec),
            "--quiet",
            "--json",
        ],
        0,
    );
    let diff: Value = serde_json::from_str(&stdout).unwrap();
    let mut scraped: Vec<&str> = diff["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["key"].as_str().unwrap())
        .collect();
    scraped.sort_unstable();
    let expected = catalog.expected_products();
    let mut wanted: Vec<&str> = expected
        .iter()
        .map(|product| product.sku.as_str())
        .collect();
    wanted.sort_unstable();
    assert_eq!(scraped, wanted);
    // The dead links wget recorded are failed pages of the replay, not lost.
    assert_eq!(
        diff["run"]["pages_failed"].as_u64(),
        Some(catalog.dead_link_paths().len() as u64),
        "{}",
        diff["run"]
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

/// Runs `trawl ARGS` with `input` on stdin; returns (exit code, stdout, stderr).
fn with_stdin(trawl: &Trawl, args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = trawl
        .command(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

#[test]
fn a_replay_is_stepped_in_the_terminal_with_breakpoints() {
    let (catalog, site) = catalog_site(30);
    let trawl = Trawl::default();
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    trawl.expect(&["run", str_path(&spec), "--record", "--quiet"], 0);
    drop(site);
    let product = &catalog.expected_products()[6];

    // --break without --step lists every stop after the replay.
    let (stdout, stderr) = trawl.expect(
        &["replay", "1", "--quiet", "--break", "url~/product/7/$"],
        0,
    );
    let stops: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with('['))
        .collect();
    assert!(stops.len() >= 4, "{stdout}");
    assert!(
        stops.iter().all(|line| line.contains("/product/7/")),
        "{stdout}"
    );
    assert!(stdout.contains("request_fetched"), "{stdout}");
    assert!(
        stdout.contains(&format!("product {}", product.sku)),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("{} stops in run 2's", stops.len())),
        "{stderr}"
    );

    // --step with commands on stdin, as JSON lines a script can read.
    let (code, stdout, stderr) = with_stdin(
        &trawl,
        &[
            "replay",
            "1",
            "--quiet",
            "--json",
            "--break",
            "url~/product/7/$",
            "--step",
        ],
        "c\nc\nr\nn page_extracted\ni\np\nb error\nd\nb item.sku=SKU-00012\ng 0\nc\nbogus\nq\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let answers = json_lines(&stdout);
    // The diff first, then the first stop: the page being scheduled.
    assert_eq!(answers[0]["replay_run"], 3, "{}", answers[0]);
    assert_eq!(answers[1]["event"]["kind"], "request_scheduled");
    assert_eq!(answers[1]["stopped"], "breakpoint");
    // c, c: its fetch starts, then ends.
    assert_eq!(answers[2]["event"]["kind"], "request_started");
    assert_eq!(answers[3]["event"]["kind"], "request_fetched");
    assert_eq!(answers[3]["exchange"]["status"], 200);
    // r: the recorded response.
    assert!(
        answers[4]["exchange"]["body"]
            .as_str()
            .unwrap()
            .contains(&product.sku)
    );
    // n page_extracted, i: the page's items.
    assert_eq!(answers[5]["event"]["kind"], "page_extracted");
    let at_page = answers[5]["position"].as_u64().unwrap();
    assert_eq!(
        answers[6]["extraction"]["items"][0]["fields"]["sku"],
        product.sku.as_str()
    );
    // p: one back.
    assert!(answers[7]["position"].as_u64().unwrap() < at_page);
    // b, d, b: the breakpoint lists after each change.
    assert_eq!(
        answers[8]["breakpoints"],
        serde_json::json!(["url~/product/7/$", "error"])
    );
    assert_eq!(answers[9]["breakpoints"], serde_json::json!([]));
    assert_eq!(
        answers[10]["breakpoints"],
        serde_json::json!(["item.sku=SKU-00012"])
    );
    // g 0 (before the first event), c: the page with that item.
    assert_eq!(answers[11]["message"], "before the first event");
    assert_eq!(answers[12]["event"]["kind"], "page_extracted");
    assert!(
        answers[12]["event"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/product/12/")
    );
    // An unknown command is a message, and the session goes on to `q`.
    assert!(
        answers[13]["message"]
            .as_str()
            .unwrap()
            .contains("unknown command `bogus`")
    );
    assert_eq!(answers.len(), 14);

    // `trawl timeline` steps through an existing run (here the recorded
    // original) in text; end of input ends the session.
    let (code, stdout, stderr) = with_stdin(
        &trawl,
        &["timeline", "1", "--break", "error", "--step"],
        "r\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("404 http_404"), "{stdout}");
    assert!(stdout.contains("breakpoint: error"), "{stdout}");
    assert!(stdout.contains("HTTP 404"), "{stdout}");
    // Bad usage is exit 2 with what to do.
    let (_, stderr) = trawl.expect(&["timeline", "1"], 2);
    assert!(stderr.contains("--break EXPR"), "{stderr}");
    let (_, stderr) = trawl.expect(&["timeline", "1", "--break", "kind=fetched"], 2);
    assert!(stderr.contains("unknown event kind `fetched`"), "{stderr}");
}
