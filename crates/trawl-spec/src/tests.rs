//! Spec parsing and diagnostics as a user meets them: exact messages, lines,
//! columns and help for broken specs, and the schema editors receive.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use expect_test::{Expect, expect};
use indexmap::IndexMap;

use super::*;

/// The plain one-line-per-problem output for `source`, or "ok".
fn problems_of(source: &str) -> String {
    match parse(source, "books.toml") {
        Ok(_) => "ok".to_owned(),
        Err(SpecError::Invalid(diagnostics)) => diagnostics.to_string(),
        Err(other) => format!("unexpected error: {other}"),
    }
}

fn check(source: &str, expected: Expect) {
    expected.assert_eq(&problems_of(source));
}

fn diagnostics_of(source: &str) -> SpecDiagnostics {
    match parse(source, "books.toml") {
        Err(SpecError::Invalid(diagnostics)) => diagnostics,
        Ok(_) => panic!("spec unexpectedly valid"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

const REALISTIC_SPEC: &str = r##"
name = "books"
start_urls = ["https://books.example/catalogue/page-1.html"]
sitemaps = ["https://books.example/sitemap.xml"]
allowed_domains = ["books.example", "cdn.books.example", "127.0.0.1", "[::1]"]

[follow]
selectors = ["a[href]", "li.next > a"]
allow = ['/catalogue/']
deny = ['/logout', '\?sort=']
max_depth = 5
max_pages = 1000
sort_query = true

[[extract]]
name = "book"
url = '/catalogue/[^/]+/index\.html$'
root = "article.product_page"
key = "upc"
fields.title = "h1"
fields.upc = "table tr:nth-child(1) td"
fields.price = { selector = ".price_color", regex = '([\d.]+)', type = "number", required = true }
fields.in_stock = { selector = ".availability", regex = '(\d+) available', type = "integer", default = 0 }
fields.image = { selector = "#product_gallery img", attr = "src", type = "url" }
fields.tags = { selector = "ul.tags li", list = true }
fields.published = { selector = "time", attr = "datetime", type = "date", format = "%d %B %Y" }
fields.description = { selector = "#content_inner article > p", mode = "html" }
fields.page_id = { source = "url", regex = 'page-(\d+)', type = "integer" }

[[extract]]
name = "category"
url = '/category/'
fields.name = "div.page-header h1"

[request]
user_agent = "booksbot/1.0 (+https://example.com/bot)"
headers = { Accept-Language = "en", Authorization = { env = "BOOKS_TOKEN" } }
cookies = { session = "abc" }
connect_timeout_secs = 5
first_byte_timeout_secs = 7.5
timeout_secs = 30
max_body_bytes = 4194304
max_redirects = 5
retries = 2
retry_base_millis = 250
max_retry_after_secs = 60
proxy = "socks5h://127.0.0.1:1080"

[politeness]
concurrency = 16
per_host_concurrency = 4
per_host_rate = 2.5
obey_robots = false

[[sinks]]
type = "jsonl"
path = "out/books.jsonl"

[[sinks]]
type = "csv"
path = "out/books.csv"

[[sinks]]
type = "parquet"
path = "out/books.parquet"
"##;

#[test]
fn minimal_spec_gets_every_default() {
    let source = "start_urls = [\"https://example.com/\"]\n";
    let loaded = parse(source, "min.toml").unwrap();
    let expected = Spec {
        name: "crawl".to_owned(),
        start_urls: vec!["https://example.com/".to_owned()],
        sitemaps: Vec::new(),
        allowed_domains: Vec::new(),
        follow: FollowRules {
            selectors: vec!["a[href]".to_owned()],
            allow: Vec::new(),
            deny: Vec::new(),
            max_depth: 1000,
            max_pages: 0,
            sort_query: false,
        },
        extract: Vec::new(),
        request: RequestSettings {
            user_agent: "trawl/0.0.0 (+https://trawl.invalid/bot)".to_owned(),
            headers: BTreeMap::new(),
            cookies: BTreeMap::new(),
            connect_timeout_secs: 10.0,
            first_byte_timeout_secs: 20.0,
            timeout_secs: 60.0,
            max_body_bytes: 16_777_216,
            max_redirects: 10,
            retries: 3,
            retry_base_millis: 500,
            max_retry_after_secs: 120,
            proxy: None,
        },
        politeness: Politeness {
            concurrency: 32,
            per_host_concurrency: 8,
            per_host_rate: 0.0,
            per_host_burst: 1,
            obey_robots: true,
        },
        sinks: Vec::new(),
        event_log: true,
        record: false,
    };
    assert_eq!(loaded.spec, expected);
    assert_eq!(loaded.source, source);
    assert_eq!(loaded.path, None);
    assert_eq!(
        loaded.hash,
        "b89f4afec6e2cadbb01b6fea4546e5cfaf034f0597aa77aea6292fe36f12d631"
    );
}

#[test]
fn realistic_spec_parses_every_section() {
    let spec = parse(REALISTIC_SPEC, "books.toml").unwrap().spec;
    assert_eq!(spec.name, "books");
    assert_eq!(
        spec.allowed_domains,
        ["books.example", "cdn.books.example", "127.0.0.1", "[::1]"]
    );
    assert_eq!(spec.follow.deny, ["/logout", "\\?sort="]);
    assert_eq!(spec.follow.max_depth, 5);
    assert!(spec.follow.sort_query);

    let book = &spec.extract[0];
    assert_eq!(book.key.as_deref(), Some("upc"));
    let field_names: Vec<&str> = book.fields.keys().map(String::as_str).collect();
    assert_eq!(
        field_names,
        [
            "title",
            "upc",
            "price",
            "in_stock",
            "image",
            "tags",
            "published",
            "description",
            "page_id"
        ]
    );
    assert_eq!(book.fields["title"], FieldRule::Selector("h1".to_owned()));
    assert_eq!(
        book.fields["price"],
        FieldRule::Full(FieldSpec {
            selector: Some(".price_color".to_owned()),
            regex: Some("([\\d.]+)".to_owned()),
            value_type: ValueType::Number,
            required: true,
            ..FieldSpec::default()
        })
    );
    assert_eq!(
        book.fields["in_stock"].to_full().default,
        Some(serde_json::json!(0))
    );
    assert_eq!(book.fields["page_id"].to_full().source, FieldSource::Url);
    assert_eq!(
        book.fields["description"].to_full().mode,
        Some(FieldMode::Html)
    );

    let mut headers = BTreeMap::new();
    headers.insert(
        "Accept-Language".to_owned(),
        HeaderRule::Text("en".to_owned()),
    );
    headers.insert(
        "Authorization".to_owned(),
        HeaderRule::Table(HeaderTable {
            env: Some("BOOKS_TOKEN".to_owned()),
            ..HeaderTable::default()
        }),
    );
    assert_eq!(spec.request.headers, headers);
    assert_eq!(spec.request.connect_timeout_secs, 5.0);
    assert_eq!(spec.request.first_byte_timeout_secs, 7.5);
    assert_eq!(
        spec.request.proxy.as_deref(),
        Some("socks5h://127.0.0.1:1080")
    );
    assert_eq!(spec.politeness.per_host_rate, 2.5);
    assert!(!spec.politeness.obey_robots);
    let sinks: Vec<(SinkFormat, &str)> = spec
        .sinks
        .iter()
        .map(|sink| (sink.format, sink.path.as_str()))
        .collect();
    assert_eq!(
        sinks,
        [
            (SinkFormat::Jsonl, "out/books.jsonl"),
            (SinkFormat::Csv, "out/books.csv"),
            (SinkFormat::Parquet, "out/books.parquet")
        ]
    );
}

#[test]
fn load_reads_the_file_and_remembers_its_path() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("books.toml");
    std::fs::write(&path, REALISTIC_SPEC).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.path.as_deref(), Some(path.as_path()));
    assert_eq!(loaded.source, REALISTIC_SPEC);
    assert_eq!(loaded.spec.extract.len(), 2);
}

#[test]
fn load_names_a_missing_file() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("missing.toml");
    let error = load(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot read spec file {}", path.display())
    );
    let SpecError::Io { source, .. } = error else {
        panic!("expected an io error, got {error:?}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn invalid_spec_names_the_file_it_was_loaded_from() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("broken.toml");
    std::fs::write(
        &path,
        "start_urls = [\"https://a.example/\"]\n[follow]\nmax_depht = 3\n",
    )
    .unwrap();
    let SpecError::Invalid(diagnostics) = load(&path).unwrap_err() else {
        panic!("expected invalid spec");
    };
    assert_eq!(diagnostics.origin, path.display().to_string());
}

#[test]
fn toml_syntax_error_has_line_and_column() {
    check(
        "name = \"books\"\nstart_urls = [\"https://a.example/\"\n  \"https://b.example/\"]\n",
        expect![
            "books.toml:3:3: start_urls[1]: invalid TOML: missing comma between array elements, expected `,` (help: see https://toml.io/en/v1.0.0 for the TOML syntax)"
        ],
    );
    check(
        "name = books\n",
        expect![[
            r#"books.toml:1:8: name: invalid TOML: string values must be quoted, expected literal string (help: put text values in quotes: `name = "books"`)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[follow]\nallow = [\"\\d+\"]\n",
        expect![[
            r#"books.toml:3:12: follow.allow[0]: invalid TOML: missing escaped value, expected `b`, `e`, `f`, `n`, `r`, `\`, `"`, `x`, `u`, `U` (help: in double-quoted strings a backslash starts an escape; write regexes and Windows paths in single quotes: '\d+')"#
        ]],
    );
}

#[test]
fn unknown_key_suggests_the_nearest_allowed_key() {
    check(
        "start_urls = [\"https://a.example/\"]\n\n[follow]\nmax_depht = 3\n",
        expect![
            "books.toml:4:1: follow.max_depht: unknown key `max_depht` (help: did you mean `max_depth`?)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\nmax_depth = 3\n",
        expect![
            "books.toml:2:1: max_depth: unknown key `max_depth` (help: `max_depth` belongs in the `[follow]` table)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[request]\nbanana = 3\n",
        expect![
            "books.toml:3:1: request.banana: unknown key `banana` (help: remove it; allowed keys here: `user_agent`, `headers`, `cookies`, `connect_timeout_secs`, `first_byte_timeout_secs`, `timeout_secs`, `max_body_bytes`, `max_redirects`, `retries`, `retry_base_millis`, `max_retry_after_secs`, `proxy`)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.price = { selectr = \".p\" }\n",
        expect![
            "books.toml:3:18: extract[0].fields.price.selectr: unknown key `selectr` (help: did you mean `selector`?)"
        ],
    );
}

#[test]
fn unknown_key_problem_has_exact_location() {
    let diagnostics =
        diagnostics_of("start_urls = [\"https://a.example/\"]\n\n[follow]\nmax_depht = 3\n");
    assert_eq!(
        diagnostics.problems,
        [Problem {
            message: "unknown key `max_depht`".to_owned(),
            help: Some("did you mean `max_depth`?".to_owned()),
            span: Some(46..55),
            line: 4,
            column: 1,
            key_path: "follow.max_depht".to_owned(),
        }]
    );
}

#[test]
fn wrong_type_says_what_was_expected() {
    check(
        "start_urls = \"https://a.example/\"\n",
        expect![[
            r#"books.toml:1:14: start_urls: invalid type: string "https://a.example/", expected an array (help: wrap the value in brackets: `start_urls = ["..."]`)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[follow]\nmax_depth = \"ten\"\n",
        expect![[
            r#"books.toml:3:13: follow.max_depth: invalid type: string "ten", expected a non-negative integer (help: `max_depth` takes a non-negative integer)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[follow]\nmax_depth = -1\n",
        expect![
            "books.toml:3:13: follow.max_depth: invalid value: integer `-1`, expected a non-negative integer (help: `max_depth` takes a non-negative integer)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[politeness]\nper_host_rate = true\n",
        expect![
            "books.toml:3:17: politeness.per_host_rate: invalid type: boolean `true`, expected a number (help: `per_host_rate` takes a number)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\nfollow = 3\n",
        expect![
            "books.toml:2:10: follow: invalid type: integer `3`, expected a table (help: `follow` takes a table)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[[sinks]]\ntype = \"jsnl\"\npath = \"a\"\n",
        expect![
            "books.toml:3:8: sinks[0].type: unknown value `jsnl` (help: did you mean `jsonl`? expected one of `jsonl`, `csv`, `parquet`)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nname = \"a\"\n",
        expect![[
            r#"books.toml:2:1: extract[0]: missing key `fields` (help: add at least one field, e.g. `fields.title = "h1"`)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.a = 3\n",
        expect![[
            r#"books.toml:3:12: extract[0].fields.a: invalid field rule: found an integer, expected a CSS selector string or a table (help: write `a = "h1"` or `a = { selector = "h1", type = "number" }`)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.a = { selector = 3 }\n",
        expect![
            "books.toml:3:25: extract[0].fields.a.selector: invalid type: integer `3`, expected a string (help: `selector` takes a string)"
        ],
    );
}

#[test]
fn semantic_problems_are_all_reported_together() {
    let source = r#"name = ""
start_urls = ["https://books.example/", "ftp://books.example/", "books.example/a"]
allowed_domains = ["https://books.example/", "*.books.example", "books.example/shop", "books.example:8080", "::1"]

[follow]
allow = ['(']

[[extract]]
name = "book"
key = "ibsn"
fields.isbn = "td.isbn"
fields._id = "td.id"
fields.link = { selector = "a", mode = "attr" }
fields.label = { selector = "a", attr = "title", mode = "text" }
fields.when = { selector = "time", format = "%Y" }
fields.page = { source = "url", selector = "a" }

[[extract]]
name = "book"
fields = {}

[request]
connect_timeout_secs = 0
timeout_secs = inf
max_body_bytes = 10
user_agent = " "
proxy = "ftp://user:secret@proxy.example"

[politeness]
concurrency = 4
per_host_rate = -1

[[sinks]]
type = "csv"
path = "out.csv"

[[sinks]]
type = "jsonl"
path = "out.csv"

[[sinks]]
type = "parquet"
path = ""
"#;
    check(
        source,
        expect![[r#"
            books.toml:1:8: name: empty crawl name (help: name the crawl, e.g. `name = "books"`; runs and export files are named after it)
            books.toml:2:41: start_urls[1]: unsupported URL scheme `ftp` in `ftp://books.example/`, expected http or https (help: only http:// and https:// pages can be crawled)
            books.toml:2:65: start_urls[2]: invalid URL `books.example/a`: relative URL without a scheme (help: write an absolute URL, e.g. `https://books.example/a`)
            books.toml:3:20: allowed_domains[0]: `https://books.example/` is a URL, expected a host name (help: write `books.example`; subdomains are included)
            books.toml:3:46: allowed_domains[1]: wildcard `*.books.example`, expected a host name (help: write `books.example`; subdomains are always included)
            books.toml:3:65: allowed_domains[2]: `books.example/shop` has a path, expected a host name (help: write `books.example`; to crawl only some paths, use `follow.allow`)
            books.toml:3:87: allowed_domains[3]: `books.example:8080` has a port, expected a host name (help: write `books.example`; domains match every port)
            books.toml:3:109: allowed_domains[4]: IPv6 address `::1` without brackets (help: write `[::1]`)
            books.toml:6:10: follow.allow[0]: invalid regex `(`: unclosed group (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')
            books.toml:10:7: extract[0].key: `key` names `ibsn`, which is not a field of this rule (help: did you mean `isbn`?)
            books.toml:12:8: extract[0].fields._id: field name `_id` starts with `_`, which is reserved for `_kind`, `_key` and `_url` in exports (help: rename it, e.g. `id`)
            books.toml:13:40: extract[0].fields.link.mode: `mode = "attr"` needs `attr`, the attribute to read (help: add `attr = "href"` (or the attribute you want))
            books.toml:14:41: extract[0].fields.label.attr: `attr = "title"` conflicts with `mode = "text"` (help: remove `mode` to read the attribute, or remove `attr` to read the element)
            books.toml:15:45: extract[0].fields.when.format: `format` only applies to `type = "date"`, but this field has type `string` (help: add `type = "date"` or remove `format`)
            books.toml:16:44: extract[0].fields.page.selector: a field with `source = "url"` reads the page URL, so it cannot have a selector (help: remove `selector`, or remove `source` to read from the element)
            books.toml:19:8: extract[1].name: rule name `book` is already used by extract[0] (help: give each rule its own `name`; items are stored and exported under it)
            books.toml:20:10: extract[1].fields: rule has no fields (help: add at least one field, e.g. `fields.title = "h1"`)
            books.toml:23:24: request.connect_timeout_secs: `connect_timeout_secs` must be a positive number of seconds, got 0 (help: e.g. `connect_timeout_secs = 10` (the default))
            books.toml:24:16: request.timeout_secs: `timeout_secs` must be a positive number of seconds, got inf (help: e.g. `timeout_secs = 60` (the default))
            books.toml:25:18: request.max_body_bytes: `max_body_bytes` must be at least 1024, got 10 (help: it caps each response body after decompression; the default is 16777216 (16 MiB))
            books.toml:26:14: request.user_agent: empty `user_agent` (help: remove it to use the default, or name your crawler, e.g. `mybot/1.0 (+https://example.com/bot)`; robots.txt rules are matched against it)
            books.toml:27:9: request.proxy: unsupported proxy scheme `ftp`, expected http, https, socks5 or socks5h (help: e.g. `proxy = "socks5h://127.0.0.1:1080"` or `proxy = "http://127.0.0.1:8080"`)
            books.toml:30:15: politeness.per_host_concurrency: `per_host_concurrency` (8) exceeds `concurrency` (4) (help: set `per_host_concurrency` to at most 4, or raise `concurrency`)
            books.toml:31:17: politeness.per_host_rate: `per_host_rate` must be 0 (no limit) or a positive number of requests per second, got -1 (help: e.g. `per_host_rate = 2.0` for at most two requests per second to each host)
            books.toml:39:8: sinks[1].path: sinks[0] already writes csv to `out.csv` (help: give each sink its own path)
            books.toml:43:8: sinks[2].path: empty sink path (help: e.g. `path = "out.parquet"` (relative to the spec file's folder))"#]],
    );
}

#[test]
fn defaulted_value_in_conflict_points_at_the_written_one() {
    let diagnostics =
        diagnostics_of("start_urls = [\"https://a.example/\"]\n[politeness]\nconcurrency = 2\n");
    assert_eq!(diagnostics.problems.len(), 1);
    let problem = &diagnostics.problems[0];
    assert_eq!(problem.key_path, "politeness.per_host_concurrency");
    assert_eq!((problem.line, problem.column), (3, 15));
}

#[test]
fn missing_start_has_no_location() {
    let diagnostics = diagnostics_of("name = \"books\"\n");
    assert_eq!(
        diagnostics.problems,
        [Problem {
            message: "no `start_urls` and no `sitemaps`: the crawl has nowhere to start".to_owned(),
            help: Some(
                "add `start_urls = [\"https://example.com/\"]` at the top of the file".to_owned()
            ),
            span: None,
            line: 0,
            column: 0,
            key_path: "start_urls".to_owned(),
        }]
    );
    check(
        "name = \"books\"\n",
        expect![[
            r#"books.toml: start_urls: no `start_urls` and no `sitemaps`: the crawl has nowhere to start (help: add `start_urls = ["https://example.com/"]` at the top of the file)"#
        ]],
    );
}

#[test]
fn sitemaps_alone_are_a_valid_start() {
    check(
        "sitemaps = [\"https://a.example/sitemap.xml\"]\n",
        expect![[r#"ok"#]],
    );
}

#[test]
fn selector_errors_explain_the_supported_subset() {
    let source = r#"start_urls = ["https://a.example/"]
[follow]
selectors = ["div:has(a)", "h1 + p", "", "a::before"]
"#;
    check(
        source,
        expect![[r#"
        books.toml:3:14: follow.selectors[0]: invalid CSS selector `div:has(a)`: unsupported pseudo-class or pseudo-element in selector (help: lol_html supports a subset of CSS: `*`, tag, `.class`, `#id`, `[attr]`, `[attr=value]` (also `~=` `^=` `$=` `*=` `|=`), descendant (`a b`) and child (`a > b`) combinators, `:nth-child()`, `:first-child`, `:nth-of-type()`, `:first-of-type` and `:not()`; not `:has()`, sibling combinators (`+`, `~`) or pseudo-elements)
        books.toml:3:28: follow.selectors[1]: invalid CSS selector `h1 + p`: unsupported combinator `+` in selector (help: lol_html supports a subset of CSS: `*`, tag, `.class`, `#id`, `[attr]`, `[attr=value]` (also `~=` `^=` `$=` `*=` `|=`), descendant (`a b`) and child (`a > b`) combinators, `:nth-child()`, `:first-child`, `:nth-of-type()`, `:first-of-type` and `:not()`; not `:has()`, sibling combinators (`+`, `~`) or pseudo-elements)
        books.toml:3:38: follow.selectors[2]: empty CSS selector (help: write a selector such as `h1` or `.price`)
        books.toml:3:42: follow.selectors[3]: invalid CSS selector `a::before`: unsupported pseudo-class or pseudo-element in selector (help: lol_html supports a subset of CSS: `*`, tag, `.class`, `#id`, `[attr]`, `[attr=value]` (also `~=` `^=` `$=` `*=` `|=`), descendant (`a b`) and child (`a > b`) combinators, `:nth-child()`, `:first-child`, `:nth-of-type()`, `:first-of-type` and `:not()`; not `:has()`, sibling combinators (`+`, `~`) or pseudo-elements)"#]],
    );
}

#[test]
fn regex_errors_show_the_reason() {
    let source = r#"start_urls = ["https://a.example/"]
[follow]
deny = ['(?<=/)x', '[a-', 'a{99999999}']
[[extract]]
url = '('
fields.a = { selector = "a", regex = '\' }
"#;
    check(
        source,
        expect![[r#"
        books.toml:3:9: follow.deny[0]: invalid regex `(?<=/)x`: look-around, including look-ahead and look-behind, is not supported (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')
        books.toml:3:20: follow.deny[1]: invalid regex `[a-`: unclosed character class (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')
        books.toml:3:27: follow.deny[2]: invalid regex `a{99999999}`: compiled regex exceeds size limit of 10485760 bytes (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')
        books.toml:5:7: extract[0].url: invalid regex `(`: unclosed group (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')
        books.toml:6:38: extract[0].fields.a.regex: invalid regex `\`: incomplete escape sequence, reached end of pattern prematurely (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')"#]],
    );
}

#[test]
fn field_names_with_spaces_are_quoted_in_key_paths() {
    check(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.\"unit price\" = { selector = \"td\", regex = \"(\" }\n",
        expect![[
            r#"books.toml:3:50: extract[0].fields."unit price".regex: invalid regex `(`: unclosed group (help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\d+')"#
        ]],
    );
}

#[test]
fn report_shows_snippets_labels_and_help() {
    let diagnostics = diagnostics_of(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.price = { selector = \".price\", regex = \"(\" }\n\n[follow]\nselectors = [\"a + b\"]\n",
    );
    expect![[r#"
        invalid spec books.toml: 2 problems

          × extract[0].fields.price.regex: invalid regex `(`: unclosed group
           ╭─[books.toml:3:47]
         2 │ [[extract]]
         3 │ fields.price = { selector = ".price", regex = "(" }
           ·                                               ─┬─
           ·                                                ╰── invalid regex `(`: unclosed group
         4 │ 
           ╰────
          help: see https://docs.rs/regex/latest/regex/#syntax (no look-around or backreferences); in
                TOML, write regexes in single quotes so backslashes are kept: '\d+'

          × follow.selectors[0]: invalid CSS selector `a + b`: unsupported combinator `+` in selector
           ╭─[books.toml:6:14]
         5 │ [follow]
         6 │ selectors = ["a + b"]
           ·              ───┬───
           ·                 ╰── invalid CSS selector `a + b`: unsupported combinator `+` in selector
           ╰────
          help: lol_html supports a subset of CSS: `*`, tag, `.class`, `#id`, `[attr]`, `[attr=value]`
                (also `~=` `^=` `$=` `*=` `|=`), descendant (`a b`) and child (`a > b`) combinators,
                `:nth-child()`, `:first-child`, `:nth-of-type()`, `:first-of-type` and `:not()`; not
                `:has()`, sibling combinators (`+`, `~`) or pseudo-elements
    "#]].assert_eq(&render_report(&diagnostics, false));
}

#[test]
fn colored_report_contains_escape_codes_and_the_same_text() {
    let diagnostics = diagnostics_of("name = \"books\"\n");
    let colored = render_report(&diagnostics, true);
    assert!(colored.contains("\u{1b}["), "{colored:?}");
    assert!(colored.contains("no `start_urls` and no `sitemaps`"));
}

#[test]
fn diagnostics_relate_every_problem_for_miette() {
    use miette::Diagnostic;
    let diagnostics = diagnostics_of(
        "start_urls = [\"ftp://a.example/\"]\n[politeness]\nconcurrency = 0\nper_host_rate = -1\nper_host_burst = 0\n",
    );
    let related: Vec<String> = diagnostics
        .related()
        .unwrap()
        .map(|problem| {
            let labels: Vec<(usize, usize)> = problem
                .labels()
                .unwrap()
                .map(|label| (label.offset(), label.len()))
                .collect();
            format!("{problem} {labels:?}")
        })
        .collect();
    assert_eq!(
        related,
        [
            "start_urls[0]: unsupported URL scheme `ftp` in `ftp://a.example/`, expected http or https [(14, 18)]",
            "politeness.concurrency: `concurrency` must be at least 1, got 0 [(61, 1)]",
            "politeness.per_host_rate: `per_host_rate` must be 0 (no limit) or a positive number of requests per second, got -1 [(79, 2)]",
            "politeness.per_host_burst: `per_host_burst` must be at least 1, got 0 [(99, 1)]",
        ]
    );
}

#[test]
fn schema_has_metadata_and_documented_properties() {
    let schema = json_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "Trawl crawl spec");
    let top_level: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        top_level,
        [
            "name",
            "start_urls",
            "sitemaps",
            "allowed_domains",
            "follow",
            "extract",
            "request",
            "politeness",
            "sinks",
            "event_log",
            "record"
        ]
    );
    assert_eq!(
        schema["$defs"]["RequestSettings"]["properties"]["max_body_bytes"]["minimum"],
        1024
    );
    assert_eq!(
        schema["$defs"]["Politeness"]["properties"]["concurrency"]["default"],
        32
    );
    assert_eq!(
        schema["$defs"]["FollowRules"]["properties"]["max_depth"]["description"],
        "Maximum link depth from a start URL (start URLs have depth 0, the links\non them depth 1). Default: 1000 — deep enough for long paginations;\nuse `max_pages` to bound a crawl's size."
    );
    // Every property of every table carries its reference text.
    for (definition_name, definition) in schema["$defs"].as_object().unwrap() {
        let Some(properties) = definition.get("properties") else {
            continue;
        };
        for (property_name, property) in properties.as_object().unwrap() {
            let description = property["description"].as_str().unwrap_or("");
            assert!(
                !description.is_empty(),
                "{definition_name}.{property_name} has no description"
            );
        }
    }
}

/// Walks a spec (as JSON) alongside the schema and lists every key the
/// schema does not declare: a cheap stand-in for a full validator, which
/// would add a heavy dependency for one test.
fn undeclared_keys(
    schema: &serde_json::Value,
    node: &serde_json::Value,
    value: &serde_json::Value,
    path: &str,
    undeclared: &mut Vec<String>,
) {
    let node = match node.get("$ref").and_then(|reference| reference.as_str()) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/$defs/");
            &schema["$defs"][name]
        }
        None => node,
    };
    if let Some(variants) = node.get("anyOf").and_then(|variants| variants.as_array()) {
        // FieldRule: a string or a FieldSpec table.
        if let Some(table_variant) = variants
            .iter()
            .find(|variant| variant.get("$ref").is_some())
            && value.is_object()
        {
            undeclared_keys(schema, table_variant, value, path, undeclared);
        }
        return;
    }
    match value {
        serde_json::Value::Object(table) => {
            for (key, child) in table {
                let child_path = format!("{path}.{key}");
                if let Some(property) = node.get("properties").and_then(|p| p.get(key)) {
                    undeclared_keys(schema, property, child, &child_path, undeclared);
                } else if let Some(additional) =
                    node.get("additionalProperties").filter(|a| a.is_object())
                {
                    undeclared_keys(schema, additional, child, &child_path, undeclared);
                } else {
                    undeclared.push(child_path);
                }
            }
        }
        serde_json::Value::Array(elements) => {
            for (index, element) in elements.iter().enumerate() {
                if let Some(items) = node.get("items") {
                    undeclared_keys(
                        schema,
                        items,
                        element,
                        &format!("{path}[{index}]"),
                        undeclared,
                    );
                }
            }
        }
        _ => {}
    }
}

#[test]
fn schema_declares_every_key_of_the_realistic_spec() {
    let schema = json_schema();
    let as_json: serde_json::Value = toml::from_str(REALISTIC_SPEC).unwrap();
    let mut undeclared = Vec::new();
    undeclared_keys(&schema, &schema, &as_json, "", &mut undeclared);
    assert_eq!(undeclared, Vec::<String>::new());

    // The walk does catch keys the schema lacks.
    let with_typo: serde_json::Value =
        toml::from_str("[follow]\nmax_depht = 3\n[[extract]]\nfields.a = { selectr = \"x\" }\n")
            .unwrap();
    let mut undeclared = Vec::new();
    undeclared_keys(&schema, &schema, &with_typo, "", &mut undeclared);
    assert_eq!(
        undeclared,
        [".follow.max_depht", ".extract[0].fields.a.selectr"]
    );
}

#[test]
fn field_order_is_kept_as_written() {
    let spec = parse(
        "start_urls = [\"https://a.example/\"]\n[[extract]]\nfields.zeta = \"a\"\nfields.alpha = \"b\"\nfields.mid = \"c\"\n",
        "order.toml",
    )
    .unwrap()
    .spec;
    let mut expected = IndexMap::new();
    expected.insert("zeta".to_owned(), FieldRule::Selector("a".to_owned()));
    expected.insert("alpha".to_owned(), FieldRule::Selector("b".to_owned()));
    expected.insert("mid".to_owned(), FieldRule::Selector("c".to_owned()));
    assert_eq!(spec.extract[0].fields, expected);
}

#[test]
fn header_values_are_strings_secret_tables_or_env_tables() {
    let loaded = parse(
        "start_urls = [\"https://a.example/\"]\n[request.headers]\nAccept-Language = \"en\"\nX-Api-Key = { value = \"k-123\", secret = true }\nX-Plain = { value = \"p\" }\nAuthorization = { env = \"TRAWL_TEST_TOKEN\" }\n",
        "books.toml",
    )
    .unwrap();
    let headers = &loaded.spec.request.headers;
    assert!(!headers["Accept-Language"].is_secret());
    assert!(headers["X-Api-Key"].is_secret());
    assert!(!headers["X-Plain"].is_secret());
    assert!(headers["Authorization"].is_secret());
    assert_eq!(headers["Authorization"].env_var(), Some("TRAWL_TEST_TOKEN"));
    // Neither the spec's Debug nor its serialisation shows a secret value.
    let debug = format!("{:?}", loaded.spec);
    assert!(!debug.contains("k-123"), "{debug}");
    let serialized = serde_json::to_string(&loaded.spec).unwrap();
    assert!(!serialized.contains("k-123"), "{serialized}");

    let lookup = |variable: &str| (variable == "TRAWL_TEST_TOKEN").then(|| "Bearer t".to_owned());
    let resolved: BTreeMap<_, _> = loaded
        .spec
        .request
        .resolve_headers(lookup)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        resolved["Accept-Language"],
        ResolvedHeaderValue::Plain("en".to_owned())
    );
    assert_eq!(
        resolved["X-Plain"],
        ResolvedHeaderValue::Plain("p".to_owned())
    );
    assert!(resolved["X-Api-Key"].is_secret());
    assert_eq!(resolved["X-Api-Key"].expose(), "k-123");
    assert!(resolved["Authorization"].is_secret());
    assert_eq!(resolved["Authorization"].expose(), "Bearer t");
    assert_eq!(
        format!("{:?}", resolved["Authorization"]),
        "Secret([redacted])"
    );

    // An unset variable names the header and the variable, never a value.
    let error = loaded.spec.request.resolve_headers(|_| None).unwrap_err();
    assert_eq!(
        error,
        HeaderError::UnsetVariable {
            header: "Authorization".to_owned(),
            variable: "TRAWL_TEST_TOKEN".to_owned()
        }
    );
    assert!(error.to_string().contains("TRAWL_TEST_TOKEN"), "{error}");
    assert_eq!(
        loaded.spec.request.unset_env_vars(|_| None),
        [("Authorization".to_owned(), "TRAWL_TEST_TOKEN".to_owned())]
    );
}

#[test]
fn broken_header_tables_are_located_and_explained() {
    check(
        "start_urls = [\"https://a.example/\"]\n[request.headers]\nX-Key = { valeu = \"s3cret\", secret = true }\n",
        expect![
            "books.toml:3:11: request.headers.X-Key.valeu: unknown key `valeu` (help: did you mean `value`?)"
        ],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[request.headers]\nX-Key = 42\n",
        expect![[
            r#"books.toml:3:9: request.headers.X-Key: invalid header value: found an integer, expected a string or a table (help: write `X-Key = "text"`, `X-Key = { value = "...", secret = true }` or `X-Key = { env = "VAR" }`)"#
        ]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[request.headers]\nX-Key = { value = \"s3cret\", env = \"KEY\" }\nX-Other = { secret = true }\nX-Env = { env = \"A=B\", secret = false }\n",
        expect![[r#"
            books.toml:3:9: request.headers.X-Key: header `X-Key` has both `value` and `env` (help: keep one: write `X-Key = { value = "...", secret = true }` for a value written here, or `X-Key = { env = "VAR" }` to read it from the environment)
            books.toml:4:11: request.headers.X-Other: header `X-Other` has no value (help: write `X-Other = { value = "...", secret = true }` for a value written here, or `X-Other = { env = "VAR" }` to read it from the environment)
            books.toml:5:17: request.headers.X-Env.env: invalid environment variable name "A=B" (help: e.g. `env = "API_TOKEN"` (no `=`, no spaces around it))
            books.toml:5:33: request.headers.X-Env.secret: header `X-Env` is read from the environment, which is always secret (help: remove `secret = false`)"#]],
    );
    check(
        "start_urls = [\"https://a.example/\"]\n[request.headers]\n\"Bad Name\" = \"x\"\nX-Multi = \"a\\nb\"\n",
        expect![[r#"
            books.toml:3:1: request.headers."Bad Name": invalid header name "Bad Name" (help: header names are letters, digits and `-`, e.g. `X-Api-Key`)
            books.toml:4:11: request.headers.X-Multi: the value of header `X-Multi` contains a control character such as a newline (help: write it on one line, without control characters)"#]],
    );
}

#[test]
fn schema_describes_both_header_forms() {
    let schema = json_schema();
    let header = &schema["$defs"]["HeaderRule"];
    let forms = header["anyOf"].as_array().unwrap();
    assert_eq!(forms.len(), 2, "{header}");
    assert_eq!(forms[0]["type"], "string");
    let table = &schema["$defs"]["HeaderTable"];
    let keys: Vec<&str> = table["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["value", "secret", "env"]);
    assert_eq!(table["additionalProperties"], false);
}
