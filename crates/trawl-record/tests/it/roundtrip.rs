//! Our writer's files read back by our reader: record layout, links,
//! headers made consistent with the decoded body, the index, rotation,
//! reopening and what a crash leaves behind.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use trawl_record::{
    Index, ReadLimits, RecordAt, Recording, RecordingConfig, RecordingWriter, WarcError,
    WarcReader, index_path, read_record_at,
};

use crate::support::{OwnedExchange, sample_exchanges};

fn read_all(path: &Path) -> Vec<RecordAt> {
    WarcReader::open(path, ReadLimits::default())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn records_round_trip_through_reader_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "r1")).unwrap();
    let exchanges = sample_exchanges();
    let entries: Vec<_> = exchanges
        .iter()
        .map(|exchange| exchange.write(&mut writer))
        .collect();
    writer.finish().unwrap();

    let file = dir.path().join("trawl-r1-00000.warc.gz");
    let records = read_all(&file);
    let types: Vec<_> = records
        .iter()
        .map(|found| found.record.record_type())
        .collect();
    let mut expected = vec!["warcinfo"];
    for _ in &exchanges {
        expected.extend(["request", "response"]);
    }
    assert_eq!(types, expected);
    assert_eq!(
        records[0].record.headers.get("WARC-Filename"),
        Some("trawl-r1-00000.warc.gz")
    );
    let warcinfo_id = records[0].record.record_id().unwrap();

    // One gzip member per record: offsets strictly increase, members abut.
    for pair in records.windows(2) {
        assert_eq!(pair[0].offset + pair[0].length, pair[1].offset);
        assert_eq!(pair[1].record_in_member, 0);
    }
    assert_eq!(
        records.last().map(|found| found.offset + found.length),
        Some(fs::metadata(&file).unwrap().len())
    );

    for ((exchange, entry), pair) in exchanges.iter().zip(&entries).zip(records[1..].chunks(2)) {
        let (request, response) = (&pair[0].record, &pair[1].record);
        assert_eq!(request.target_uri(), Some(exchange.url.as_str()));
        assert_eq!(response.target_uri(), Some(exchange.url.as_str()));
        assert_eq!(
            request.headers.get("WARC-Concurrent-To"),
            response.record_id()
        );
        assert_eq!(
            response.headers.get("WARC-Concurrent-To"),
            request.record_id()
        );
        assert_eq!(response.headers.get("WARC-Warcinfo-ID"), Some(warcinfo_id));
        assert_eq!(request.date(), response.date());
        let date = response.date().unwrap();
        assert_eq!(date.len(), "2026-01-01T00:00:00.000000Z".len(), "{date}");
        assert!(
            response
                .headers
                .get("WARC-Payload-Digest")
                .unwrap()
                .starts_with("sha1:")
        );
        assert_eq!(
            response.headers.get("WARC-Trawl-Elapsed-Ms"),
            Some("12.345")
        );
        assert_eq!(
            response.headers.get("WARC-Trawl-Http-Version"),
            Some("HTTP/2.0")
        );
        // A decoded body records the coding it had; a wire body keeps it
        // in the HTTP message itself.
        let block_text = String::from_utf8_lossy(&response.block);
        let head = block_text.split("\r\n\r\n").next().unwrap();
        match &exchange.wire {
            None => {
                assert_eq!(
                    response.headers.get("WARC-Trawl-Original-Content-Encoding"),
                    Some("gzip")
                );
                assert!(!head.contains("content-encoding"), "{head}");
            }
            Some((_, wire)) => {
                assert_eq!(
                    response.headers.get("WARC-Trawl-Original-Content-Encoding"),
                    None
                );
                assert!(head.contains("Content-Encoding: gzip"), "{head}");
                assert!(head.contains(&format!("Content-Length: {}", wire.len())));
                assert!(response.block.ends_with(wire));
            }
        }
        assert_eq!(
            response.headers.get("WARC-Trawl-Final-URI"),
            exchange.final_url.as_ref().map(|url| url.as_str())
        );
        let request_text = String::from_utf8_lossy(&request.block);
        let target = &exchange.url[url::Position::BeforePath..url::Position::AfterQuery];
        assert!(request_text.starts_with(&format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        )));
        assert!(request_text.ends_with("\r\n\r\n"));

        // The index points exactly at the response record.
        assert_eq!(entry.offset, pair[1].offset);
        assert_eq!(entry.length, pair[1].length);
        assert_eq!(entry.status, Some(exchange.status));
        let http = response.http_response(&ReadLimits::default()).unwrap();
        assert_eq!(http.status, exchange.status);
        assert_eq!(http.body, exchange.body);
        // The parsed headers describe the decoded body, as live.
        assert!(http.headers.get("content-encoding").is_none());
        assert_eq!(http.headers.get_all("set-cookie").iter().count(), 2);
    }

    // Replay lookup by URL, through the index file alone.
    let recording = Recording::open(dir.path(), ReadLimits::default()).unwrap();
    assert_eq!(recording.index().len(), exchanges.len());
    for exchange in &exchanges {
        let found = recording.response(exchange.url.as_str()).unwrap().unwrap();
        assert_eq!(found.http.body, exchange.body);
        assert_eq!(found.http.status, exchange.status);
        assert_eq!(found.elapsed(), Some(Duration::from_micros(12_345)));
        assert_eq!(
            found.final_url(),
            exchange.final_url.as_ref().map(|url| url.as_str())
        );
    }
    assert!(
        recording
            .response("http://127.0.0.1:8080/never")
            .unwrap()
            .is_none()
    );
}

