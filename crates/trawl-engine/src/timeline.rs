//! A run's timeline: its event log as positions to step through, with what
//! the crawl saw and decided at each one.
//!
//! A position is an event's `seq`, the run's logical clock. At a position
//! the timeline shows the event, the request and response it is about
//! (read from the recording the run was crawled or replayed from), and, at a
//! page's `page_extracted`, the items extraction produced (extracted again
//! from the recorded response with the run's spec: extraction is a pure
//! function of spec and page, so these are the items the run saw, before
//! the dataset's key de-duplication).
//!
//! Stepping happens after the fact, over a finished (or running) run's
//! stored log: a replay is deterministic, so moving over the log of a
//! replay *is* moving through the replay's execution, and it can go
//! backwards and jump, which pausing a live execution could not.
//! `play` runs forward until a breakpoint ([`Breakpoint`]) or the end.
//!
//! The timeline reads the store in short chunks and releases it in
//! between, so stepping through a long run never holds up the store's
//! other readers.

mod breakpoint;

use std::path::Path;
use std::sync::Mutex;

use trawl_events::{Envelope, Event, EventKind};
use trawl_extract::Extractor;
use trawl_record::{ReadLimits, RecordedOutcome, Recording};
use trawl_store::{EventQuery, EventRow, Store, StoreError};
use trawl_types::{Item, RunId};
use url::Url;

pub use breakpoint::{Breakpoint, BreakpointError};

use crate::events::decode_event;
use crate::source::response_from_recorded;
use crate::{lock, recording_dir};

/// Events read from the store at a time while playing.
const CHUNK: u64 = 256;

/// The most body text a frame carries (a frame is for reading; the
/// recording holds the whole body).
pub const MAX_FRAME_BODY_BYTES: usize = 256 * 1024;

/// Why a timeline cannot be opened or moved.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the spec of run {run_id} cannot be used to re-extract pages: {message}")]
    Spec { run_id: RunId, message: String },
}

/// A cursor over one run's events.
pub struct Timeline {
    run_id: RunId,
    /// The recording the run's responses came from: its own, or the
    /// original's for a replay. `None`: nothing was recorded.
    recording: Option<Recording>,
    /// The run's spec, compiled, to show a page's items; `None` for a run
    /// without one (an imported recording).
    extractor: Option<Extractor>,
    breakpoints: Vec<Breakpoint>,
    /// The current event's seq; 0 before the first.
    position: u64,
}

/// Everything known at one position.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The event's seq.
    pub position: u64,
    /// The run's last position at the time of reading.
    pub last: u64,
    pub event: Envelope,
    /// The request and what it got, for events about a fetch.
    pub exchange: Option<ExchangeView>,
    /// What extraction made of the page, for `page_extracted` and
    /// `item_dropped` events.
    pub extraction: Option<ExtractionView>,
    /// The breakpoints this event hits.
    pub breakpoints: Vec<String>,
}

/// One request and its recorded outcome.
#[derive(Debug, Clone)]
pub struct ExchangeView {
    pub method: &'static str,
    /// The URL requested (before redirects).
    pub url: String,
    /// Which attempt (0: the first); `None` for the last one, which is
    /// what the page's outcome and extraction came from.
    pub attempt: Option<u32>,
    pub outcome: ExchangeOutcome,
}

/// What a recorded fetch ended with.
#[derive(Debug, Clone)]
pub enum ExchangeOutcome {
    Response {
        status: u16,
        final_url: String,
        redirects: Vec<String>,
        elapsed_millis: u64,
        headers: Vec<(String, String)>,
        body_bytes: u64,
        /// The body as text (charset decoded), at most
        /// [`MAX_FRAME_BODY_BYTES`]; `None` for binary content.
        body: Option<String>,
        body_truncated: bool,
    },
    /// The fetch got no response: the error as recorded.
    Failure { kind: String, message: String },
    /// The recording cannot say (not recorded, or unreadable).
    Unavailable { reason: String },
}

