//! CPU time and peak memory of this process, and CPU time per thread of
//! another one, read from /proc (Linux).
//!
//! `getrusage` would need `unsafe` libc calls, which the workspace forbids;
//! /proc gives the same figures (parsed by `trawl_governor::resources`). On
//! other systems the figures are absent.

use trawl_governor::resources::{CLOCK_TICKS_PER_SEC, stat_cpu_ticks, status_kib};

/// CPU seconds (user, system) and peak resident set size.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Usage {
    pub user_secs: f64,
    pub system_secs: f64,
    pub peak_rss_bytes: u64,
}

/// Reads the current figures; `None` where /proc is not available.
pub fn current() -> Option<Usage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse(&stat, &status, CLOCK_TICKS_PER_SEC)
}

/// CPU seconds (user + system) of each live thread of process `pid`, keyed
/// by thread id, with the thread's name (cut to 15 bytes by Linux).
pub fn thread_cpu_secs(pid: u32) -> Vec<(u32, String, f64)> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let tid: u32 = task.file_name().to_str()?.parse().ok()?;
            // A thread may end between the listing and the read: skip it.
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_owned();
            let (user_ticks, system_ticks) = stat_cpu_ticks(&stat)?;
            Some((
                tid,
                name,
                (user_ticks + system_ticks) as f64 / CLOCK_TICKS_PER_SEC,
            ))
        })
        .collect()
}

fn parse(stat: &str, status: &str, ticks_per_sec: f64) -> Option<Usage> {
    let (user_ticks, system_ticks) = stat_cpu_ticks(stat)?;
    let peak_kib = status_kib(status, "VmHWM:")?;
    Some(Usage {
        user_secs: user_ticks as f64 / ticks_per_sec,
        system_secs: system_ticks as f64 / ticks_per_sec,
        peak_rss_bytes: peak_kib * 1024,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files_with_odd_command_names() {
        let stat = "4242 (tr (a) wl) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 4 0 100 1000 200";
        let status = "Name:\ttrawl\nVmPeak:\t  999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1000 kB\n";
        let usage = parse(stat, status, 100.0);
        assert_eq!(
            usage,
            Some(Usage {
                user_secs: 2.5,
                system_secs: 0.75,
                peak_rss_bytes: 2048 * 1024
            })
        );
    }

    #[test]
    fn threads_of_this_process_are_listed_with_names() {
        let threads = thread_cpu_secs(std::process::id());
        assert!(!threads.is_empty());
        assert!(threads.iter().all(|(_, _, secs)| *secs >= 0.0));
        assert!(thread_cpu_secs(u32::MAX).is_empty());
    }

    #[test]
    fn garbage_gives_none() {
        assert_eq!(parse("no parens here", "", 100.0), None);
        assert_eq!(parse("1 (x) S 1", "VmHWM: 10 kB", 100.0), None);
    }

    #[test]
    fn reads_this_process() {
        let usage = current();
        assert!(usage.is_some_and(|usage| usage.peak_rss_bytes > 0));
    }
}
