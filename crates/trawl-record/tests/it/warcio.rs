//! Interoperability with warcio (PyPI), the reference Python WARC library:
//! warcio must read (and digest-check) what we write, and we must read
//! what warcio writes. Needs python3 with warcio (`scripts/test` installs
//! it); without them these tests fail rather than skip.

use std::fs;

use serde_json::Value;
use trawl_record::{
    ReadLimits, RecordingConfig, RecordingWriter, WarcReader, index_warc_file, write_index,
};

use crate::support::{python, sample_exchanges};

/// Prints one JSON object per record: type, target URI, offset, HTTP
/// status, the decoded payload in hex, and whether digests checked out
/// (`check_digests='raise'` makes any mismatch an exception).
const READ_WITH_WARCIO: &str = r#"
import json, sys
from warcio.archiveiterator import ArchiveIterator
out = []
with open(sys.argv[1], 'rb') as stream:
    records = ArchiveIterator(stream, check_digests='raise')
    for record in records:
        item = {
            'type': record.rec_type,
            'uri': record.rec_headers.get_header('WARC-Target-URI'),
            'status': None,
        }
        if record.http_headers is not None and record.rec_type == 'response':
            item['status'] = int(record.http_headers.get_statuscode())
        item['payload'] = record.content_stream().read().hex()
        item['offset'] = records.get_record_offset()
        item['digests_passed'] = record.digest_checker.passed
        out.append(item)
print(json.dumps(out))
"#;

#[test]
fn warcio_reads_our_files_and_accepts_their_digests() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "interop")).unwrap();
    let exchanges = sample_exchanges();
    let entries: Vec<_> = exchanges
        .iter()
        .map(|exchange| exchange.write(&mut writer))
        .collect();
    writer.finish().unwrap();
    let path = dir.path().join("trawl-interop-00000.warc.gz");

    let output = python(READ_WITH_WARCIO, &[path.to_str().unwrap()]);
    let records: Vec<Value> = serde_json::from_str(&output).unwrap();
    assert_eq!(records.len(), 1 + 2 * exchanges.len(), "{output}");
    assert_eq!(records[0]["type"], "warcinfo");
    assert_eq!(records[0]["digests_passed"], true);
    for ((exchange, entry), pair) in exchanges.iter().zip(&entries).zip(records[1..].chunks(2)) {
        let (request, response) = (&pair[0], &pair[1]);
        assert_eq!(request["type"], "request");
        assert_eq!(response["type"], "response");
        assert_eq!(request["uri"], exchange.url.as_str());
        assert_eq!(response["uri"], exchange.url.as_str());
        assert_eq!(response["status"], exchange.status);
        assert_eq!(response["payload"], hex(&exchange.body));
        assert_eq!(response["digests_passed"], true, "{response}");
        assert_eq!(request["digests_passed"], true, "{request}");
        // warcio finds each response where our index says it is.
        assert_eq!(response["offset"], entry.offset);
    }
}

/// Writes WARCs with warcio: a warcinfo, a plain response, a response
/// whose raw payload is chunked and gzip-encoded, a request, and a
/// resource record; gzipped (argv[1]) and uncompressed (argv[2]).
const WRITE_WITH_WARCIO: &str = r#"
import gzip, io, sys
from warcio.warcwriter import WARCWriter
from warcio.statusandheaders import StatusAndHeaders

def write(path, use_gzip):
    with open(path, 'wb') as stream:
        writer = WARCWriter(stream, gzip=use_gzip)
        writer.write_record(writer.create_warcinfo_record('x.warc', {'software': 'warcio'}))
        headers = StatusAndHeaders('200 OK', [('Content-Type', 'text/html'), ('Content-Length', '11')], protocol='HTTP/1.0')
        writer.write_record(writer.create_warc_record('http://example.test/plain', 'response',
            payload=io.BytesIO(b'hello world'), http_headers=headers))
        body = gzip.compress(b'<p>chunked and gzipped</p>')
        raw = b'%x\r\n' % len(body) + body + b'\r\n0\r\n\r\n'
        headers = StatusAndHeaders('201 Created', [('Transfer-Encoding', 'chunked'), ('Content-Encoding', 'gzip')], protocol='HTTP/1.1')
        writer.write_record(writer.create_warc_record('http://example.test/chunked', 'response',
            payload=io.BytesIO(raw), http_headers=headers))
        request = StatusAndHeaders('GET /plain HTTP/1.1', [('Host', 'example.test')], is_http_request=True)
        writer.write_record(writer.create_warc_record('http://example.test/plain', 'request',
            payload=io.BytesIO(b''), http_headers=request))
        writer.write_record(writer.create_warc_record('http://example.test/file.txt', 'resource',
            payload=io.BytesIO(b'resource bytes'), warc_content_type='text/plain'))

write(sys.argv[1], True)
write(sys.argv[2], False)
"#;

#[test]
fn we_read_files_warcio_writes() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("warcio.warc.gz");
    let plain = dir.path().join("warcio.warc");
    python(
        WRITE_WITH_WARCIO,
        &[gz.to_str().unwrap(), plain.to_str().unwrap()],
    );

    for path in [&gz, &plain] {
        let reader = WarcReader::open(path, ReadLimits::default()).unwrap();
        assert_eq!(reader.is_gzip(), path == &gz);
        let records: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        let summary: Vec<_> = records
            .iter()
            .map(|found| (found.record.record_type(), found.record.target_uri()))
            .collect();
        assert_eq!(
            summary,
            [
                ("warcinfo", None),
                ("response", Some("http://example.test/plain")),
                ("response", Some("http://example.test/chunked")),
                ("request", Some("http://example.test/plain")),
                ("resource", Some("http://example.test/file.txt")),
            ],
            "{}",
            path.display()
        );
        let limits = ReadLimits::default();
        let plain_response = records[1].record.http_response(&limits).unwrap();
        assert_eq!(
            (plain_response.status, plain_response.body.as_slice()),
            (200, &b"hello world"[..])
        );
        let chunked = records[2].record.http_response(&limits).unwrap();
        assert_eq!(chunked.status, 201);
        assert_eq!(chunked.body, b"<p>chunked and gzipped</p>");
        assert_eq!(records[4].record.block, b"resource bytes");

        // And they import and replay by URL.
        let report = index_warc_file(path, &path.display().to_string(), limits).unwrap();
        assert!(report.stopped_at.is_none());
        let index_file = dir.path().join("imported.index.jsonl");
        write_index(&index_file, &report.entries).unwrap();
        let recording = trawl_record::Recording::open(dir.path(), limits).unwrap();
        let replayed = recording
            .response("http://example.test/chunked")
            .unwrap()
            .unwrap();
        assert_eq!(replayed.http.body, b"<p>chunked and gzipped</p>");
        fs::remove_file(index_file).unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