/// A page's extraction, redone from the recording with the run's spec.
#[derive(Debug, Clone)]
pub struct ExtractionView {
    pub items: Vec<Item>,
    pub items_dropped: u64,
    pub warnings: Vec<String>,
    /// The links the follow rules found (resolved; before the frontier's
    /// allow, deny, domain and depth rules).
    pub links: Vec<String>,
}

/// How a [`Timeline::play`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayEnd {
    /// At an event that hits a breakpoint.
    Breakpoint,
    /// At the last event: nothing further.
    End,
    /// After the number of events it was allowed to move.
    Budget,
}

impl Timeline {
    /// Opens the timeline of `run_id` before its first event. `store_path`
    /// locates recordings (they live next to the store).
    pub fn open(
        store: &Store,
        store_path: &Path,
        run_id: RunId,
    ) -> Result<Timeline, TimelineError> {
        let record = store.run(run_id)?;
        let source = store.run_source(run_id)?;
        let recording_run = source.replay_of.unwrap_or(run_id);
        let dir = recording_dir(store_path, recording_run);
        let recording = trawl_record::has_recording(&dir)
            .then(|| Recording::open(&dir, ReadLimits::default()).ok())
            .flatten();
        let extractor = if record.spec_toml.trim().is_empty() {
            None
        } else {
            let spec = trawl_spec::parse(&record.spec_toml, &format!("spec of run {run_id}"))
                .map_err(|error| TimelineError::Spec {
                    run_id,
                    message: error.to_string(),
                })?;
            Some(
                Extractor::build(&spec.spec).map_err(|error| TimelineError::Spec {
                    run_id,
                    message: error.to_string(),
                })?,
            )
        };
        Ok(Timeline {
            run_id,
            recording,
            extractor,
            breakpoints: Vec::new(),
            position: 0,
        })
    }

    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The current event's seq (0: before the first).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Whether responses can be shown (the run, or the run it replays,
    /// was recorded).
    pub fn has_recording(&self) -> bool {
        self.recording.is_some()
    }

    pub fn breakpoints(&self) -> &[Breakpoint] {
        &self.breakpoints
    }

    pub fn set_breakpoints(&mut self, breakpoints: Vec<Breakpoint>) {
        self.breakpoints = breakpoints;
    }

    /// The frame at the current position (`None` before the first event).
    pub fn current(&self, store: &Mutex<Store>) -> Result<Option<Frame>, TimelineError> {
        if self.position == 0 {
            return Ok(None);
        }
        let (row, last) = {
            let store = lock(store);
            let rows = store.events(
                self.run_id,
                &EventQuery {
                    after_seq: self.position - 1,
                    limit: 1,
                    ..EventQuery::default()
                },
            )?;
            (rows.into_iter().next(), store.last_event_seq(self.run_id)?)
        };
        Ok(row
            .and_then(|row| decode_event(self.run_id, &row).ok())
            .map(|envelope| self.frame(envelope, last)))
    }

    /// Moves to the next event (of one of `kinds`, when given). At the end,
    /// stays and returns `None`.
    pub fn step(
        &mut self,
        store: &Mutex<Store>,
        kinds: &[EventKind],
    ) -> Result<Option<Frame>, TimelineError> {
        let kinds: Vec<String> = kinds.iter().map(|kind| kind.as_str().to_owned()).collect();
        let mut after = self.position;
        loop {
            let (rows, last) = self.read_after(store, after, &kinds, 1)?;
            let Some(row) = rows.into_iter().next() else {
                return Ok(None);
            };
            after = row.seq;
            // A row this build cannot decode (from a newer trawl) is passed over.
            if let Ok(envelope) = decode_event(self.run_id, &row) {
                self.position = row.seq;
                return Ok(Some(self.frame(envelope, last)));
            }
        }
    }

