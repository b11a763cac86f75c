//! Semantic checks of a spec that deserialised: everything serde cannot see
//! (regexes and selectors compile, URLs are crawlable, limits make sense,
//! keys refer to fields that exist).
//!
//! Every check runs and every problem is reported, so one edit round fixes
//! the whole file. Each problem is located by its key path in the spanned
//! document; values that were left to their default fall back to the nearest
//! key the user did write.

use std::collections::HashMap;

use toml::de::DeTable;
use url::Url;

use crate::diagnostics::Problem;
use crate::key_path::{KeyPath, SpanTree};
use crate::model::{
    ExtractRule, FieldMode, FieldRule, FieldSource, FieldSpec, FollowRules, HeaderRule, Politeness,
    RequestSettings, SinkConfig, SinkFormat, Spec, ValueType,
};
use crate::serde_error::closest;

/// Smallest `max_body_bytes` accepted: below this even an error page or a
/// robots.txt is cut off, which is never what the user meant.
const MIN_MAX_BODY_BYTES: u64 = 1024;

/// What lol_html's selector engine accepts, since users expect full CSS.
const LOL_HTML_SUBSET_HELP: &str = "lol_html supports a subset of CSS: `*`, tag, `.class`, `#id`, \
    `[attr]`, `[attr=value]` (also `~=` `^=` `$=` `*=` `|=`), descendant (`a b`) and child \
    (`a > b`) combinators, `:nth-child()`, `:first-child`, `:nth-of-type()`, `:first-of-type` \
    and `:not()`; not `:has()`, sibling combinators (`+`, `~`) or pseudo-elements";

/// Regexes live in TOML strings, where backslashes are escapes: the most
/// common regex mistake in a spec.
const REGEX_HELP: &str = "see https://docs.rs/regex/latest/regex/#syntax (no look-around or \
    backreferences); in TOML, write regexes in single quotes so backslashes are kept: '\\d+'";

/// Every semantic problem of `spec`, located in `tree` (parsed from `source`).
pub(crate) fn validate(spec: &Spec, tree: &DeTable<'_>, source: &str) -> Vec<Problem> {
    let mut checker = Checker {
        source,
        spans: SpanTree::new(tree),
        problems: Vec::new(),
    };
    checker.check_spec(spec);
    // Checks run section by section; users read the file top to bottom.
    // The sort is stable, so problems at one spot keep their check order.
    checker
        .problems
        .sort_by_key(|problem| problem.span.as_ref().map_or(0, |span| span.start));
    checker.problems
}

