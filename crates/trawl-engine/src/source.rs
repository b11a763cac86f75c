//! Where a crawl's responses come from: the live fetcher (`trawl-fetch`,
//! the only network client), optionally teeing every outcome into the run's
//! WARC recording, or a recording being replayed (`trawl-record`), which
//! answers every fetch from files and never touches the network.
//!
//! Both sides speak in fetch *outcomes*: a response after redirects, or
//! the error the fetch ended with, per attempt. That is what the crawl
//! decides on (retries, robots rules, outcomes), so replaying outcomes in
//! the order they were recorded makes the same decisions again.
//!
//! A plain enum rather than a trait object: there are two sources, the
//! match is explicit, and the futures stay `Send` without boxing.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Version};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::{Receiver, Sender};
use trawl_fetch::robots::{self, Robots};
use trawl_fetch::{FetchError, Fetcher, Response};
use trawl_record::{
    Exchange, Failure, ReadLimits, RecordedOutcome, RecordedResponse, Recording, RecordingConfig,
    RecordingWriter, WireBody,
};
use url::Url;

/// What a fetch is for (recorded with it, so a recording can be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Page,
    Robots,
    Sitemap,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Page => "page",
            Purpose::Robots => "robots",
            Purpose::Sitemap => "sitemap",
        }
    }
}

/// The crawl's source of responses.
pub(crate) enum Source {
    Live {
        fetcher: Fetcher,
        recorder: Option<Recorder>,
    },
    Replay(Replayer),
}

impl Source {
    /// One fetch (the `attempt`-th of `url`), and how long it took (the
    /// recorded time, in a replay).
    pub(crate) async fn fetch(
        &self,
        url: &Url,
        attempt: u32,
        purpose: Purpose,
    ) -> (Result<Response, FetchError>, Duration) {
        match self {
            Source::Live { fetcher, recorder } => {
                let started_at = SystemTime::now();
                let started = Instant::now();
                let outcome = fetcher.fetch(url).await;
                let elapsed = started.elapsed();
                if let Some(recorder) = recorder {
                    recorder
                        .record(url, attempt, purpose, &outcome, started_at, elapsed)
                        .await;
                }
                (outcome, elapsed)
            }
            Source::Replay(replayer) => replayer.outcome(url, attempt, purpose).await,
        }
    }

    /// The robots.txt rules of `site`'s origin.
    pub(crate) async fn robots(&self, site: &Url) -> Robots {
        match self {
            Source::Live { fetcher, recorder } => {
                let started_at = SystemTime::now();
                let started = Instant::now();
                let Some((robots_url, outcome)) = fetcher.fetch_robots_file(site).await else {
                    return Robots::allow_all();
                };
                if let Some(recorder) = recorder {
                    let elapsed = started.elapsed();
                    recorder
                        .record(
                            &robots_url,
                            0,
                            Purpose::Robots,
                            &outcome,
                            started_at,
                            elapsed,
                        )
                        .await;
                }
                robots::interpret(fetcher.user_agent(), &outcome)
            }
            Source::Replay(replayer) => {
                let Some(robots_url) = robots::robots_url(site) else {
                    return Robots::allow_all();
                };
                let (outcome, _) = replayer.outcome(&robots_url, 0, Purpose::Robots).await;
                robots::interpret(&replayer.user_agent, &outcome)
            }
        }
    }

    /// True in a replay: time is the recording's, so the crawl does not wait
    /// for rates, crawl-delays or retry back-offs.
    pub(crate) fn is_replay(&self) -> bool {
        matches!(self, Source::Replay(_))
    }

    /// Ends the recording (if any): waits for what is queued to be written
    /// and synced. Returns how many outcomes could not be recorded.
    pub(crate) fn finish(&self) -> u64 {
        match self {
            Source::Live {
                recorder: Some(recorder),
                ..
            } => recorder.finish(),
            _ => 0,
        }
    }
}

/// One outcome on its way to the recording thread.
enum RecordCommand {
    Exchange {
        requested_url: Url,
        attempt: u32,
        purpose: Purpose,
        response: Box<Response>,
        started_at: SystemTime,
    },
    Failure {
        requested_url: Url,
        attempt: u32,
        purpose: Purpose,
        kind: &'static str,
        message: String,
        started_at: SystemTime,
        elapsed: Duration,
    },
}

/// Tees outcomes into the run's WARC files on a thread of its own (file IO
/// and gzip stay off the crawl's workers; a body is reference-counted, so
/// handing one over copies nothing), which drains its queue in batches
/// ([`RECORDER_NAP`]). The queue is bounded: a recorder that falls behind
/// (a slow disk) slows the crawl instead of holding every body it has not
/// written yet in memory.
pub(crate) struct Recorder {
    sender: std::sync::Mutex<Option<Sender<RecordCommand>>>,
    thread: std::sync::Mutex<Option<JoinHandle<u64>>>,
}

