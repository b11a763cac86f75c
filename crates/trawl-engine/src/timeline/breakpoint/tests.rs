use serde_json::json;
use trawl_types::RunState;

use super::*;

fn fetched(url: &str, status: u16, outcome: &str) -> Event {
    Event::RequestFetched {
        url: url.to_owned(),
        status,
        bytes: 10,
        elapsed_millis: 1,
        outcome: outcome.to_owned(),
        final_url: None,
    }
}

fn extracted(url: &str, items: u32) -> Event {
    Event::PageExtracted {
        url: url.to_owned(),
        items,
        items_dropped: 0,
        warnings: 0,
        links_found: 0,
        links_followed: 0,
        links_filtered: Default::default(),
    }
}

fn item(fields: serde_json::Value) -> Item {
    Item {
        kind: "product".to_owned(),
        key: None,
        url: "http://127.0.0.1/p".to_owned(),
        fields: fields.as_object().cloned().unwrap_or_default(),
    }
}

fn hits(breakpoint: &str, event: &Event) -> bool {
    let breakpoint: Breakpoint = breakpoint.parse().expect("parses");
    breakpoint.hits(event, &mut Vec::new)
}

#[test]
fn url_patterns_and_exact_urls() {
    let event = fetched("http://127.0.0.1:8080/product/42?x=1", 200, "ok");
    assert!(hits("url~/product/42", &event));
    assert!(hits(r"url~product/\d+", &event));
    assert!(!hits("url~/product/43", &event));
    assert!(hits("url=http://127.0.0.1:8080/product/42?x=1", &event));
    assert!(!hits("url=http://127.0.0.1:8080/product/42", &event));
    // Events without a URL never stop on a URL breakpoint.
    let state = Event::RunStateChanged {
        from: RunState::Queued,
        to: RunState::Running,
        reason: "started".to_owned(),
        error: None,
    };
    assert!(!hits("url~.", &state));
}

#[test]
fn kinds_by_name_with_alternatives() {
    let event = fetched("http://127.0.0.1/", 200, "ok");
    assert!(hits("kind=request_fetched", &event));
    assert!(hits("kind=page_extracted, request-fetched", &event));
    assert!(!hits("kind=page_extracted", &event));
}

#[test]
fn errors_are_failures_error_statuses_and_dropped_items() {
    assert!(!hits("error", &fetched("http://127.0.0.1/", 200, "ok")));
    assert!(!hits(
        "error",
        &fetched("http://127.0.0.1/", 200, "not_html")
    ));
    assert!(hits(
        "error",
        &fetched("http://127.0.0.1/", 404, "http_404")
    ));
    assert!(hits(
        "error~http_5",
        &fetched("http://127.0.0.1/", 503, "http_503")
    ));
    assert!(!hits(
        "error~http_5",
        &fetched("http://127.0.0.1/", 404, "http_404")
    ));
    let failed = Event::RequestFailed {
        url: "http://127.0.0.1/".to_owned(),
        outcome: "timeout".to_owned(),
        error: "no response in 5s".to_owned(),
        elapsed_millis: None,
    };
    assert!(hits("error", &failed));
    assert!(hits("error~timeout", &failed));
    let dropped = Event::ItemDropped {
        url: "http://127.0.0.1/".to_owned(),
        rule: "product".to_owned(),
        reason: "missing_required".to_owned(),
        message: "price is required".to_owned(),
    };
    assert!(hits("error~missing_required", &dropped));
}

#[test]
fn item_conditions_compare_values_by_type() {
    let event = extracted("http://127.0.0.1/p", 2);
    let items = vec![
        item(json!({"name": "Widget", "price": 19.9, "tags": ["new", "sale"], "stock": null})),
        item(json!({"name": "Gadget", "price": 5, "in_stock": true})),
    ];
    let check = |text: &str| {
        let breakpoint: Breakpoint = text.parse().expect("parses");
        let mut calls = 0;
        let hit = breakpoint.hits(&event, &mut || {
            calls += 1;
            items.clone()
        });
        assert!(calls <= 1, "items computed once at most");
        hit
    };
    assert!(check("item.name=Widget"));
    assert!(!check("item.name=widget"));
    assert!(check("item.name~(?i)^widg"));
    assert!(check("item.price=19.90"));
    assert!(check("item.price=5"));
    assert!(!check("item.price=6"));
    assert!(check("item.price~^19\\."));
    assert!(check("item.tags=sale"));
    assert!(check("item.stock=null"));
    assert!(check("item.in_stock=true"));
    assert!(!check("item.missing=anything"));
    // Only pages that yielded items are looked at.
    let breakpoint: Breakpoint = "item.name=Widget".parse().expect("parses");
    let mut asked = false;
    assert!(
        !breakpoint.hits(&extracted("http://127.0.0.1/p", 0), &mut || {
            asked = true;
            items.clone()
        })
    );
    assert!(!asked);
    assert!(
        !breakpoint.hits(&fetched("http://127.0.0.1/p", 200, "ok"), &mut || {
            items.clone()
        })
    );
    assert!(breakpoint.needs_items());
}

#[test]
fn bad_expressions_say_what_is_wrong() {
    let problem = |text: &str| {
        text.parse::<Breakpoint>()
            .expect_err("must not parse")
            .to_string()
    };
    assert!(
        problem("product/42").contains("no `=` or `~`"),
        "{}",
        problem("product/42")
    );
    assert!(problem("url~").contains("nothing after"));
    assert!(problem("url~(").contains("not a regular expression"));
    assert!(problem("kind=fetched").contains("unknown event kind `fetched`"));
    assert!(problem("kind=fetched").contains("request_fetched"));
    assert!(problem("kind~request").contains("`=`"));
    assert!(problem("host=example.com").contains("unknown subject `host`"));
    assert!(problem("item.=3").contains("unknown subject"));
    assert!(problem("error=timeout").contains("`~`"));
    // Every message lists the accepted forms.
    assert!(problem("nonsense").contains("item.FIELD=VALUE"));
}

#[test]
fn keeps_the_expression_as_written() {
    let breakpoint: Breakpoint = "  url~/product/42 ".parse().expect("parses");
    assert_eq!(breakpoint.to_string(), "url~/product/42");
    assert_eq!(breakpoint.text(), "url~/product/42");
}