    /// Moves to the previous event; before the first, to position 0
    /// (returns `None`).
    pub fn step_back(&mut self, store: &Mutex<Store>) -> Result<Option<Frame>, TimelineError> {
        let mut before = self.position;
        loop {
            let (row, last) = {
                let store = lock(store);
                (
                    store.event_before(self.run_id, before)?,
                    store.last_event_seq(self.run_id)?,
                )
            };
            let Some(row) = row else {
                self.position = 0;
                return Ok(None);
            };
            before = row.seq;
            if let Ok(envelope) = decode_event(self.run_id, &row) {
                self.position = row.seq;
                return Ok(Some(self.frame(envelope, last)));
            }
        }
    }

    /// Moves to the first event at or after `position` (the last event when
    /// there is none; position 0 is before the first event).
    pub fn seek(
        &mut self,
        store: &Mutex<Store>,
        position: u64,
    ) -> Result<Option<Frame>, TimelineError> {
        if position == 0 {
            self.position = 0;
            return Ok(None);
        }
        self.position = position - 1;
        match self.step(store, &[])? {
            Some(frame) => Ok(Some(frame)),
            None => {
                self.position = u64::MAX;
                self.step_back(store)
            }
        }
    }

    /// Moves forward until an event hits a breakpoint, the last event, or
    /// `budget` events (0: no limit), whichever comes first, and returns
    /// the frame there (`None` when it did not move).
    pub fn play(
        &mut self,
        store: &Mutex<Store>,
        budget: u64,
    ) -> Result<(Option<Frame>, PlayEnd), TimelineError> {
        let mut moved = 0_u64;
        let mut at: Option<(Envelope, u64)> = None;
        loop {
            let limit = match budget {
                0 => CHUNK,
                budget => CHUNK.min(budget - moved),
            };
            let (rows, last) = self.read_after(store, self.position, &[], limit)?;
            if rows.is_empty() {
                let frame = at.map(|(envelope, last)| self.frame(envelope, last));
                return Ok((frame, PlayEnd::End));
            }
            for row in rows {
                self.position = row.seq;
                let Ok(envelope) = decode_event(self.run_id, &row) else {
                    continue;
                };
                moved += 1;
                if self.hits(&envelope.event, None).next().is_some() {
                    return Ok((Some(self.frame(envelope, last)), PlayEnd::Breakpoint));
                }
                if budget != 0 && moved >= budget {
                    return Ok((Some(self.frame(envelope, last)), PlayEnd::Budget));
                }
                at = Some((envelope, last));
            }
        }
    }

    /// Up to `limit` rows after `after` (of `kinds`), and the last seq.
    fn read_after(
        &self,
        store: &Mutex<Store>,
        after: u64,
        kinds: &[String],
        limit: u64,
    ) -> Result<(Vec<EventRow>, u64), TimelineError> {
        let store = lock(store);
        let rows = store.events(
            self.run_id,
            &EventQuery {
                after_seq: after,
                kinds: kinds.to_vec(),
                limit,
                ..EventQuery::default()
            },
        )?;
        Ok((rows, store.last_event_seq(self.run_id)?))
    }