#[test]
fn files_rotate_by_size_and_each_starts_with_warcinfo() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RecordingConfig::new(dir.path(), "rot");
    config.max_file_bytes = 1;
    let mut writer = RecordingWriter::create(config).unwrap();
    let exchanges = sample_exchanges();
    let entries: Vec<_> = exchanges
        .iter()
        .take(3)
        .map(|exchange| exchange.write(&mut writer))
        .collect();
    drop(writer);

    for (number, entry) in entries.iter().enumerate() {
        let name = format!("trawl-rot-{number:05}.warc.gz");
        assert_eq!(entry.file, name);
        let records = read_all(&dir.path().join(&name));
        let types: Vec<_> = records
            .iter()
            .map(|found| found.record.record_type())
            .collect();
        assert_eq!(types, ["warcinfo", "request", "response"]);
        assert_eq!(
            records[0].record.headers.get("WARC-Filename"),
            Some(name.as_str())
        );
    }
    assert!(!dir.path().join("trawl-rot-00003.warc.gz").exists());
}

#[test]
fn reopening_continues_file_numbers_and_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let exchanges = sample_exchanges();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "again")).unwrap();
    exchanges[0].write(&mut writer);
    exchanges[1].write(&mut writer);
    writer.finish().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "again")).unwrap();
    let entry = exchanges[2].write(&mut writer);
    writer.finish().unwrap();
    assert_eq!(entry.file, "trawl-again-00001.warc.gz");

    let recording = Recording::open(dir.path(), ReadLimits::default()).unwrap();
    assert_eq!(recording.index().len(), 3);
    for exchange in &exchanges[..3] {
        let found = recording.response(exchange.url.as_str()).unwrap().unwrap();
        assert_eq!(found.http.body, exchange.body);
    }
}

#[test]
fn a_crash_mid_write_leaves_an_index_whose_entries_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "crash")).unwrap();
    let exchanges = sample_exchanges();
    for exchange in &exchanges[..3] {
        exchange.write(&mut writer);
    }
    writer.finish().unwrap();

    // What a kill during the next exchange leaves: half a gzip member in
    // the WARC, and (at worst) half an index line.
    let file = dir.path().join("trawl-crash-00000.warc.gz");
    let size_before = fs::metadata(&file).unwrap().len();
    let member = crate::support::gzip_member(&vec![b'x'; 5000]);
    fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(&member[..member.len() / 2])
        .unwrap();
    let index_file = index_path(dir.path(), "crash");
    fs::OpenOptions::new()
        .append(true)
        .open(&index_file)
        .unwrap()
        .write_all(br#"{"url":"http://127.0.0.1:8080/missing","file":"trawl-cr"#)
        .unwrap();

    let index = Index::load(&index_file).unwrap();
    assert_eq!(index.len(), 3);
    assert_every_entry_reads(&index, dir.path());
    // A full scan reads every complete record, then reports the torn one.
    let results: Vec<_> = WarcReader::open(&file, ReadLimits::default())
        .unwrap()
        .collect();
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 7);
    assert!(matches!(
        results.last(),
        Some(Err(WarcError::TruncatedGzip { offset })) if *offset == size_before
    ));

    // The next writer cuts the torn line off and appends cleanly.
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "crash")).unwrap();
    exchanges[3].write(&mut writer);
    writer.finish().unwrap();
    let index = Index::load(&index_file).unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(index.entries()[3].file, "trawl-crash-00001.warc.gz");
}

#[test]
fn bad_run_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let result = RecordingWriter::create(RecordingConfig::new(dir.path(), "../escape"));
    assert!(matches!(
        result,
        Err(trawl_record::WriteError::BadRunName(_))
    ));
}

