//! Broken and hostile files: every one is a typed error, none panics.

use std::fs;
use std::path::Path;

use trawl_record::{
    HttpError, ReadLimits, RecordAt, RecordingConfig, RecordingWriter, WarcError, WarcReader,
    read_record_at,
};

use crate::support::{gzip_member, sample_exchanges};

fn scan(path: &Path, limits: ReadLimits) -> (Vec<RecordAt>, Option<WarcError>) {
    let mut records = Vec::new();
    for item in WarcReader::open(path, limits).unwrap() {
        match item {
            Ok(found) => records.push(found),
            Err(error) => return (records, Some(error)),
        }
    }
    (records, None)
}

/// A valid recording of the sample exchanges; returns its bytes.
fn valid_file(dir: &Path) -> Vec<u8> {
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir, "ok")).unwrap();
    for exchange in sample_exchanges() {
        exchange.write(&mut writer);
    }
    writer.finish().unwrap();
    fs::read(dir.join("trawl-ok-00000.warc.gz")).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn garbage_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let (records, error) = scan(&write(dir.path(), "empty.warc", b""), ReadLimits::default());
    assert!(records.is_empty() && error.is_none());
    let (_, error) = scan(
        &write(dir.path(), "g.warc", b"hello world\n"),
        ReadLimits::default(),
    );
    assert!(
        matches!(error, Some(WarcError::NotWarc { offset: 0, .. })),
        "{error:?}"
    );
    let (_, error) = scan(
        &write(dir.path(), "g.warc.gz", &gzip_member(b"not a warc\r\n")),
        ReadLimits::default(),
    );
    assert!(
        matches!(error, Some(WarcError::NotWarc { .. })),
        "{error:?}"
    );
    // Starts like gzip, is not.
    let (_, error) = scan(
        &write(
            dir.path(),
            "h.warc.gz",
            b"\x1f\x00 this is garbage, not a gzip header",
        ),
        ReadLimits::default(),
    );
    assert!(
        matches!(error, Some(WarcError::CorruptGzip { .. })),
        "{error:?}"
    );
    let missing = dir.path().join("missing.warc.gz");
    assert!(matches!(
        WarcReader::open(&missing, ReadLimits::default()),
        Err(WarcError::Io { .. })
    ));
}

#[test]
fn truncated_gzip_member_keeps_the_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = valid_file(dir.path());
    let (all, _) = scan(
        &dir.path().join("trawl-ok-00000.warc.gz"),
        ReadLimits::default(),
    );
    let cut_member = &all[4];
    for cut in [
        cut_member.offset + 1,
        cut_member.offset + 10,
        cut_member.offset + cut_member.length - 1,
    ] {
        let path = write(dir.path(), "cut.warc.gz", &bytes[..cut as usize]);
        let (records, error) = scan(&path, ReadLimits::default());
        assert_eq!(records.len(), 4, "cut at {cut}");
        assert!(
            matches!(error, Some(WarcError::TruncatedGzip { offset }) if offset == cut_member.offset),
            "cut at {cut}: {error:?}"
        );
    }
}

#[test]
fn corrupt_gzip_data_and_trailing_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = valid_file(dir.path());
    let (all, _) = scan(
        &dir.path().join("trawl-ok-00000.warc.gz"),
        ReadLimits::default(),
    );
    let member = &all[2];

    let mut flipped = bytes.clone();
    let middle = (member.offset + member.length / 2) as usize;
    flipped[middle] ^= 0xff;
    flipped[middle + 1] ^= 0x55;
    let (records, error) = scan(
        &write(dir.path(), "flip.warc.gz", &flipped),
        ReadLimits::default(),
    );
    assert_eq!(records.len(), 2);
    assert!(
        matches!(error, Some(WarcError::CorruptGzip { offset, .. } | WarcError::NotWarc { offset, .. } | WarcError::TruncatedGzip { offset }) if offset == member.offset),
        "{error:?}"
    );

    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"\r\nGARBAGE");
    let (records, error) = scan(
        &write(dir.path(), "trail.warc.gz", &trailing),
        ReadLimits::default(),
    );
    assert_eq!(records.len(), all.len());
    assert!(
        matches!(&error, Some(WarcError::NotWarc { offset, .. }) if *offset == bytes.len() as u64),
        "{error:?}"
    );
}

#[test]
fn gzip_bomb_member_hits_the_record_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut block = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 10485760\r\n\r\n".to_vec();
    block.resize(block.len() + 10 * 1024 * 1024, 0);
    let path = write(dir.path(), "bomb.warc.gz", &gzip_member(&block));
    assert!(fs::metadata(&path).unwrap().len() < 100_000);
    let limits = ReadLimits {
        max_header_bytes: 4096,
        max_record_bytes: 1024 * 1024,
    };
    let (_, error) = scan(&path, limits);
    assert!(
        matches!(
            error,
            Some(WarcError::RecordTooLarge {
                offset: 0,
                limit: 1_048_576
            })
        ),
        "{error:?}"
    );
}