/// Compression level of recordings: fast (gzip 1 is within a few percent of
/// 6's size on HTML and several times cheaper); `warcio` reads either.
const RECORDING_COMPRESSION_LEVEL: u32 = 1;

/// Outcomes waiting for the recorder at most (about 5 MB of 20 KB pages).
const RECORD_QUEUE: usize = 256;

/// Outcomes the recorder writes before it flushes them (and their index
/// lines) even though more are queued.
const MAX_UNFLUSHED_RECORDS: usize = 64;

/// How long the recorder sleeps once its queue is empty. It drains the queue
/// in batches instead of being woken for every outcome: a wake-up per page
/// (a third busy thread preempting the crawl's two workers) cost the crawl
/// more than writing the records did. A 5 ms nap at 10,000 pages/s is 50
/// outcomes, well inside the queue. A queue still empty after a nap means
/// the crawl is idle: the recorder then sleeps until woken.
const RECORDER_NAP: Duration = Duration::from_millis(5);

impl Recorder {
    /// Opens the run's recording in `dir` (files continue a previous
    /// attempt's numbering on resume).
    pub(crate) fn start(
        dir: PathBuf,
        run_name: &str,
        user_agent: &str,
    ) -> Result<Recorder, trawl_record::WriteError> {
        let mut config = RecordingConfig::new(dir, run_name);
        config.compression_level = RECORDING_COMPRESSION_LEVEL;
        let mut writer = RecordingWriter::create(config)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(RECORD_QUEUE);
        let user_agent =
            HeaderValue::from_str(user_agent).unwrap_or(HeaderValue::from_static("trawl"));
        let request_headers = {
            let mut headers = HeaderMap::new();
            // Only what is never secret: the spec's own headers may be.
            headers.insert(http::header::USER_AGENT, user_agent);
            headers
        };
        let thread = std::thread::Builder::new()
            .name(format!("trawl-recorder-{run_name}"))
            .spawn(move || record_loop(&mut writer, receiver, &request_headers))
            .map_err(|source| trawl_record::WriteError::Io {
                path: PathBuf::from(run_name),
                source,
            })?;
        Ok(Recorder {
            sender: std::sync::Mutex::new(Some(sender)),
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    async fn record(
        &self,
        requested_url: &Url,
        attempt: u32,
        purpose: Purpose,
        outcome: &Result<Response, FetchError>,
        started_at: SystemTime,
        elapsed: Duration,
    ) {
        let command = match outcome {
            Ok(response) => RecordCommand::Exchange {
                requested_url: requested_url.clone(),
                attempt,
                purpose,
                response: Box::new(response.clone()),
                started_at,
            },
            Err(error) => RecordCommand::Failure {
                requested_url: requested_url.clone(),
                attempt,
                purpose,
                kind: error.kind(),
                message: error.to_string(),
                started_at,
                elapsed,
            },
        };
        let sender = crate::lock(&self.sender).clone();
        if let Some(sender) = sender {
            // A gone thread reports its count at `finish`.
            let _ = sender.send(command).await;
        }
    }

    /// Closes the channel and waits for the thread; returns the outcomes
    /// it could not write.
    fn finish(&self) -> u64 {
        crate::lock(&self.sender).take();
        let thread = crate::lock(&self.thread).take();
        match thread.map(JoinHandle::join) {
            Some(Ok(failed)) => failed,
            Some(Err(_)) => 1,
            None => 0,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn record_loop(
    writer: &mut RecordingWriter,
    mut receiver: Receiver<RecordCommand>,
    request_headers: &HeaderMap,
) -> u64 {
    let mut failed = 0_u64;
    let mut note_failure = |error: trawl_record::WriteError| {
        failed += 1;
        if failed == 1 {
            tracing::warn!(%error, "the recording lost an exchange; the replay of this run will miss it");
        }
    };
    let mut unflushed = 0;
    // Set after a nap: an empty queue after one means the crawl is idle (or
    // paused), and the thread waits to be woken instead of napping on.
    let mut napped = false;
    loop {
        // A batch reaches the OS once the queue runs dry, or at a bound so
        // a crash loses little.
        if unflushed > 0 && (unflushed >= MAX_UNFLUSHED_RECORDS || receiver.is_empty()) {
            unflushed = 0;
            if let Err(error) = writer.flush() {
                note_failure(error);
            }
        }
        let command = match receiver.try_recv() {
            Ok(command) => command,
            Err(TryRecvError::Empty) if !napped => {
                napped = true;
                std::thread::sleep(RECORDER_NAP);
                continue;
            }
            Err(TryRecvError::Empty) => match receiver.blocking_recv() {
                Some(command) => command,
                None => break,
            },
            Err(TryRecvError::Disconnected) => break,
        };
        napped = false;
        let written = match &command {
            RecordCommand::Exchange {
                requested_url,
                attempt,
                purpose,
                response,
                started_at,
            } => writer
                .write_exchange(&Exchange {
                    method: &Method::GET,
                    url: &response.final_url,
                    request_headers,
                    status: response.status,
                    version: response.version,
                    response_headers: &response.headers,
                    body: &response.body,
                    wire: response.wire.as_ref().map(|wire| WireBody {
                        content_encoding: &wire.content_encoding,
                        bytes: &wire.bytes,
                    }),
                    started_at: *started_at,
                    elapsed: response.elapsed,
                    final_url: None,
                    requested_url: Some(requested_url),
                    redirects: &response.redirects,
                    attempt: *attempt,
                    purpose: purpose.as_str(),
                })
                .map(drop),
            RecordCommand::Failure {
                requested_url,
                attempt,
                purpose,
                kind,
                message,
                started_at,
                elapsed,
            } => writer
                .write_failure(&Failure {
                    requested_url,
                    attempt: *attempt,
                    purpose: purpose.as_str(),
                    kind,
                    message,
                    started_at: *started_at,
                    elapsed: *elapsed,
                })
                .map(drop),
        };
        if let Err(error) = written {
            note_failure(error);
        }
        unflushed += 1;
    }
    if let Err(error) = writer.sync() {
        failed += 1;
        tracing::warn!(%error, "the recording could not be synced");
    }
    failed + writer.lost_records()
}

/// Answers fetches from a recording.
pub(crate) struct Replayer {
    recording: Arc<Recording>,
    /// robots.txt groups are matched against it, as live.
    user_agent: String,
}

impl Replayer {
    pub(crate) fn open(dir: &std::path::Path, user_agent: &str) -> Result<Replayer, String> {
        let recording = Recording::open(dir, ReadLimits::default())
            .map_err(|error| format!("cannot open the recording {}: {error}", dir.display()))?;
        Ok(Replayer {
            recording: Arc::new(recording),
            user_agent: user_agent.to_owned(),
        })
    }

    async fn outcome(
        &self,
        url: &Url,
        attempt: u32,
        purpose: Purpose,
    ) -> (Result<Response, FetchError>, Duration) {
        let recording = self.recording.clone();
        let key = url.as_str().to_owned();
        let read = tokio::task::spawn_blocking(move || recording.outcome(&key, attempt)).await;
        let recorded = match read {
            Ok(Ok(recorded)) => recorded,
            Ok(Err(error)) => {
                let message = format!("the recording cannot be read: {error}");
                return (
                    Err(FetchError::replayed("recorded_failure", message)),
                    Duration::ZERO,
                );
            }
            Err(join_error) => {
                let message = format!("reading the recording failed: {join_error}");
                return (
                    Err(FetchError::replayed("recorded_failure", message)),
                    Duration::ZERO,
                );
            }
        };
        match recorded {
            None => {
                if purpose == Purpose::Page {
                    tracing::debug!(%url, "not in the recording");
                }
                (
                    Err(FetchError::NotRecorded {
                        url: url.to_string(),
                    }),
                    Duration::ZERO,
                )
            }
            Some(RecordedOutcome::Failure {
                kind,
                message,
                elapsed,
            }) => (
                Err(FetchError::replayed(&kind, message)),
                elapsed.unwrap_or_default(),
            ),
            Some(RecordedOutcome::Response(recorded)) => {
                let response = response_from_recorded(url, *recorded);
                let elapsed = response.elapsed;
                (Ok(response), elapsed)
            }
        }
    }
}

/// A recorded response as the fetcher would have returned it: the final
/// URL (the record's target), redirects, HTTP version and time as recorded.
pub(crate) fn response_from_recorded(requested: &Url, recorded: RecordedResponse) -> Response {
    let elapsed = recorded.elapsed().unwrap_or_default();
    let final_url = recorded
        .record
        .target_uri()
        .and_then(|target| Url::parse(target).ok())
        .unwrap_or_else(|| requested.clone());
    let redirects = recorded
        .redirects()
        .into_iter()
        .filter_map(|hop| Url::parse(hop).ok())
        .collect();
    let version = match recorded.http_version() {
        Some("HTTP/2.0") => Version::HTTP_2,
        Some("HTTP/1.0") => Version::HTTP_10,
        Some("HTTP/3.0") => Version::HTTP_3,
        _ => Version::HTTP_11,
    };
    Response {
        final_url,
        status: recorded.http.status,
        headers: recorded.http.headers,
        body: Bytes::from(recorded.http.body),
        redirects,
        version,
        elapsed,
        // The record's body was decoded by the reader; nothing replays the
        // wire form.
        wire: None,
    }
}
