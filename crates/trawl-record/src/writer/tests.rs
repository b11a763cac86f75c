//! Unit tests of the writer's small helpers.

#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn base32_matches_rfc4648_vectors() {
    assert_eq!(base32(b""), "");
    assert_eq!(base32(b"f"), "MY======");
    assert_eq!(base32(b"fo"), "MZXQ====");
    assert_eq!(base32(b"foob"), "MZXW6YQ=");
    assert_eq!(base32(b"foobar"), "MZXW6YTBOI======");
}

#[test]
fn sha1_digest_of_empty_is_the_well_known_value() {
    assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
}

#[test]
fn record_ids_are_v4_urn_uuids() {
    let id = new_record_id();
    assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
    assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'));
    assert_eq!(&id[24..25], "4");
    let uuid = &id[10..id.len() - 1];
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert!(
        uuid.chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(
        matches!(&uuid[19..20], "8" | "9" | "a" | "b"),
        "variant: {id}"
    );
    assert_ne!(id, new_record_id());
}

#[test]
fn run_names_must_be_safe_file_name_parts() {
    assert!(valid_run_name("run-42_a.b"));
    for bad in ["", "../x", ".hidden", "a/b", "a b"] {
        assert!(!valid_run_name(bad), "{bad}");
    }
}

#[test]
fn dates_have_microseconds() {
    let time = SystemTime::UNIX_EPOCH + Duration::from_micros(1_500_000_000_123_456);
    assert_eq!(format_warc_date(time), "2017-07-14T02:40:00.123456Z");
}

/// Members written by one reused deflate state are each complete on their
/// own: flate2's decoder (a separate implementation of the framing) reads
/// every one back, and so does a reader of the concatenation.
#[test]
fn reused_encoder_writes_independent_gzip_members() {
    use std::io::Read;
    let inputs: [Vec<u8>; 4] = [
        b"first record".to_vec(),
        Vec::new(),
        (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect(),
        b"last".repeat(1000),
    ];
    let mut encoder = MemberEncoder::new(6);
    // Deflated, and framed as stored blocks (a 200,000-byte input takes
    // four blocks; the empty one, one empty final block).
    type Encode<'a> = &'a mut dyn FnMut(&[u8]) -> Vec<u8>;
    let encoders: [(&str, Encode<'_>); 2] = [
        ("deflate", &mut |input| encoder.member(input)),
        ("stored", &mut stored_member),
    ];
    for (name, encode) in encoders {
        let members: Vec<Vec<u8>> = inputs.iter().map(|input| encode(input)).collect();
        for (input, member) in inputs.iter().zip(&members) {
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(member.as_slice())
                .read_to_end(&mut decoded)
                .expect("valid gzip member");
            assert_eq!(&decoded, input, "{name}");
            if name == "stored" {
                assert!(member.len() <= input.len() + 5 * 4 + 18, "{name}");
            }
        }
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(members.concat().as_slice())
            .read_to_end(&mut all)
            .expect("valid multi-member gzip");
        assert_eq!(all, inputs.concat(), "{name}");
    }
}

/// A flush that fails (here: the disk is full) keeps the records it was
/// flushing out of the index and counts them as lost; the next record
/// starts a new file, and everything indexed still reads.
#[test]
fn records_lost_to_a_failed_flush_are_counted_and_never_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RecordingWriter::create(RecordingConfig::new(dir.path(), "full")).unwrap();
    let headers = HeaderMap::new();
    let url = Url::parse("http://127.0.0.1:8080/a").unwrap();
    let exchange = Exchange {
        method: &Method::GET,
        url: &url,
        request_headers: &headers,
        status: 200,
        version: Version::HTTP_11,
        response_headers: &headers,
        body: b"<p>a</p>",
        wire: None,
        started_at: SystemTime::now(),
        elapsed: Duration::from_millis(3),
        final_url: None,
        requested_url: None,
        redirects: &[],
        attempt: 0,
        purpose: "page",
    };
    writer.write_exchange(&exchange).unwrap();
    writer.flush().unwrap();

    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    writer.current.as_mut().unwrap().out = BufWriter::new(full);
    writer.write_exchange(&exchange).unwrap();
    writer
        .write_failure(&Failure {
            requested_url: &url,
            attempt: 1,
            purpose: "page",
            kind: "timeout_total",
            message: "slow",
            started_at: SystemTime::now(),
            elapsed: Duration::from_secs(1),
        })
        .unwrap();
    assert!(writer.flush().is_err());
    assert_eq!(writer.lost_records(), 2);

    writer.write_exchange(&exchange).unwrap();
    writer.finish().unwrap();
    let index = crate::Index::load(&index_path(dir.path(), "full")).unwrap();
    let files: Vec<&str> = index
        .entries()
        .iter()
        .map(|entry| entry.file.as_str())
        .collect();
    assert_eq!(
        files,
        ["trawl-full-00000.warc.gz", "trawl-full-00001.warc.gz"]
    );
    for entry in index.entries() {
        let record = crate::read_record_at(
            &entry.path_in(dir.path()),
            entry.offset,
            0,
            crate::ReadLimits::default(),
        )
        .unwrap();
        assert_eq!(record.target_uri(), Some(url.as_str()));
    }
}
