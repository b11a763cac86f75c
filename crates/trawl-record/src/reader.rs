//! Reading WARC files: iterate every record of a `.warc` or `.warc.gz`
//! file with its offset, or read the record at an offset the index gave.
//!
//! A `.warc.gz` is a series of gzip members. Trawl (like wget and
//! Browsertrix) writes one record per member, so a member's offset is a
//! record's address. Files that hold several records in one member are
//! read too: each record is then addressed by (member offset, position in
//! the member). A member is decompressed into memory, bounded by
//! [`ReadLimits::max_record_bytes`], so a gzip bomb is an error, not an
//! out-of-memory kill. Compression is detected from the bytes, not the
//! file name.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;

use crate::error::WarcError;
use crate::record::{ReadLimits, WarcRecord, read_record};

/// A record and where it lives in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAt {
    /// Offset of the record, or of the gzip member that holds it.
    pub offset: u64,
    /// Length in the file of the record, or of its gzip member.
    pub length: u64,
    /// Position of the record inside its gzip member; 0 for uncompressed
    /// files and for files with one record per member.
    pub record_in_member: u32,
    pub record: WarcRecord,
}

/// Iterates the records of one WARC file, in order. After the first error
/// the iterator ends: a broken file cannot be resynchronised reliably.
pub struct WarcReader {
    path: PathBuf,
    input: CountingReader<BufReader<File>>,
    gzip: bool,
    limits: ReadLimits,
    pending: VecDeque<RecordAt>,
    /// An error found after some records of the same gzip member, reported
    /// once those records have been returned.
    deferred: Option<WarcError>,
    done: bool,
}

impl WarcReader {
    /// Opens `path` at its start.
    pub fn open(path: &Path, limits: ReadLimits) -> Result<WarcReader, WarcError> {
        WarcReader::open_at(path, 0, limits)
    }

    /// Opens `path` positioned at `offset`, which must be where a record
    /// or gzip member starts.
    pub fn open_at(path: &Path, offset: u64, limits: ReadLimits) -> Result<WarcReader, WarcError> {
        let io_error = |source| WarcError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io_error)?;
        file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        let mut input = CountingReader {
            inner: BufReader::with_capacity(64 * 1024, file),
            position: offset,
        };
        let gzip = input.fill_buf().map_err(io_error)?.first() == Some(&0x1f);
        Ok(WarcReader {
            path: path.to_owned(),
            input,
            gzip,
            limits,
            pending: VecDeque::new(),
            deferred: None,
            done: false,
        })
    }

    /// Whether the file is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    fn next_uncompressed(&mut self) -> Result<Option<RecordAt>, WarcError> {
        let offset = self.input.position;
        let Some(record) = read_record(&mut self.input, &self.limits, offset, &self.path)? else {
            return Ok(None);
        };
        Ok(Some(RecordAt {
            offset,
            length: self.input.position - offset,
            record_in_member: 0,
            record,
        }))
    }

    /// Decompresses the next gzip member and queues its records; `false`
    /// at the end of the file.
    fn next_member(&mut self) -> Result<bool, WarcError> {
        let offset = self.input.position;
        let first = self
            .input
            .fill_buf()
            .map_err(|source| WarcError::Io {
                path: self.path.clone(),
                source,
            })?
            .first()
            .copied();
        match first {
            None => return Ok(false),
            Some(0x1f) => {}
            Some(_) => {
                let found = self
                    .input
                    .fill_buf()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                return Err(WarcError::NotWarc {
                    offset,
                    found: crate::record::lossy_prefix(&found),
                });
            }
        }
        let limit = self.limits.max_record_bytes;
        let mut member = Vec::new();
        let decoded = GzDecoder::new(&mut self.input)
            .take(limit.saturating_add(1))
            .read_to_end(&mut member);
        if let Err(error) = decoded {
            return Err(gzip_error(error, offset));
        }
        if member.len() as u64 > limit {
            return Err(WarcError::RecordTooLarge { offset, limit });
        }
        let length = self.input.position - offset;
        let mut records = member.as_slice();
        let mut record_in_member = 0u32;
        loop {
            match read_record(&mut records, &self.limits, offset, &self.path) {
                Ok(Some(record)) => {
                    self.pending.push_back(RecordAt {
                        offset,
                        length,
                        record_in_member,
                        record,
                    });
                    record_in_member = record_in_member.saturating_add(1);
                }
                Ok(None) => return Ok(true),
                Err(error) if self.pending.is_empty() => return Err(error),
                Err(error) => {
                    self.deferred = Some(error);
                    return Ok(true);
                }
            }
        }
    }
}

impl Iterator for WarcReader {
    type Item = Result<RecordAt, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(record) = self.pending.pop_front() {
            return Some(Ok(record));
        }
        if let Some(error) = self.deferred.take() {
            self.done = true;
            return Some(Err(error));
        }
        if self.done {
            return None;
        }
        let result = if self.gzip {
            // Loop over members that hold no record (empty members).
            loop {
                match self.next_member() {
                    Ok(true) => {
                        if let Some(record) = self.pending.pop_front() {
                            break Ok(Some(record));
                        }
                    }
                    Ok(false) => break Ok(None),
                    Err(error) => break Err(error),
                }
            }
        } else {
            self.next_uncompressed()
        };
        match result {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

/// Reads the record at `offset` (and `record_in_member`, for files with
/// several records per gzip member), as an index entry locates it.
pub fn read_record_at(
    path: &Path,
    offset: u64,
    record_in_member: u32,
    limits: ReadLimits,
) -> Result<WarcRecord, WarcError> {
    let mut reader = WarcReader::open_at(path, offset, limits)?;
    let gzip = reader.gzip;
    for item in reader.by_ref() {
        let found = item?;
        if found.offset != offset || (!gzip && record_in_member != 0) {
            break;
        }
        if found.record_in_member == record_in_member {
            return Ok(found.record);
        }
    }
    Err(WarcError::NoRecordAt {
        offset,
        record_in_member,
    })
}

/// flate2 reports a member cut short (in its header, deflate data or
/// trailer) as `UnexpectedEof`, and bad bytes as `InvalidInput`.
fn gzip_error(error: io::Error, offset: u64) -> WarcError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        WarcError::TruncatedGzip { offset }
    } else {
        WarcError::CorruptGzip {
            offset,
            message: error.to_string(),
        }
    }
}

/// A `BufRead` that knows how many bytes have been consumed, so member and
/// record offsets come out exact even though reads are buffered.
struct CountingReader<R> {
    inner: R,
    position: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.position += read as u64;
        Ok(read)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.position += amount as u64;
    }
}
