//! How `trawl logs` shows, filters and reads log lines, torn ones included.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use super::*;

const STARTED: &str = r#"{"ts":"2025-05-01T06:00:00.123Z","level":"info","target":"trawl_engine::crawl","message":"run started","resume":false,"pending":1,"run_id":1}"#;
const WARNED: &str = r#"{"ts":"2025-05-01T06:00:01.000Z","level":"warn","target":"trawl_engine::crawl","message":"invalid start URL","url":"not a url","run_id":1}"#;
const DEBUGGED: &str = r#"{"ts":"2025-05-01T06:00:02.000Z","level":"debug","target":"trawl_engine::page","message":"giving up on request","url":"http://a.test/x","reason":"Timeout","run_id":1}"#;

#[test]
fn a_line_shows_time_level_target_message_and_fields() {
    let shown = Shown::of(STARTED);
    assert_eq!(shown.level, Some(LogLevel::Info));
    assert_eq!(
        shown.text,
        "2025-05-01T06:00:00.123Z  INFO trawl_engine::crawl: run started resume=false pending=1"
    );
    // Strings with spaces are quoted; run_id is left out (the command names the run).
    assert_eq!(
        Shown::of(WARNED).text,
        "2025-05-01T06:00:01.000Z  WARN trawl_engine::crawl: invalid start URL url=\"not a url\""
    );
}

#[test]
fn broken_lines_are_shown_as_they_are() {
    for raw in [
        r#"{"ts":"2025-05-01T06:00:00.123Z","level":"in"#,
        "not json at all",
        "[1, 2, 3]",
        "\"a string\"",
    ] {
        let shown = Shown::of(raw);
        assert_eq!(shown.level, None, "{raw}");
        assert_eq!(shown.text, raw);
    }
    // An object with odd values still renders, without a known level.
    let shown = Shown::of(r#"{"level":5,"message":null,"x":[1]}"#);
    assert_eq!(shown.level, None);
    assert!(shown.text.ends_with(" x=[1]"), "{}", shown.text);
}

#[test]
fn level_filter_keeps_that_level_and_above_and_every_torn_line() {
    let filter = LineFilter::new(LogLevel::Warn, None);
    let passes = |raw: &str| filter.matches(raw, &Shown::of(raw));
    assert!(!passes(STARTED));
    assert!(passes(WARNED));
    assert!(!passes(DEBUGGED));
    assert!(passes(r#"{"ts":"2025-05-01T06:00:00.123Z","level":"in"#));

    let everything = LineFilter::new(LogLevel::Trace, None);
    assert!(everything.matches(DEBUGGED, &Shown::of(DEBUGGED)));
}

#[test]
fn grep_ignores_case_and_matches_the_stored_or_shown_line() {
    let filter = LineFilter::new(LogLevel::Trace, Some("TIMEOUT"));
    assert!(filter.matches(DEBUGGED, &Shown::of(DEBUGGED)));
    assert!(!filter.matches(STARTED, &Shown::of(STARTED)));
    // As shown (key=value) ...
    let filter = LineFilter::new(LogLevel::Trace, Some("pending=1"));
    assert!(filter.matches(STARTED, &Shown::of(STARTED)));
    // ... or as stored (JSON).
    let filter = LineFilter::new(LogLevel::Trace, Some("\"run_id\":1"));
    assert!(filter.matches(STARTED, &Shown::of(STARTED)));
    // Level and grep together.
    let filter = LineFilter::new(LogLevel::Warn, Some("start"));
    assert!(filter.matches(WARNED, &Shown::of(WARNED)));
    assert!(!filter.matches(STARTED, &Shown::of(STARTED)));
    // An empty --grep filters nothing.
    assert!(LineFilter::new(LogLevel::Trace, Some("")).matches(STARTED, &Shown::of(STARTED)));
}

#[test]
fn the_reader_yields_whole_lines_and_keeps_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let mut reader = LogReader::default();
    let mut seen = Vec::new();
    // No file yet: no lines, no error.
    assert_eq!(
        reader
            .read_new(&path, |line| seen.push(line.to_owned()))
            .unwrap(),
        0
    );

    let mut file = std::fs::File::create(&path).unwrap();
    write!(file, "{STARTED}\n\n{WARNED}\n{{\"ts\":\"half").unwrap();
    let count = reader
        .read_new(&path, |line| seen.push(line.to_owned()))
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(seen, [STARTED, WARNED]);

    // The rest of the torn line arrives (as with --follow).
    writeln!(file, "way\"}}").unwrap();
    file.write_all(b"\xff\xfe bytes\n").unwrap();
    seen.clear();
    reader
        .read_new(&path, |line| seen.push(line.to_owned()))
        .unwrap();
    assert_eq!(seen, ["{\"ts\":\"halfway\"}", "\u{fffd}\u{fffd} bytes"]);
    assert_eq!(reader.take_partial(), None);

    // A tail that never gets its newline (a crash) is handed out at the end.
    write!(file, "{{\"level\":\"er").unwrap();
    seen.clear();
    assert_eq!(
        reader
            .read_new(&path, |line| seen.push(line.to_owned()))
            .unwrap(),
        0
    );
    assert_eq!(reader.take_partial().as_deref(), Some("{\"level\":\"er"));
}

#[test]
fn limit_keeps_the_last_matching_lines() {
    let mut view = View {
        filter: LineFilter::new(LogLevel::Trace, None),
        json: true,
        held: Some(VecDeque::new()),
        limit: 2,
    };
    for raw in [STARTED, WARNED, DEBUGGED] {
        view.offer(raw);
    }
    let held: Vec<String> = view.held.clone().unwrap().into_iter().collect();
    assert_eq!(held, [WARNED, DEBUGGED]);
}
