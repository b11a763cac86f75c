//! /proc parsing on real and hostile input.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn stat_lines_with_odd_command_names() {
    let stat = "4242 (tr (a) wl) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 4 0 100 1000 200";
    assert_eq!(stat_cpu_ticks(stat), Some((250, 75)));
    assert_eq!(stat_cpu_ticks("no parens here"), None);
    assert_eq!(stat_cpu_ticks("1 (x) S 1"), None);
    assert_eq!(stat_cpu_ticks("1 (x) S 1 2 3 4 5 6 7 8 9 10 x y"), None);
}

#[test]
fn status_values_in_kib() {
    let status = "Name:\ttrawl\nVmHWM:\t   2048 kB\nVmRSS:\t 1000 kB\n";
    assert_eq!(status_kib(status, "VmRSS:"), Some(1000));
    assert_eq!(status_kib(status, "VmHWM:"), Some(2048));
    assert_eq!(status_kib(status, "VmSwap:"), None);
    assert_eq!(status_kib("VmRSS: lots", "VmRSS:"), None);
}

#[test]
fn system_cpu_counts_idle_and_iowait_as_not_busy() {
    let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
    assert_eq!(system_cpu_ticks(stat), Some((150, 1000)));
    assert_eq!(system_cpu_ticks("cpu0 1 2 3 4"), None);
    assert_eq!(system_cpu_ticks("cpu  1 2"), None);
    assert_eq!(system_cpu_ticks(""), None);
}

#[test]
fn cpu_shares_from_two_readings() {
    let at = Instant::now();
    let previous = CpuReading {
        at,
        process_ticks: 100,
        system_busy_ticks: 1000,
        system_total_ticks: 4000,
    };
    let now = CpuReading {
        at: at + std::time::Duration::from_secs(2),
        process_ticks: 250,
        system_busy_ticks: 1200,
        system_total_ticks: 4400,
    };
    let (process, system) = cpu_shares(&previous, &now);
    assert!((process - 75.0).abs() < 1e-9, "{process}");
    assert!((system - 50.0).abs() < 1e-9, "{system}");
    // A clock that did not move or counters that went back give 0, not NaN.
    assert_eq!(cpu_shares(&now, &now), (0.0, 0.0));
}

#[test]
fn samples_this_process() {
    let mut sampler = ResourceSampler::default();
    let first = sampler.sample().unwrap();
    assert!(first.process_rss_bytes > 0);
    assert!(first.system_memory_total_bytes >= first.system_memory_used_bytes);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let second = sampler.sample().unwrap();
    assert!(second.open_sockets >= 1);
    drop(listener);
}

#[test]
fn the_cpu_meter_measures_between_readings() {
    let mut meter = CpuMeter::default();
    // user nice system idle iowait ...
    assert_eq!(
        meter.busy_share_of("cpu  100 0 100 800 0 0 0 0 0 0\n"),
        None
    );
    // 150 busy and 50 idle ticks since: 75% busy.
    assert_eq!(
        meter.busy_share_of("cpu  200 0 150 850 0 0 0 0 0 0\n"),
        Some(0.75)
    );
    // No ticks passed, or a garbled file: no reading.
    assert_eq!(
        meter.busy_share_of("cpu  200 0 150 850 0 0 0 0 0 0\n"),
        None
    );
    assert_eq!(meter.busy_share_of("garbage"), None);
}
