//! Splitting and scoping selector text without breaking brackets or quotes.

use super::*;

#[test]
fn split_selector_list_ignores_commas_in_brackets_quotes_and_parens() {
    assert_eq!(
        split_selector_list(r#" a.x , [data-x="a,b"] ,li:not(.a, .b), b\,c "#),
        vec!["a.x", r#"[data-x="a,b"]"#, "li:not(.a, .b)", r"b\,c"]
    );
    assert_eq!(split_selector_list("h1"), vec!["h1"]);
    assert_eq!(split_selector_list("a,"), vec!["a", ""]);
}

#[test]
fn last_compound_is_after_the_last_top_level_combinator() {
    assert_eq!(last_compound("ul.list > li.item"), "li.item");
    assert_eq!(last_compound("  ul   li "), "li");
    assert_eq!(last_compound("li[title='a > b c']"), "li[title='a > b c']");
    assert_eq!(last_compound("div>p"), "p");
}

#[test]
fn scope_inside_is_a_cross_product() {
    assert_eq!(scope_inside("li.card", "h3 a"), "li.card h3 a");
    assert_eq!(scope_inside("li.card", "> span"), "li.card > span");
    assert_eq!(
        scope_inside("ul > li, ol li", ".a, .b"),
        "ul > li .a, ul > li .b, ol li .a, ol li .b"
    );
}

#[test]
fn root_directly_inside_root_pairs_every_root_with_every_last_compound() {
    assert_eq!(root_directly_inside_root("li.card"), "li.card > li.card");
    assert_eq!(
        root_directly_inside_root("ul > li, dd"),
        "ul > li > li, ul > li > dd, dd > li, dd > dd"
    );
}
