//! Spec errors caught at build time, named by rule and field.

#![allow(clippy::unwrap_used)]

use super::*;

fn build(spec_toml: &str) -> Result<CompiledSpec, ExtractError> {
    let spec: Spec = toml::from_str(spec_toml).unwrap();
    CompiledSpec::build(&spec)
}

fn build_error(spec_toml: &str) -> String {
    build(spec_toml).unwrap_err().to_string()
}

#[test]
fn invalid_root_selector_names_the_rule() {
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            name = "book"
            root = "li + li"
            fields = { title = "h3" }
            "#
        ),
        r#"rule "book": invalid root selector "li + li": unsupported combinator `+` in selector"#
    );
}

#[test]
fn invalid_field_selector_names_rule_and_field() {
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            name = "book"
            root = "article"
            fields = { title = "h3:hover" }
            "#
        ),
        r#"rule "book", field "title": invalid selector "h3:hover": unsupported pseudo-class or pseudo-element in selector"#
    );
}

#[test]
fn field_selectors_may_start_with_a_child_combinator_inside_a_root() {
    let compiled = build(
        r#"
        [[extract]]
        root = "article"
        fields = { title = "> h3" }
        "#,
    )
    .unwrap();
    assert!(matches!(
        compiled.rules[0].fields[0].target,
        FieldTarget::Elements(_)
    ));
    // Without a root there is nothing for `>` to hang on.
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            fields = { title = "> h3" }
            "#
        ),
        r#"rule "item", field "title": invalid selector "> h3": the selector is empty"#
    );
}

#[test]
fn invalid_follow_selector() {
    assert_eq!(
        build_error(
            r#"
            [follow]
            selectors = ["a.next", "a ~ b"]
            "#
        ),
        r#"follow.selectors: invalid selector "a ~ b": unsupported combinator `~` in selector"#
    );
}

#[test]
fn invalid_regexes_and_date_formats() {
    assert!(
        build_error(
            r#"
            [[extract]]
            url = "(unclosed"
            fields = { title = "h1" }
            "#
        )
        .starts_with(r#"rule "item": invalid url regex "(unclosed": regex parse error"#)
    );
    assert!(
        build_error(
            r#"
            [[extract]]
            fields = { price = { selector = ".p", regex = "[" } }
            "#
        )
        .starts_with(r#"rule "item", field "price": invalid regex "[": regex parse error"#)
    );
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            fields = { released = { selector = "time", type = "date", format = "%d %Q" } }
            "#
        ),
        r#"rule "item", field "released": invalid date format "%d %Q""#
    );
}

#[test]
fn key_must_name_a_field() {
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            name = "book"
            key = "upc"
            fields = { title = "h1" }
            "#
        ),
        r#"rule "book": key "upc" is not one of the rule's fields"#
    );
}

#[test]
fn attr_and_mode_must_agree() {
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            fields = { link = { selector = "a", mode = "attr" } }
            "#
        ),
        r#"rule "item", field "link": mode "attr" needs `attr` (the attribute name)"#
    );
    assert_eq!(
        build_error(
            r#"
            [[extract]]
            fields = { link = { selector = "a", mode = "html", attr = "href" } }
            "#
        ),
        r#"rule "item", field "link": `attr` is set but mode is "html"; drop one of them"#
    );
}

#[test]
fn field_targets_and_read_modes() {
    let compiled = build(
        r#"
        [[extract]]
        root = "li"
        [extract.fields]
        text = "b"
        link = { selector = "a", attr = "HREF" }
        body = { selector = "div", mode = "html" }
        whole = { mode = "text" }
        page = { source = "url" }
        [[extract]]
        fields = { constant = { default = "shop" } }
        "#,
    )
    .unwrap();
    let summary: Vec<(String, &str, ReadMode)> = compiled
        .rules
        .iter()
        .flat_map(|rule| &rule.fields)
        .map(|field| {
            let target = match field.target {
                FieldTarget::PageUrl => "page url",
                FieldTarget::RootElement => "root element",
                FieldTarget::Nothing => "nothing",
                FieldTarget::Elements(_) => "elements",
            };
            (field.name.clone(), target, field.read.clone())
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("text".to_owned(), "elements", ReadMode::Text),
            (
                "link".to_owned(),
                "elements",
                ReadMode::Attr("href".to_owned())
            ),
            ("body".to_owned(), "elements", ReadMode::Html),
            ("whole".to_owned(), "root element", ReadMode::Text),
            ("page".to_owned(), "page url", ReadMode::Text),
            ("constant".to_owned(), "nothing", ReadMode::Text),
        ]
    );
    assert!(CompiledSpec::rule_reads_html(&compiled.rules[0]));
    assert!(!CompiledSpec::rule_reads_html(&compiled.rules[1]));
}

#[test]
fn the_default_follow_selector_matches_anchors_by_tag_and_others_as_written() {
    assert_eq!(follow_match_selector("a[href]"), "a");
    assert_eq!(follow_match_selector(" a[href] "), "a");
    for other in [
        "a",
        "a.next[href]",
        "area[href]",
        "a[href^='/']",
        "nav a[href]",
    ] {
        assert_eq!(follow_match_selector(other), other);
    }
}

#[test]
fn only_anchor_follow_selectors_leave_links_to_the_anchor_scan() {
    let anchors_only = |selectors: &str| {
        build(&format!("[follow]\nselectors = {selectors}"))
            .unwrap()
            .follow_anchors_only
    };
    assert!(build("").unwrap().follow_anchors_only, "the default");
    for selectors in [r#"["a[href]"]"#, r#"["a"]"#, r#"[" a[href] ", "a"]"#] {
        assert!(anchors_only(selectors), "{selectors}");
    }
    for selectors in [
        "[]",
        r#"["a.next"]"#,
        r#"["a[href]", "li a"]"#,
        r#"["iframe"]"#,
    ] {
        assert!(!anchors_only(selectors), "{selectors}");
    }
}