/// What replay needs: outcomes found by the URL asked for (also after a
/// redirect), each attempt in order, failures recorded and given back.
#[test]
fn outcomes_are_found_by_the_requested_url_attempt_by_attempt() {
    use std::time::SystemTime;

    use http::{HeaderMap, Method, Version};
    use trawl_record::{Exchange, Failure, RecordedOutcome};
    use url::Url;

    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "r2")).unwrap();
    let asked = Url::parse("http://127.0.0.1:9/old").unwrap();
    let landed = Url::parse("http://127.0.0.1:9/new").unwrap();
    let headers = HeaderMap::new();
    // Attempt 0 timed out; attempt 1 was redirected to /new.
    writer
        .write_failure(&Failure {
            requested_url: &asked,
            attempt: 0,
            purpose: "page",
            kind: "timeout_first_byte",
            message: "no response within 20s",
            started_at: SystemTime::now(),
            elapsed: Duration::from_millis(20_000),
        })
        .unwrap();
    writer
        .write_exchange(&Exchange {
            method: &Method::GET,
            url: &landed,
            request_headers: &headers,
            status: 200,
            version: Version::HTTP_11,
            response_headers: &headers,
            body: b"<p>new</p>",
            wire: None,
            started_at: SystemTime::now(),
            elapsed: Duration::from_millis(12),
            final_url: None,
            requested_url: Some(&asked),
            redirects: std::slice::from_ref(&asked),
            attempt: 1,
            purpose: "page",
        })
        .unwrap();
    writer.finish().unwrap();

    let recording = Recording::open(dir.path(), ReadLimits::default()).unwrap();
    match recording.outcome(asked.as_str(), 0).unwrap() {
        Some(RecordedOutcome::Failure {
            kind,
            message,
            elapsed,
        }) => {
            assert_eq!(kind, "timeout_first_byte");
            assert_eq!(message, "no response within 20s");
            assert_eq!(elapsed, Some(Duration::from_millis(20_000)));
        }
        other => panic!("attempt 0 should be the failure: {other:?}"),
    }
    for attempt in [1, 2, 7] {
        let Some(RecordedOutcome::Response(response)) =
            recording.outcome(asked.as_str(), attempt).unwrap()
        else {
            panic!("attempt {attempt} should be the response");
        };
        assert_eq!(response.record.target_uri(), Some(landed.as_str()));
        assert_eq!(response.requested_url(), Some(asked.as_str()));
        assert_eq!(response.redirects(), vec![asked.as_str()]);
        assert_eq!(response.http.body, b"<p>new</p>");
        assert_eq!(response.elapsed(), Some(Duration::from_millis(12)));
    }
    // The landing URL itself was never asked for.
    assert!(recording.outcome(landed.as_str(), 0).unwrap().is_none());
    assert!(
        recording
            .outcome("http://127.0.0.1:9/other", 0)
            .unwrap()
            .is_none()
    );
}

/// A replay reports a fetch's whole milliseconds from the recording; they
/// must be the recorded run's. Rounding through a float made 27.9996 ms
/// "28.000", and the replay said 28 ms where the run had said 27.
#[test]
fn recorded_elapsed_times_keep_their_whole_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "ms")).unwrap();
    let nanos = [27_999_600_u64, 28_000_000, 999_999, 0, 3_600_000_123_456];
    for (index, elapsed) in nanos.iter().enumerate() {
        let mut exchange = OwnedExchange::new(&format!("http://127.0.0.1:8080/{index}"), 200, b"x");
        exchange.elapsed = Duration::from_nanos(*elapsed);
        exchange.write(&mut writer);
    }
    drop(writer);
    let recording = Recording::open(dir.path(), ReadLimits::default()).unwrap();
    for (index, elapsed) in nanos.iter().enumerate() {
        let url = format!("http://127.0.0.1:8080/{index}");
        let found = recording
            .response(&url)
            .unwrap()
            .unwrap()
            .elapsed()
            .unwrap();
        let recorded = Duration::from_nanos(*elapsed);
        assert_eq!(
            found,
            Duration::from_micros(recorded.as_micros() as u64),
            "{url}"
        );
        assert_eq!(found.as_millis(), recorded.as_millis(), "{url}");
    }
}

/// Every entry of `index` points at a record of its URL.
fn assert_every_entry_reads(index: &Index, dir: &Path) {
    for entry in index.entries() {
        let record =
            read_record_at(&entry.path_in(dir), entry.offset, 0, ReadLimits::default()).unwrap();
        assert_eq!(record.target_uri(), Some(entry.url.as_str()));
    }
}

/// Records and their index lines are buffered, and reach the OS together
/// on `flush`: records first, so the index never points at bytes a crash
/// could still lose.
#[test]
fn index_lines_reach_the_file_on_flush_after_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "batch")).unwrap();
    let index_file = index_path(dir.path(), "batch");
    let exchanges = sample_exchanges();
    exchanges[0].write(&mut writer);
    assert_eq!(fs::metadata(&index_file).unwrap().len(), 0);
    writer.flush().unwrap();
    assert_eq!(Index::load(&index_file).unwrap().len(), 1);

    exchanges[1].write(&mut writer);
    exchanges[2].write(&mut writer);
    assert_eq!(Index::load(&index_file).unwrap().len(), 1);
    writer.flush().unwrap();
    let index = Index::load(&index_file).unwrap();
    assert_eq!(index.len(), 3);
    assert_every_entry_reads(&index, dir.path());
    // Dropped without `finish`: what was written still reaches the files.
    exchanges[3].write(&mut writer);
    drop(writer);
    assert_eq!(Index::load(&index_file).unwrap().len(), 4);
}
