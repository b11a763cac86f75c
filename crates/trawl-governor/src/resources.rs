//! Readings of the resources the governor watches — this process's CPU,
//! resident memory and sockets, the machine's CPU and memory — from /proc.
//!
//! Hand-written rather than a crate (sysinfo, procfs): five small files are
//! read once a second, and both crates pull in far more than that. On a
//! system without /proc every figure is simply absent (`None`), never an
//! error: resource figures inform decisions, they must not stop a crawl.

use std::time::Instant;

/// Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream
/// architecture (it is fixed ABI, unlike the kernel's internal HZ).
pub const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// One reading, with CPU shares over the time since the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// 100 = one core busy with this process.
    pub process_cpu_percent: f64,
    /// 100 = every core busy.
    pub system_cpu_percent: f64,
    pub process_rss_bytes: u64,
    pub system_memory_used_bytes: u64,
    pub system_memory_total_bytes: u64,
    pub open_sockets: u64,
}

/// Turns successive /proc readings into [`Usage`] (CPU needs two readings).
#[derive(Debug, Default)]
pub struct ResourceSampler {
    previous: Option<CpuReading>,
}

#[derive(Debug, Clone, Copy)]
struct CpuReading {
    at: Instant,
    process_ticks: u64,
    system_busy_ticks: u64,
    system_total_ticks: u64,
}

impl ResourceSampler {
    /// Reads /proc now. `None` without /proc; CPU shares are 0 on the first call.
    pub fn sample(&mut self) -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let system_stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let (user_ticks, system_ticks) = stat_cpu_ticks(&stat)?;
        let (system_busy_ticks, system_total_ticks) =
            system_cpu_ticks(&system_stat).unwrap_or((0, 0));
        let reading = CpuReading {
            at: Instant::now(),
            process_ticks: user_ticks + system_ticks,
            system_busy_ticks,
            system_total_ticks,
        };
        let (process_cpu_percent, system_cpu_percent) = match self.previous {
            Some(previous) => cpu_shares(&previous, &reading),
            None => (0.0, 0.0),
        };
        self.previous = Some(reading);
        let total = status_kib(&meminfo, "MemTotal:").unwrap_or(0) * 1024;
        let available = status_kib(&meminfo, "MemAvailable:").unwrap_or(0) * 1024;
        Some(Usage {
            process_cpu_percent,
            system_cpu_percent,
            process_rss_bytes: status_kib(&status, "VmRSS:").unwrap_or(0) * 1024,
            system_memory_used_bytes: total.saturating_sub(available),
            system_memory_total_bytes: total,
            open_sockets: open_sockets(),
        })
    }
}

/// The machine's CPU busy share between successive readings of /proc/stat
/// (one file, cheap enough for the control loop's four readings a second).
#[derive(Debug, Default)]
pub struct CpuMeter {
    previous: Option<(u64, u64)>,
}

impl CpuMeter {
    /// 1.0 = every core busy since the last call; `None` on the first call
    /// or without /proc.
    pub fn busy_share(&mut self) -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        self.busy_share_of(&stat)
    }

    fn busy_share_of(&mut self, stat: &str) -> Option<f64> {
        let now = system_cpu_ticks(stat)?;
        busy_share(self.previous.replace(now)?, now)
    }
}

/// Busy ticks as a share of all ticks between two `(busy, total)` readings
/// of /proc/stat; `None` when no tick passed.
fn busy_share(previous: (u64, u64), now: (u64, u64)) -> Option<f64> {
    let elapsed = now.1.saturating_sub(previous.1);
    (elapsed > 0).then(|| now.0.saturating_sub(previous.0) as f64 / elapsed as f64)
}

/// The machine's physical memory (`MemTotal`), if /proc says.
pub fn total_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some(status_kib(&meminfo, "MemTotal:")? * 1024)
}

fn cpu_shares(previous: &CpuReading, now: &CpuReading) -> (f64, f64) {
    let wall_secs = now.at.duration_since(previous.at).as_secs_f64();
    let process = if wall_secs > 0.0 {
        now.process_ticks.saturating_sub(previous.process_ticks) as f64
            / CLOCK_TICKS_PER_SEC
            / wall_secs
            * 100.0
    } else {
        0.0
    };
    let system = busy_share(
        (previous.system_busy_ticks, previous.system_total_ticks),
        (now.system_busy_ticks, now.system_total_ticks),
    )
    .map_or(0.0, |share| share * 100.0);
    (process, system)
}

/// utime and stime (clock ticks) from a `/proc/PID/stat` line.
pub fn stat_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name, field 3 (state) comes first, so utime (14) is the 12th and stime (15) the 13th.
    let user = fields.nth(11)?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some((user, system))
}

/// A `Key:   123 kB` value from `/proc/PID/status` or `/proc/meminfo`, in KiB.
pub fn status_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// (busy, total) ticks of all CPUs from the first line of `/proc/stat`;
/// idle and iowait count as not busy.
fn system_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line
        .split_whitespace()
        .map(|value| value.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    if values.len() < 4 {
        return None;
    }
    let total: u64 = values.iter().take(8).sum();
    let idle = values[3] + values.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// File descriptors of this process that are sockets.
fn open_sockets() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_link(entry.path()).is_ok_and(|target| {
                target
                    .as_os_str()
                    .as_encoded_bytes()
                    .starts_with(b"socket:")
            })
        })
        .count() as u64
}

#[cfg(test)]
mod tests;
