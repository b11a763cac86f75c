//! The settings file: defaults, overrides, and errors that point at the line.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn the_default_file_parses_to_its_defaults_and_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let (config, created) = Config::load_or_create(dir.path()).unwrap();
    assert!(created);
    assert_eq!(config.engine.memory_limit.as_deref(), Some("auto"));
    assert_eq!(config.memory_limit(), None);
    assert_eq!(config.engine.max_requests, Some(512));
    assert_eq!(config.serve.port, Some(8640));
    assert_eq!(config.serve.max_concurrent_runs, Some(2));
    // A user's edit is kept.
    let path = Config::path(dir.path());
    std::fs::write(&path, "[engine]\nmemory_limit = \"2GiB\"\n").unwrap();
    let (config, created) = Config::load_or_create(dir.path()).unwrap();
    assert!(!created);
    assert_eq!(config.memory_limit(), Some(MemoryLimit::Bytes(2 << 30)));
    assert_eq!(config.serve, ServeSettings::default());
}

#[test]
fn mistakes_name_the_file_line_and_key() {
    let path = Path::new("/data/config.toml");
    let cases = [
        (
            "[engine]\nmemry_limit = \"1G\"\n",
            "/data/config.toml:2:1: unknown field `memry_limit`",
        ),
        (
            "[engine]\nmax_requests = \"many\"\n",
            "/data/config.toml:2:16: invalid type",
        ),
        ("[engine\n", "/data/config.toml:1:8"),
        (
            "[engine]\nmemory_limit = \"lots\"\n",
            "/data/config.toml: engine.memory_limit",
        ),
        (
            "[engine]\nmax_requests = 0\n",
            "engine.max_requests must be at least 1",
        ),
        ("[serve]\nport = 70000\n", "/data/config.toml:2:8"),
    ];
    for (text, expected) in cases {
        let error = format!("{:#}", Config::parse(text, path).unwrap_err());
        assert!(error.contains(expected), "{text:?}: {error}");
    }
}
