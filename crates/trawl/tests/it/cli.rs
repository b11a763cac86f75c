//! Spec checking, schema, help and error paths of the CLI.

use serde_json::Value;

use super::*;

#[test]
fn examples_are_valid_specs() {
    let trawl = Trawl::default();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let (stdout, _) = trawl.expect(&["spec", "check", str_path(&path)], 0);
            assert!(stdout.contains(": ok"), "{stdout}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} examples found");
}

#[test]
fn invalid_spec_reports_every_problem_with_line_and_exits_2() {
    let trawl = Trawl::default();
    let spec = trawl.write(
        "bad.toml",
        "start_urls = [\"ftp://example.com/\"]\n\n[follow]\nallow = [\"(unclosed\"]\n\n[[extract]]\nkey = \"nope\"\nfields.title = \"h1\"\n",
    );
    let (stdout, _) = trawl.expect(&["spec", "check", str_path(&spec), "--json"], 2);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], false);
    let problems = report["problems"].as_array().unwrap();
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&1), "url problem on line 1: {problems:?}");
    assert!(lines.contains(&4), "regex problem on line 4: {problems:?}");
    assert!(lines.contains(&7), "key problem on line 7: {problems:?}");

    // The human report names the file and line too, and `run` refuses the spec.
    let (_, stderr) = trawl.expect(&["spec", "check", str_path(&spec)], 2);
    assert!(stderr.contains("bad.toml"), "{stderr}");
    let (_, stderr) = trawl.expect(&["run", str_path(&spec)], 2);
    assert!(stderr.contains("bad.toml"), "{stderr}");
}

#[test]
fn toml_syntax_error_points_at_the_line() {
    let trawl = Trawl::default();
    let spec = trawl.write(
        "syntax.toml",
        "name = \"x\"\nstart_urls = [\"http://a.test/\"\n",
    );
    let (stdout, _) = trawl.expect(&["spec", "check", str_path(&spec), "--json"], 2);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let line = report["problems"][0]["line"].as_u64().unwrap();
    assert!((2..=3).contains(&line), "line {line}");
}

#[test]
fn missing_spec_file_is_a_clear_error() {
    let trawl = Trawl::default();
    let (_, stderr) = trawl.expect(&["spec", "check", "/nonexistent/books.toml"], 2);
    assert!(stderr.contains("/nonexistent/books.toml"), "{stderr}");
}

#[test]
fn schema_is_json_schema_with_documented_keys() {
    let trawl = Trawl::default();
    let (stdout, _) = trawl.expect(&["spec", "schema"], 0);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap()
            .contains("json-schema.org")
    );
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "start_urls",
        "sitemaps",
        "allowed_domains",
        "follow",
        "extract",
        "request",
        "politeness",
        "sinks",
    ] {
        assert!(properties.contains_key(key), "schema lacks {key}");
    }
}

#[test]
fn runs_on_an_empty_store_says_what_to_do() {
    let trawl = Trawl::default();
    let (stdout, _) = trawl.expect(&["runs"], 0);
    assert!(stdout.contains("trawl demo"), "{stdout}");
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        Value::Array(vec![])
    );
    let (_, stderr) = trawl.expect(&["export", "42", "-o", str_path(&trawl.path("x.jsonl"))], 1);
    assert!(stderr.contains("42"), "{stderr}");
}

#[test]
fn help_explains_commands() {
    let trawl = Trawl::default();
    let (stdout, _) = trawl.expect(&["--help"], 0);
    for command in [
        "demo", "run", "resume", "runs", "items", "export", "spec", "bench",
    ] {
        assert!(stdout.contains(command), "--help lacks {command}");
    }
    let (stdout, _) = trawl.expect(&["export", "--help"], 0);
    assert!(stdout.contains("parquet"), "{stdout}");
}

/// `trawl bench --json` on a 60-product shop of 4 KB pages, with `extra`
/// arguments; its report.
fn small_bench(extra: &[&str]) -> Value {
    let trawl = Trawl::default();
    let mut args = vec![
        "bench",
        "--products",
        "60",
        "--page-bytes",
        "4000",
        "--json",
    ];
    args.extend_from_slice(extra);
    let (stdout, stderr) = trawl.expect(&args, 0);
    serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!("bench --json printed no JSON ({error}): {stdout}\n{stderr}")
    })
}

/// The ceiling brackets each crawl: wrk (a real one) measures the fixture
/// server right before and right after it, and the ratio is against the mean.
#[test]
fn bench_measures_the_ceiling_before_and_after_each_crawl() {
    let report = small_bench(&["--wrk-secs", "2"]);
    let round = &report["rounds"][0];
    let before = round["ceiling_before_requests_per_sec"].as_f64().unwrap();
    let after = round["ceiling_after_requests_per_sec"].as_f64().unwrap();
    assert!(before > 0.0 && after > 0.0, "{report}");
    let ceiling = report["server_ceiling_requests_per_sec"].as_f64().unwrap();
    assert!((ceiling - (before + after) / 2.0).abs() < 1e-6, "{report}");
    let ratio = report["ratio_of_ceiling"].as_f64().unwrap();
    let pages_per_sec = report["pages_per_sec"].as_f64().unwrap();
    assert!((ratio - pages_per_sec / ceiling).abs() < 1e-9, "{report}");
}

/// The benchmark end to end on a small shop: the crawl figures, and the
/// checkpoint comparison, whose "off" side runs `trawl run --no-checkpoints`
/// (and must crawl the same pages).
#[test]
fn bench_reports_figures_and_the_cost_of_checkpoints() {
    let report = small_bench(&["--wrk-secs", "0", "--rounds", "3", "--checkpoint-cost"]);
    assert_eq!(report["items"], 60, "{report}");
    assert!(report["pages"].as_u64().unwrap() > 60, "{report}");
    assert!(report["cpu_secs_per_1000_pages"].as_f64().unwrap() > 0.0);
    // Three rounds listed; the figures are the median one's.
    let rounds = report["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3, "{report}");
    let mut rates: Vec<f64> = rounds
        .iter()
        .map(|round| round["pages_per_sec"].as_f64().unwrap())
        .collect();
    rates.sort_by(f64::total_cmp);
    assert_eq!(
        report["pages_per_sec"].as_f64().unwrap(),
        rates[1],
        "{report}"
    );
    let cost = &report["checkpoint_cost"];
    assert_eq!(cost["rounds"], 7, "{report}");
    assert_eq!(
        cost["throughput_cost_per_round"].as_array().unwrap().len(),
        7
    );
    for field in ["pages_per_sec_with", "pages_per_sec_without"] {
        assert!(cost[field].as_f64().unwrap() > 0.0, "{field}: {report}");
    }
    assert!(cost["throughput_cost"].is_number(), "{report}");
    // Without a server to measure, there is no ratio to report.
    assert!(report["ratio_of_ceiling"].is_null(), "{report}");
}