    /// The breakpoints `event` hits. The page's items are `items` when the
    /// caller has extracted them already, else extracted once, and only
    /// when an item breakpoint asks for them.
    fn hits<'a>(
        &'a self,
        event: &'a Event,
        mut items: Option<Vec<Item>>,
    ) -> impl Iterator<Item = &'a Breakpoint> + 'a {
        self.breakpoints.iter().filter(move |breakpoint| {
            breakpoint.hits(event, &mut || {
                items
                    .get_or_insert_with(|| {
                        event
                            .url()
                            .and_then(|url| self.extraction(url))
                            .map(|extraction| extraction.items)
                            .unwrap_or_default()
                    })
                    .clone()
            })
        })
    }

    fn frame(&self, event: Envelope, last: u64) -> Frame {
        let exchange = exchange_of(&event.event).and_then(|(url, attempt)| {
            let recording = self.recording.as_ref()?;
            Some(ExchangeView {
                method: "GET",
                url: url.to_owned(),
                attempt,
                outcome: recorded_outcome(recording, url, attempt),
            })
        });
        let extraction = match &event.event {
            Event::PageExtracted { url, .. } | Event::ItemDropped { url, .. } => {
                self.extraction(url)
            }
            _ => None,
        };
        let items = extraction
            .as_ref()
            .map(|extraction| extraction.items.clone());
        let breakpoints = self
            .hits(&event.event, items)
            .map(|breakpoint| breakpoint.text().to_owned())
            .collect();
        Frame {
            position: event.seq,
            last,
            event,
            exchange,
            extraction,
            breakpoints,
        }
    }

    /// The page at `url` extracted again from its recorded response.
    fn extraction(&self, url: &str) -> Option<ExtractionView> {
        let (recording, extractor) = (self.recording.as_ref()?, self.extractor.as_ref()?);
        let requested = Url::parse(url).ok()?;
        let Ok(Some(RecordedOutcome::Response(recorded))) = recording.outcome(url, u32::MAX) else {
            return None;
        };
        let response = response_from_recorded(&requested, *recorded);
        let decoded = response.decode_text();
        let extracted = extractor.extract(&response.final_url, &decoded.text);
        let (links, _) = extracted.resolved_links(&response.final_url);
        Some(ExtractionView {
            items: extracted.items,
            items_dropped: extracted.dropped_items,
            warnings: extracted.warnings.iter().map(ToString::to_string).collect(),
            links: links.into_iter().map(String::from).collect(),
        })
    }
}

/// The URL and attempt an event's exchange is found under: the attempt
/// that started or failed for `request_started`/`request_retried`, the
/// last one (`None`) for a page's final outcome and extraction.
fn exchange_of(event: &Event) -> Option<(&str, Option<u32>)> {
    match event {
        Event::RequestStarted { url, attempt } => Some((url, Some(*attempt))),
        Event::RequestRetried { url, attempt, .. } => Some((url, Some(attempt.saturating_sub(1)))),
        Event::RequestFetched { url, .. }
        | Event::RequestFailed { url, .. }
        | Event::PageExtracted { url, .. }
        | Event::ItemDropped { url, .. } => Some((url, None)),
        Event::WarningRaised { url: Some(url), .. } => Some((url, None)),
        _ => None,
    }
}

fn recorded_outcome(recording: &Recording, url: &str, attempt: Option<u32>) -> ExchangeOutcome {
    let Ok(requested) = Url::parse(url) else {
        return ExchangeOutcome::Unavailable {
            reason: format!("`{url}` is not a URL"),
        };
    };
    match recording.outcome(url, attempt.unwrap_or(u32::MAX)) {
        Ok(None) => ExchangeOutcome::Unavailable {
            reason: "not in the recording".to_owned(),
        },
        Err(error) => ExchangeOutcome::Unavailable {
            reason: format!("the recording cannot be read: {error}"),
        },
        Ok(Some(RecordedOutcome::Failure { kind, message, .. })) => {
            ExchangeOutcome::Failure { kind, message }
        }
        Ok(Some(RecordedOutcome::Response(recorded))) => {
            let response = response_from_recorded(&requested, *recorded);
            let headers = response
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let (body, body_truncated) = if response.looks_binary() {
                (None, false)
            } else {
                let text = response.decode_text().text;
                let cut = text.floor_char_boundary(MAX_FRAME_BODY_BYTES);
                (Some(text[..cut].to_owned()), cut < text.len())
            };
            ExchangeOutcome::Response {
                status: response.status,
                final_url: response.final_url.to_string(),
                redirects: response.redirects.iter().map(Url::to_string).collect(),
                elapsed_millis: u64::try_from(response.elapsed.as_millis()).unwrap_or(u64::MAX),
                headers,
                body_bytes: response.body.len() as u64,
                body,
                body_truncated,
            }
        }
    }
}