struct Checker<'a> {
    source: &'a str,
    spans: SpanTree<'a>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    /// Reports a problem about the value at `path` (or its nearest written ancestor).
    fn report(&mut self, path: &KeyPath, message: String, help: String) {
        let span = self.spans.locate(path).map(|located| located.value_span);
        self.problems
            .push(Problem::new(self.source, path, span, message, Some(help)));
    }

    /// Reports a problem about the key itself (a bad name), labelling the key.
    fn report_on_key(&mut self, path: &KeyPath, message: String, help: String) {
        let span = self
            .spans
            .locate(path)
            .map(|located| match located.key_span {
                Some(key_span) if located.exact => key_span,
                _ => located.value_span,
            });
        self.problems
            .push(Problem::new(self.source, path, span, message, Some(help)));
    }

    /// Reports a problem about `path`, labelling `fallback` when `path` was
    /// left to its default (the user wrote the other side of the conflict).
    fn report_with_fallback(
        &mut self,
        path: &KeyPath,
        fallback: &KeyPath,
        message: String,
        help: String,
    ) {
        let located = [path, fallback]
            .into_iter()
            .filter_map(|candidate| self.spans.locate(candidate))
            .find(|located| located.exact)
            .or_else(|| self.spans.locate(path));
        let span = located.map(|located| located.value_span);
        self.problems
            .push(Problem::new(self.source, path, span, message, Some(help)));
    }

    fn check_spec(&mut self, spec: &Spec) {
        let root = KeyPath::root();
        if spec.name.trim().is_empty() {
            self.report(
                &root.key("name"),
                "empty crawl name".to_owned(),
                "name the crawl, e.g. `name = \"books\"`; runs and export files are named after it"
                    .to_owned(),
            );
        }
        if spec.start_urls.is_empty() && spec.sitemaps.is_empty() {
            self.report(
                &root.key("start_urls"),
                "no `start_urls` and no `sitemaps`: the crawl has nowhere to start".to_owned(),
                "add `start_urls = [\"https://example.com/\"]` at the top of the file".to_owned(),
            );
        }
        for (index, url) in spec.start_urls.iter().enumerate() {
            self.check_page_url(&root.key("start_urls").index(index), url);
        }
        for (index, url) in spec.sitemaps.iter().enumerate() {
            self.check_page_url(&root.key("sitemaps").index(index), url);
        }
        for (index, domain) in spec.allowed_domains.iter().enumerate() {
            self.check_domain(&root.key("allowed_domains").index(index), domain);
        }
        self.check_follow(&root.key("follow"), &spec.follow);
        self.check_extract_rules(&root.key("extract"), &spec.extract);
        self.check_request(&root.key("request"), &spec.request);
        self.check_politeness(&root.key("politeness"), &spec.politeness);
        self.check_sinks(&root.key("sinks"), &spec.sinks, &spec.name);
    }

    fn check_page_url(&mut self, path: &KeyPath, text: &str) {
        match Url::parse(text) {
            Err(url::ParseError::RelativeUrlWithoutBase) => self.report(
                path,
                format!("invalid URL `{text}`: relative URL without a scheme"),
                format!("write an absolute URL, e.g. `https://{text}`"),
            ),
            Err(error) => self.report(
                path,
                format!("invalid URL `{text}`: {error}"),
                "write an absolute URL such as `https://example.com/`".to_owned(),
            ),
            Ok(url) if !matches!(url.scheme(), "http" | "https") => self.report(
                path,
                format!(
                    "unsupported URL scheme `{}` in `{text}`, expected http or https",
                    url.scheme()
                ),
                "only http:// and https:// pages can be crawled".to_owned(),
            ),
            Ok(_) => {}
        }
    }

    fn check_domain(&mut self, path: &KeyPath, text: &str) {
        let general_help = "write a host name such as `example.com` (subdomains are included)";
        if text.is_empty() {
            self.report(path, "empty host name".to_owned(), general_help.to_owned());
        } else if text.contains("://") {
            let help = match Url::parse(text)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
            {
                Some(host) => format!("write `{host}`; subdomains are included"),
                None => general_help.to_owned(),
            };
            self.report(
                path,
                format!("`{text}` is a URL, expected a host name"),
                help,
            );
        } else if let Some(parent) = text.strip_prefix("*.") {
            self.report(
                path,
                format!("wildcard `{text}`, expected a host name"),
                format!("write `{parent}`; subdomains are always included"),
            );
        } else if let Some((host, _)) = text.split_once('/') {
            self.report(
                path,
                format!("`{text}` has a path, expected a host name"),
                format!("write `{host}`; to crawl only some paths, use `follow.allow`"),
            );
        } else if text.parse::<std::net::Ipv6Addr>().is_ok() {
            self.report(
                path,
                format!("IPv6 address `{text}` without brackets"),
                format!("write `[{text}]`"),
            );
        } else if let Some((host, _)) = text.rsplit_once(':').filter(|_| !text.starts_with('[')) {
            self.report(
                path,
                format!("`{text}` has a port, expected a host name"),
                format!("write `{host}`; domains match every port"),
            );
        } else if let Err(error) = url::Host::parse(text) {
            self.report(
                path,
                format!("invalid host name `{text}`: {error}"),
                general_help.to_owned(),
            );
        }
    }

    fn check_selector(&mut self, path: &KeyPath, selector: &str) {
        let Err(error) = selector.parse::<lol_html::Selector>() else {
            return;
        };
        if error == lol_html::errors::SelectorError::EmptySelector {
            self.report(
                path,
                "empty CSS selector".to_owned(),
                "write a selector such as `h1` or `.price`".to_owned(),
            );
            return;
        }
        self.report(
            path,
            format!(
                "invalid CSS selector `{selector}`: {}",
                sentence_to_clause(&error.to_string())
            ),
            LOL_HTML_SUBSET_HELP.to_owned(),
        );
    }

    fn check_regex(&mut self, path: &KeyPath, pattern: &str) {
        let Err(error) = regex::Regex::new(pattern) else {
            return;
        };
        let text = error.to_string();
        // The syntax error's Display is a multi-line drawing of the pattern
        // ending in `error: <what>`; the drawing is useless on one line and
        // the source snippet already shows the pattern.
        let reason = match text.rsplit_once("error: ") {
            Some((_, reason)) => reason.trim().to_owned(),
            None => sentence_to_clause(text.trim()),
        };
        self.report(
            path,
            format!("invalid regex `{pattern}`: {reason}"),
            REGEX_HELP.to_owned(),
        );
    }

    fn check_follow(&mut self, path: &KeyPath, follow: &FollowRules) {
        for (index, selector) in follow.selectors.iter().enumerate() {
            self.check_selector(&path.key("selectors").index(index), selector);
        }
        for (index, pattern) in follow.allow.iter().enumerate() {
            self.check_regex(&path.key("allow").index(index), pattern);
        }
        for (index, pattern) in follow.deny.iter().enumerate() {
            self.check_regex(&path.key("deny").index(index), pattern);
        }
    }

    fn check_extract_rules(&mut self, path: &KeyPath, rules: &[ExtractRule]) {
        let mut first_rule_by_name: HashMap<&str, usize> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            let rule_path = path.index(index);
            if rule.name.trim().is_empty() {
                self.report(
                    &rule_path.key("name"),
                    "empty rule name".to_owned(),
                    "name the kind of item, e.g. `name = \"book\"`".to_owned(),
                );
            } else if let Some(first_index) = first_rule_by_name.get(rule.name.as_str()) {
                self.report(
                    &rule_path.key("name"),
                    format!(
                        "rule name `{}` is already used by extract[{first_index}]",
                        rule.name
                    ),
                    "give each rule its own `name`; items are stored and exported under it"
                        .to_owned(),
                );
            } else {
                first_rule_by_name.insert(&rule.name, index);
            }
            self.check_extract_rule(&rule_path, rule);
        }
    }

    fn check_extract_rule(&mut self, path: &KeyPath, rule: &ExtractRule) {
        if let Some(pattern) = &rule.url {
            self.check_regex(&path.key("url"), pattern);
        }
        if let Some(selector) = &rule.root {
            self.check_selector(&path.key("root"), selector);
        }
        if rule.fields.is_empty() {
            self.report(
                &path.key("fields"),
                "rule has no fields".to_owned(),
                "add at least one field, e.g. `fields.title = \"h1\"`".to_owned(),
            );
        }
        if let Some(key) = &rule.key
            && !rule.fields.contains_key(key)
        {
            let field_names: Vec<&str> = rule.fields.keys().map(String::as_str).collect();
            let help = match closest(key, &field_names) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None if field_names.is_empty() => "add the field to `fields` first".to_owned(),
                None => format!("use one of this rule's fields: {}", field_names.join(", ")),
            };
            self.report(
                &path.key("key"),
                format!("`key` names `{key}`, which is not a field of this rule"),
                help,
            );
        }
        for (name, field) in &rule.fields {
            self.check_field(&path.key("fields").key(name), name, field);
        }
    }

    fn check_field(&mut self, path: &KeyPath, name: &str, field: &FieldRule) {
        if name.is_empty() {
            self.report_on_key(
                path,
                "empty field name".to_owned(),
                "name the field; the name becomes a column in exports".to_owned(),
            );
        } else if name.starts_with('_') {
            let suggestion = match name.trim_start_matches('_') {
                "" => "value",
                trimmed => trimmed,
            };
            self.report_on_key(
                path,
                format!(
                    "field name `{name}` starts with `_`, which is reserved for `_kind`, `_key` and `_url` in exports"
                ),
                format!("rename it, e.g. `{suggestion}`"),
            );
        }
        match field {
            FieldRule::Selector(selector) => self.check_selector(path, selector),
            FieldRule::Full(spec) => self.check_field_spec(path, spec),
        }
    }

    fn check_field_spec(&mut self, path: &KeyPath, field: &FieldSpec) {
        if let Some(selector) = &field.selector {
            self.check_selector(&path.key("selector"), selector);
        }
        if let Some(pattern) = &field.regex {
            self.check_regex(&path.key("regex"), pattern);
        }
        if field.attr.as_deref() == Some("") {
            self.report(
                &path.key("attr"),
                "empty attribute name".to_owned(),
                "name the attribute to read, e.g. `attr = \"href\"`".to_owned(),
            );
        }
        match (field.mode, &field.attr) {
            (Some(FieldMode::Attr), None) => self.report(
                &path.key("mode"),
                "`mode = \"attr\"` needs `attr`, the attribute to read".to_owned(),
                "add `attr = \"href\"` (or the attribute you want)".to_owned(),
            ),
            (Some(mode @ (FieldMode::Text | FieldMode::Html)), Some(attr)) => self.report(
                &path.key("attr"),
                format!(
                    "`attr = \"{attr}\"` conflicts with `mode = \"{}\"`",
                    mode_name(mode)
                ),
                "remove `mode` to read the attribute, or remove `attr` to read the element"
                    .to_owned(),
            ),
            _ => {}
        }
        if field.format.is_some() && field.value_type != ValueType::Date {
            self.report(
                &path.key("format"),
                format!(
                    "`format` only applies to `type = \"date\"`, but this field has type `{}`",
                    value_type_name(field.value_type)
                ),
                "add `type = \"date\"` or remove `format`".to_owned(),
            );
        }
        if field.source == FieldSource::Url && field.selector.is_some() {
            self.report(
                &path.key("selector"),
                "a field with `source = \"url\"` reads the page URL, so it cannot have a selector"
                    .to_owned(),
                "remove `selector`, or remove `source` to read from the element".to_owned(),
            );
        }
    }

    fn check_request(&mut self, path: &KeyPath, request: &RequestSettings) {
        let defaults = RequestSettings::default();
        if request.user_agent.trim().is_empty() {
            self.report(
                &path.key("user_agent"),
                "empty `user_agent`".to_owned(),
                "remove it to use the default, or name your crawler, e.g. `mybot/1.0 (+https://example.com/bot)`; robots.txt rules are matched against it"
                    .to_owned(),
            );
        }
        let timeouts = [
            (
                "connect_timeout_secs",
                request.connect_timeout_secs,
                defaults.connect_timeout_secs,
            ),
            (
                "first_byte_timeout_secs",
                request.first_byte_timeout_secs,
                defaults.first_byte_timeout_secs,
            ),
            ("timeout_secs", request.timeout_secs, defaults.timeout_secs),
        ];
        for (key, value_secs, default_secs) in timeouts {
            if !(value_secs.is_finite() && value_secs > 0.0) {
                self.report(
                    &path.key(key),
                    format!("`{key}` must be a positive number of seconds, got {value_secs}"),
                    format!("e.g. `{key} = {default_secs}` (the default)"),
                );
            }
        }
        if request.max_body_bytes < MIN_MAX_BODY_BYTES {
            self.report(
                &path.key("max_body_bytes"),
                format!(
                    "`max_body_bytes` must be at least {MIN_MAX_BODY_BYTES}, got {}",
                    request.max_body_bytes
                ),
                format!(
                    "it caps each response body after decompression; the default is {} (16 MiB)",
                    defaults.max_body_bytes
                ),
            );
        }
        for (name, rule) in &request.headers {
            self.check_header(&path.key("headers").key(name), name, rule);
        }
        if let Some(proxy) = &request.proxy {
            // The proxy URL is never echoed: it may carry a password.
            let help = "e.g. `proxy = \"socks5h://127.0.0.1:1080\"` or `proxy = \"http://127.0.0.1:8080\"`";
            match Url::parse(proxy) {
                Err(error) => self.report(
                    &path.key("proxy"),
                    format!("invalid proxy URL: {error}"),
                    help.to_owned(),
                ),
                Ok(url) if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") => self
                    .report(
                        &path.key("proxy"),
                        format!(
                            "unsupported proxy scheme `{}`, expected http, https, socks5 or socks5h",
                            url.scheme()
                        ),
                        help.to_owned(),
                    ),
                Ok(_) => {}
            }
        }
    }

    /// One `[request.headers]` entry. Values are never echoed: they may be secret.
    fn check_header(&mut self, path: &KeyPath, name: &str, rule: &HeaderRule) {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte));
        if !valid_name {
            self.report_on_key(
                path,
                format!("invalid header name {name:?}"),
                "header names are letters, digits and `-`, e.g. `X-Api-Key`".to_owned(),
            );
        }
        let example = format!(
            "write `{name} = {{ value = \"...\", secret = true }}` for a value written here, or `{name} = {{ env = \"VAR\" }}` to read it from the environment"
        );
        let value = match rule {
            HeaderRule::Text(text) => Some(text.as_str()),
            HeaderRule::Table(table) => {
                match (&table.value, &table.env) {
                    (Some(_), Some(_)) => self.report(
                        path,
                        format!("header `{name}` has both `value` and `env`"),
                        format!("keep one: {example}"),
                    ),
                    (None, None) => {
                        self.report(path, format!("header `{name}` has no value"), example)
                    }
                    _ => {}
                }
                if let Some(variable) = &table.env {
                    if table.secret == Some(false) {
                        self.report(
                            &path.key("secret"),
                            format!("header `{name}` is read from the environment, which is always secret"),
                            "remove `secret = false`".to_owned(),
                        );
                    }
                    let valid_variable = !variable.is_empty()
                        && !variable.contains(['=', '\0'])
                        && variable.trim() == variable;
                    if !valid_variable {
                        self.report(
                            &path.key("env"),
                            format!("invalid environment variable name {variable:?}"),
                            "e.g. `env = \"API_TOKEN\"` (no `=`, no spaces around it)".to_owned(),
                        );
                    }
                }
                table.value.as_ref().map(|value| value.expose())
            }
        };
        // What reqwest would refuse when the run starts: control characters
        // (a newline would split the header).
        if let Some(value) = value
            && value
                .bytes()
                .any(|byte| byte != b'\t' && (byte < 0x20 || byte == 0x7f))
        {
            self.report(
                path,
                format!(
                    "the value of header `{name}` contains a control character such as a newline"
                ),
                "write it on one line, without control characters".to_owned(),
            );
        }
    }

    fn check_politeness(&mut self, path: &KeyPath, politeness: &Politeness) {
        let defaults = Politeness::default();
        if politeness.concurrency == 0 {
            self.report(
                &path.key("concurrency"),
                "`concurrency` must be at least 1, got 0".to_owned(),
                format!("the default is {}", defaults.concurrency),
            );
        }
        if politeness.per_host_concurrency == 0 {
            self.report(
                &path.key("per_host_concurrency"),
                "`per_host_concurrency` must be at least 1, got 0".to_owned(),
                format!("the default is {}", defaults.per_host_concurrency),
            );
        } else if politeness.concurrency > 0
            && politeness.per_host_concurrency > politeness.concurrency
        {
            self.report_with_fallback(
                &path.key("per_host_concurrency"),
                &path.key("concurrency"),
                format!(
                    "`per_host_concurrency` ({}) exceeds `concurrency` ({})",
                    politeness.per_host_concurrency, politeness.concurrency
                ),
                format!(
                    "set `per_host_concurrency` to at most {}, or raise `concurrency`",
                    politeness.concurrency
                ),
            );
        }
        let rate = politeness.per_host_rate;
        if !(rate.is_finite() && rate >= 0.0) {
            self.report(
                &path.key("per_host_rate"),
                format!(
                    "`per_host_rate` must be 0 (no limit) or a positive number of requests per second, got {rate}"
                ),
                "e.g. `per_host_rate = 2.0` for at most two requests per second to each host"
                    .to_owned(),
            );
        }
        if politeness.per_host_burst == 0 {
            self.report(
                &path.key("per_host_burst"),
                "`per_host_burst` must be at least 1, got 0".to_owned(),
                "1 spaces every request by the rate; 5 lets five start at once after a pause"
                    .to_owned(),
            );
        }
    }

    fn check_sinks(&mut self, path: &KeyPath, sinks: &[SinkConfig], crawl_name: &str) {
        let example_stem = match crawl_name.trim() {
            "" => "out",
            name => name,
        };
        for (index, sink) in sinks.iter().enumerate() {
            let path_key = path.index(index).key("path");
            if sink.path.trim().is_empty() {
                self.report(
                    &path_key,
                    "empty sink path".to_owned(),
                    format!(
                        "e.g. `path = \"{example_stem}.{}\"` (relative to the spec file's folder)",
                        format_name(sink.format)
                    ),
                );
                continue;
            }
            // Two sinks on one path overwrite each other whatever their formats.
            if let Some((first_index, first)) = sinks[..index]
                .iter()
                .enumerate()
                .find(|(_, earlier)| earlier.path == sink.path)
            {
                self.report(
                    &path_key,
                    format!(
                        "sinks[{first_index}] already writes {} to `{}`",
                        format_name(first.format),
                        sink.path
                    ),
                    "give each sink its own path".to_owned(),
                );
            }
        }
    }
}

/// lol_html's messages are capitalised sentences; ours are clauses.
fn sentence_to_clause(sentence: &str) -> String {
    let trimmed = sentence.trim_end_matches('.');
    let mut characters = trimmed.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn mode_name(mode: FieldMode) -> &'static str {
    match mode {
        FieldMode::Text => "text",
        FieldMode::Html => "html",
        FieldMode::Attr => "attr",
    }
}

fn value_type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::String => "string",
        ValueType::Number => "number",
        ValueType::Integer => "integer",
        ValueType::Date => "date",
        ValueType::Url => "url",
        ValueType::Boolean => "boolean",
    }
}

fn format_name(format: SinkFormat) -> &'static str {
    match format {
        SinkFormat::Jsonl => "jsonl",
        SinkFormat::Csv => "csv",
        SinkFormat::Parquet => "parquet",
    }
}