#[test]
fn uncompressed_records_with_lying_lengths() {
    let dir = tempfile::tempdir().unwrap();
    let good = b"WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nok\r\n\r\n";
    let mut bad = good.to_vec();
    bad.extend_from_slice(
        b"WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: abc\r\n\r\nok\r\n\r\n",
    );
    let (records, error) = scan(&write(dir.path(), "bad.warc", &bad), ReadLimits::default());
    assert_eq!(records.len(), 1);
    assert!(
        matches!(error, Some(WarcError::BadContentLength { offset, .. }) if offset == good.len() as u64),
        "{error:?}"
    );

    let mut long = good.to_vec();
    long.extend_from_slice(b"WARC/1.0\r\nContent-Length: 1000000\r\n\r\nshort");
    let (_, error) = scan(
        &write(dir.path(), "long.warc", &long),
        ReadLimits::default(),
    );
    assert!(
        matches!(
            error,
            Some(WarcError::TruncatedRecord {
                expected: 1_000_000,
                found: 5,
                ..
            })
        ),
        "{error:?}"
    );

    let missing = b"WARC/1.0\r\nWARC-Type: resource\r\n\r\nok";
    let (_, error) = scan(
        &write(dir.path(), "nolen.warc", missing),
        ReadLimits::default(),
    );
    assert!(
        matches!(error, Some(WarcError::MissingContentLength { offset: 0 })),
        "{error:?}"
    );
}

#[test]
fn reading_at_wrong_offsets_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = valid_file(dir.path());
    let path = dir.path().join("trawl-ok-00000.warc.gz");
    let limits = ReadLimits::default();
    assert!(matches!(
        read_record_at(&path, bytes.len() as u64 + 100, 0, limits),
        Err(WarcError::NoRecordAt { .. })
    ));
    assert!(read_record_at(&path, 5, 0, limits).is_err());
    assert!(matches!(
        read_record_at(&path, 0, 3, limits),
        Err(WarcError::NoRecordAt {
            record_in_member: 3,
            ..
        })
    ));
}

#[test]
fn broken_http_inside_a_response_record() {
    let (_, records) = {
        let dir = tempfile::tempdir().unwrap();
        let block = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort";
        let mut file = format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://a/\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        file.extend_from_slice(block);
        file.extend_from_slice(
            b"\r\n\r\nWARC/1.1\r\nWARC-Type: request\r\nContent-Length: 0\r\n\r\n\r\n\r\n",
        );
        let (records, error) = scan(
            &write(dir.path(), "http.warc", &file),
            ReadLimits::default(),
        );
        assert!(error.is_none());
        (dir, records)
    };
    let limits = ReadLimits::default();
    assert!(matches!(
        records[0].record.http_response(&limits),
        Err(WarcError::Http(HttpError::BodyTruncated {
            declared: 50,
            available: 5
        }))
    ));
    assert!(matches!(
        records[1].record.http_response(&limits),
        Err(WarcError::NotAResponse { .. })
    ));
}

/// Deterministic mutation fuzzing: truncations and byte flips of a valid
/// gzip recording and of its uncompressed form must end in records or
/// typed errors, never a panic or a hang.
#[test]
fn mutated_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let gz = valid_file(dir.path());
    let plain: Vec<u8> = scan(
        &dir.path().join("trawl-ok-00000.warc.gz"),
        ReadLimits::default(),
    )
    .0
    .iter()
    .flat_map(|found| found.record.to_bytes())
    .collect();
    let limits = ReadLimits {
        max_header_bytes: 8192,
        max_record_bytes: 1 << 20,
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (name, original) in [("m.warc.gz", &gz), ("m.warc", &plain)] {
        for round in 0..150 {
            let mut bytes = original.clone();
            if round % 3 == 0 {
                bytes.truncate((next() % bytes.len() as u64) as usize);
            } else {
                for _ in 0..(1 + next() % 4) {
                    let position = (next() % bytes.len() as u64) as usize;
                    bytes[position] = next() as u8;
                }
            }
            let path = write(dir.path(), name, &bytes);
            for found in WarcReader::open(&path, limits).unwrap().flatten() {
                let _ = found.record.http_response(&limits);
            }
        }
    }
}

#[test]
fn a_broken_record_inside_a_shared_member_comes_after_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nok\r\n\r\n";
    let mut whole = good.repeat(2);
    whole.extend_from_slice(b"WARC/1.1\r\nContent-Length: nope\r\n\r\n");
    let path = write(dir.path(), "shared.warc.gz", &gzip_member(&whole));
    let results: Vec<_> = WarcReader::open(&path, ReadLimits::default())
        .unwrap()
        .collect();
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(matches!(
        results[2],
        Err(WarcError::BadContentLength { offset: 0, .. })
    ));
}

#[test]
fn an_index_entry_whose_file_is_gone_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    valid_file(dir.path());
    fs::remove_file(dir.path().join("trawl-ok-00000.warc.gz")).unwrap();
    let recording = trawl_record::Recording::open(dir.path(), ReadLimits::default()).unwrap();
    let url = recording.index().entries()[0].url.clone();
    assert!(matches!(
        recording.response(&url),
        Err(WarcError::Io { .. })
    ));
}
