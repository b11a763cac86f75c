//! The engine's control loop: four times a second it reads the process's
//! resident memory, the machine's CPU and how late the event loop ran this
//! very timer, hands memory and lag to
//! [`Pressure`](trawl_governor::pressure::Pressure) (which admits pages
//! against the memory ceiling), and lets each active run's controller adapt
//! the run's concurrency (`trawl_governor::adaptive`). Every change is a
//! `limit_changed` event of the run, with its reason.

use std::sync::Weak;
use std::time::Duration;

use trawl_events::Event;
use trawl_governor::adaptive::Signals;
use trawl_governor::resources::{CpuMeter, status_kib};

use crate::engine::Shared;
use crate::events::event_row;
use crate::lock;

/// How often the loop runs.
pub(crate) const CONTROL_INTERVAL: Duration = Duration::from_millis(250);

pub(crate) async fn run(shared: Weak<Shared>) {
    let mut interval = tokio::time::interval(CONTROL_INTERVAL);
    // `Delay` keeps each tick's schedule one interval after the last, so
    // how late a tick fires is the event loop's lag, not an accumulated debt.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cpu = CpuMeter::default();
    loop {
        let scheduled = interval.tick().await;
        let lag = tokio::time::Instant::now().saturating_duration_since(scheduled);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let pressure = shared.pressure();
        pressure.set_loop_lag(lag);
        if let Some(rss_bytes) = resident_bytes() {
            pressure.set_rss(rss_bytes);
        }
        let signals = Signals {
            memory_share: pressure.memory_share(),
            loop_lag: lag,
            cpu_share: cpu.busy_share(),
        };
        for (emitter, change) in shared.adapt_runs(std::time::Instant::now(), signals) {
            tracing::info!(
                run_id = emitter.run_id().0,
                from = change.from,
                to = change.to,
                reason = change.reason,
                rss_bytes = pressure.rss_bytes(),
                "run concurrency changed"
            );
            let envelope = emitter.emit(Event::LimitChanged {
                scope: "run".to_owned(),
                limit: "concurrency".to_owned(),
                from: change.from as u64,
                to: change.to as u64,
                reason: change.reason.to_owned(),
            });
            // Stored like any event outside a page; a failure to store a
            // limit change must not disturb the crawl it describes.
            if let Err(error) =
                lock(shared.store()).append_events(emitter.run_id(), &[event_row(&envelope)])
            {
                tracing::debug!(%error, "limit change not stored");
            }
        }
    }
}

/// This process's resident memory, from /proc (the one reading that must be
/// fresh: the memory ceiling is enforced against it).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(status_kib(&status, "VmRSS:")? * 1024)
}
