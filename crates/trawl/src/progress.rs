//! Live progress of a run on stderr: an indicatif bar on a terminal, plain
//! lines every few seconds otherwise (CI, pipes), nothing with --quiet.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;
use trawl_engine::{Progress, ProgressSnapshot};

/// How often plain progress lines are printed without a terminal.
const PLAIN_INTERVAL: Duration = Duration::from_secs(5);

pub struct ProgressView {
    stop: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ProgressView {
    /// Starts drawing; `quiet` draws nothing.
    pub fn start(progress: Arc<Progress>, label: String, quiet: bool) -> ProgressView {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            if quiet {
                let _ = stopped.changed().await;
                return;
            }
            let terminal = crate::output::stderr_is_terminal();
            let bar = terminal.then(|| {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix} [{elapsed_precise}] {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(label.clone());
                bar
            });
            let started = Instant::now();
            let mut last_plain = Instant::now();
            let mut ticker = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stopped.changed() => break,
                }
                let snapshot = progress.snapshot();
                let message = describe(&snapshot, started.elapsed());
                match &bar {
                    Some(bar) => {
                        bar.set_message(message);
                        bar.tick();
                    }
                    None if last_plain.elapsed() >= PLAIN_INTERVAL => {
                        last_plain = Instant::now();
                        eprintln!("{label}: {message}");
                    }
                    None => {}
                }
            }
            match bar {
                Some(bar) => bar.finish_and_clear(),
                // Without a terminal, always leave a last line with the final counts.
                None => eprintln!(
                    "{label}: {}",
                    describe(&progress.snapshot(), started.elapsed())
                ),
            }
        });
        ProgressView { stop, task }
    }

    pub async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// "pages 1200 (3 errors) · items 980 · queued 40 · in flight 32 · 812.3 pages/s"
pub fn describe(snapshot: &ProgressSnapshot, elapsed: Duration) -> String {
    let rate = snapshot.pages_done() as f64 / elapsed.as_secs_f64().max(0.001);
    format!(
        "pages {} ({} errors) · items {} · queued {} · in flight {} · {:.1} pages/s",
        snapshot.pages_done(),
        snapshot.pages_failed,
        snapshot.items_stored,
        snapshot.queued,
        snapshot.in_flight,
        rate
    )
}
