#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;
use crate::pseudorandom::Pseudorandom;

use lol_html::{HtmlRewriter, Settings, element};

/// What the lol_html path finds: the `a` handler reading `href` as the
/// extractor's link handler does.
fn lol_html_hrefs(html: &str) -> Vec<String> {
    let mut hrefs = Vec::new();
    let mut rewriter = HtmlRewriter::new(
        Settings::new()
            .with_strict(false)
            .append_element_content_handler(element!("a", |element| {
                if let Some(href) = crate::page::raw_attribute(element, html, 0, "href") {
                    hrefs.push(href.into_owned());
                }
                Ok(())
            })),
        |_: &[u8]| {},
    );
    // A page lol_html rejects is not one these tests generate.
    rewriter.write(html.as_bytes()).expect("lol_html parses it");
    rewriter.end().expect("lol_html parses it");
    hrefs
}

fn anchor_hrefs(html: &str) -> Result<Vec<&str>, NeedsFullParse> {
    scan_page(html, None).map(|scan| scan.hrefs)
}

fn scanned(html: &str) -> Vec<&str> {
    anchor_hrefs(html).expect("the scan handles this page")
}

#[test]
fn anchors_are_found_however_their_tags_are_written() {
    let html = r#"<p><a href="/1">x</a> <A HREF='/2'> <a href=/3>
        <a  href = "/4" > <a title="x>y" href="/5"> <a/href="/6"> <a href="/7" href="/no">
        <a data-href="/no" href="/8"> <a hrefx="/no"> <ax href="/no"> <a	href="/9">
        <a href> <a href=> <a name=x> <a href='/10"'> <a href=/11/>
        <a href="/12"/> <a =href="/no" href="/13"> <a href==/14> <a href="/é">"#;
    assert_eq!(
        scanned(html),
        vec![
            "/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "", "", "/10\"", "/11/", "/12",
            "/13", "=/14", "/é"
        ]
    );
    assert_eq!(scanned(html), lol_html_hrefs(html));
}

#[test]
fn anchors_inside_comments_text_elements_and_declarations_are_not_anchors() {
    let html = concat!(
        // A doctype ends at its first `>`, quoted or not.
        r#"<!DOCTYPE html "x><a href="/1">">"#,
        r#"<!-- <a href="/comment"> --><a href="/2">"#,
        r#"<!--><a href="/3"><!---><a href="/4"><!----><a href="/5">"#,
        r#"<!-- --!><a href="/6"><!-- -- > <a href="/in-comment"> ---><a href="/7">"#,
        r#"<![CDATA[ <a href="/cdata"> ]]><a href="/8"><?php <a href="/pi"?><a href="/9">"#,
        r#"<title><a href="/title"></title ><a href="/10">"#,
        r#"<textarea><a href="/textarea"></textareax></TEXTAREA><a href="/11">"#,
        r#"<style>a[href="<a href='/style'>"]{}</style/><a href="/12">"#,
        r#"<script>document.write('<a href="/script">')</script><a href="/13">"#,
        r#"<noscript><a href="/noscript"></noscript><a href="/14">"#,
        r#"<iframe><a href="/iframe"></iframe><xmp><a href="/xmp"></xmp><a href="/15">"#,
        r#"</div title="><a href='/end-tag'>"><a href="/16"></ x <a href="/bogus">>"#,
        r#"</><a href="/17">< a href="/not-a-tag"><3 <a href="/18">"#,
        r#"<plaintext><a href="/plaintext">"#,
    );
    let expected: Vec<String> = (1..=18).map(|n| format!("/{n}")).collect();
    assert_eq!(scanned(html), expected);
    assert_eq!(lol_html_hrefs(html), expected);
}

#[test]
fn a_tag_or_text_element_cut_off_by_the_end_of_the_page_ends_the_scan() {
    for (html, expected) in [
        (r#"<a href="/1"><a href="/2"#, vec!["/1"]),
        (r#"<a href="/1"><a href="/2" "#, vec!["/1"]),
        (r#"<a href="/1"><title><a href="/2">"#, vec!["/1"]),
        (r#"<a href="/1"><script>x</script"#, vec!["/1"]),
        (r#"<a href="/1"><!-- <a href="/2">"#, vec!["/1"]),
        (r#"<a href="/1"></div"#, vec!["/1"]),
        (r#"<a href="/1"><"#, vec!["/1"]),
        (r#"<a href="/1"></"#, vec!["/1"]),
        ("", vec![]),
    ] {
        assert_eq!(scanned(html), expected, "{html}");
        assert_eq!(lol_html_hrefs(html), expected, "{html}");
    }
}

#[test]
fn foreign_content_and_nested_escaped_scripts_need_the_full_parser() {
    for html in [
        r#"<svg><a href="/1"/></svg>"#,
        r#"<MATH><![CDATA[<a href="/x">]]></MATH>"#,
        r#"<script><!--<script></script><a href="/x"></script>-->"#,
    ] {
        assert_eq!(anchor_hrefs(html), Err(NeedsFullParse), "{html}");
    }
    // An escaped script without a nested one ends at its first end tag.
    let html = r#"<script><!-- x --></script><a href="/1">"#;
    assert_eq!(scanned(html), vec!["/1"]);
    assert_eq!(lol_html_hrefs(html), vec!["/1"]);
}

/// Pieces of hostile markup; `#` becomes a number unique in the page.
const PIECES: &[&str] = &[
    r#"<a href="/q#">"#,
    r#"<A HREF='/q#'>"#,
    "<a href=/q#>",
    r#"<a  href = "/q#" >"#,
    "<a href>",
    "<a href=>",
    r#"<a title="x>y" href="/q#">"#,
    r#"<a/href="/q#">"#,
    r#"<a href="/q#" href="/dup#">"#,
    r#"<a data-href="/no#" href="/q#">"#,
    r#"<a hrefx="/q#">"#,
    r#"<ax href="/q#">"#,
    "<a\thref=\"/q#\">",
    "<a\rhref=\"/q#\"\r>",
    "<a\x0chref=\"/q#\">",
    "<a href=\"/nul\0#\">",
    "<a\0 href=\"/q#\">",
    r#"<a href="/é#">"#,
    r#"<a =href="/q#">"#,
    r#"<a href=="/q#">"#,
    r#"<a href='/a"b#'>"#,
    r#"<a href="/q#"/>"#,
    "<a href=/q#/>",
    "<a href=\"/q#",
    "<a href='/q#",
    "<a href=/q#",
    "<a ",
    "<a",
    "</a>",
    r#"</div title=">">"#,
    "</>",
    "</ x>",
    "</3>",
    "<3",
    r#"< a href="/q#">"#,
    "<",
    ">",
    "x < y",
    "\"",
    "'",
    "=",
    "/",
    r#"<!-- <a href="/c#"> -->"#,
    "<!-->",
    "<!--->",
    "<!---->",
    "<!-- --!>",
    "<!-- -- >",
    "<!--",
    "-->",
    "--!>",
    "--",
    "<!-",
    "<!DOCTYPE html>",
    r#"<!doctype "x>y">"#,
    r#"<![CDATA[ <a href="/cd#"> ]]>"#,
    "]]>",
    r#"<?xml <a href="/pi#">?>"#,
    "<!x>",
    "<!",
    "<script>",
    "</script>",
    "</SCRIPT >",
    "</script",
    "<script/>",
    "<style>",
    "</style>",
    "<title>",
    "</title>",
    "</title/>",
    "<textarea>",
    "</textarea>",
    "</textareax>",
    "<noscript>",
    "</noscript>",
    "<iframe>",
    "</iframe>",
    "<xmp>",
    "</xmp>",
    "<noembed>",
    "<noframes>",
    "<plaintext>",
    "<svg>",
    "</svg>",
    "<math>",
    "<div>",
    r#"<p class=x>"#,
    "<br/>",
    r#"<img src="/img" alt='<a href="/alt#">'>"#,
    "<li>",
    "<b>text</b>",
    "&amp;",
    "<a href=\"/e&amp;#\">",
];

fn generated_page(random: &mut Pseudorandom) -> String {
    let mut page = String::new();
    for number in 0..random.below(24) + 1 {
        let piece = PIECES[random.below(PIECES.len())];
        page.push_str(&piece.replace('#', &number.to_string()));
        if random.below(4) == 0 {
            page.push(' ');
        }
    }
    page
}

#[test]
fn the_scan_finds_what_lol_html_finds_on_generated_hostile_pages() {
    let mut random = Pseudorandom(0x9E37_79B9_7F4A_7C15);
    let (mut compared, mut handed_over) = (0, 0);
    for _ in 0..30_000 {
        let page = generated_page(&mut random);
        match anchor_hrefs(&page) {
            Ok(hrefs) => {
                assert_eq!(hrefs, lol_html_hrefs(&page), "page: {page:?}");
                compared += 1;
            }
            Err(NeedsFullParse) => handed_over += 1,
        }
    }
    // Most pages are compared, so the test cannot pass by giving up.
    assert!(
        compared > 20_000,
        "{compared} compared, {handed_over} handed over"
    );
}

#[test]
fn the_catalog_sites_pages_are_scanned_like_lol_html_parses_them() {
    use trawl_test_sites::catalog::{Catalog, CatalogConfig};
    let catalog = Catalog::new(CatalogConfig::bench(2_000));
    for path in [
        "/",
        "/product/1/",
        "/product/7/",
        "/category/tableware/page/2/",
    ] {
        let page = catalog.render(path, "http://127.0.0.1:8642");
        let html = String::from_utf8(page.body).expect("the catalog writes UTF-8");
        let hrefs = scanned(&html);
        assert!(hrefs.len() > 10, "{path}: {} links", hrefs.len());
        assert_eq!(hrefs, lol_html_hrefs(&html), "{path}");
    }
}

fn roots<'h>(html: &'h str, selector: &str) -> Option<Vec<&'h str>> {
    let selector = SimpleSelector::parse(selector).expect("a simple selector");
    let scan = scan_page(html, Some(&selector)).expect("the scan handles this page");
    scan.roots
        .map(|roots| roots.into_iter().map(|root| &html[root]).collect())
}

#[test]
fn simple_selectors_are_the_ones_a_start_tag_decides() {
    let simple = |selector: &str| SimpleSelector::parse(selector);
    let parsed = simple(" Article.product.featured#main[data-SKU] ").unwrap();
    assert_eq!(parsed.tag.as_deref(), Some(&b"article"[..]));
    assert_eq!(
        parsed.classes,
        vec![b"product".to_vec(), b"featured".to_vec()]
    );
    assert_eq!(parsed.ids, vec![b"main".to_vec()]);
    assert_eq!(parsed.attributes, vec![b"data-sku".to_vec()]);
    for simple_enough in ["li", ".card", "#main", "[itemscope]", "div.a_b-c"] {
        assert!(simple(simple_enough).is_some(), "{simple_enough}");
    }
    for not_simple in [
        "",
        "ul li",
        "ul > li",
        "li + li",
        "li, div",
        "*",
        "li:first-child",
        "[data-sku=x]",
        "[data-sku",
        ".a\\:b",
        "li.",
    ] {
        assert_eq!(simple(not_simple), None, "{not_simple}");
    }
}

#[test]
fn roots_run_from_their_start_tag_to_the_end_tag_that_closes_them() {
    let html = concat!(
        r#"<div><article class="x product" id=a>1<article>2</article>3</article></div>"#,
        r#"<!-- <article class=product> --><ARTICLE CLASS=product><p>4</ARTICLE>"#,
        r#"<br><article class="product"></br><img>5</article><article class=products>"#,
        r#"<article class=product><title></article></title>6</article >"#,
    );
    assert_eq!(
        roots(html, "article.product"),
        Some(vec![
            r#"<article class="x product" id=a>1<article>2</article>3</article>"#,
            "<ARTICLE CLASS=product><p>4</ARTICLE>",
            r#"<article class="product"></br><img>5</article>"#,
            "<article class=product><title></article></title>6</article >",
        ])
    );
    // Nested roots are inside the outermost one; one open at the end of the
    // page runs to the end.
    let html = r#"<ul><li class=c>a<li class=c>b</li></li><li class=c>c"#;
    assert_eq!(
        roots(html, "li.c"),
        Some(vec![
            "<li class=c>a<li class=c>b</li></li>",
            "<li class=c>c"
        ])
    );
    assert_eq!(roots("<p>no roots</p>", ".product"), Some(vec![]));
    assert_eq!(
        roots(r#"<i id=main data-item><b>x</b></i>"#, "#main[data-item]"),
        Some(vec![r#"<i id=main data-item><b>x</b></i>"#])
    );
}

#[test]
fn roots_closed_by_an_ancestor_void_roots_and_deep_pages_are_left_to_lol_html() {
    assert_eq!(roots("<div><li class=c>a</div>", "li.c"), None);
    assert_eq!(roots("<img class=c><p>x</p>", ".c"), None);
    let deep = format!("<i class=c>{}</i>", "<b>".repeat(MAX_TRACKED_DEPTH + 1));
    assert_eq!(roots(&deep, ".c"), None);
    // Links are still found on such pages.
    let scan = scan_page(r#"<div><li class=c><a href="/1">a</div>"#, None).unwrap();
    assert_eq!(scan.hrefs, vec!["/1"]);
}

#[test]
fn bases_are_every_base_start_tag_with_an_href() {
    let scan = scan_page(
        r#"<base target=_top><BASE HREF="/one/"><!--<base href="/no/">--><base href=/two/>"#,
        None,
    )
    .unwrap();
    assert_eq!(scan.base_hrefs, vec!["/one/", "/two/"]);
    assert_eq!(scan.hrefs, Vec::<&str>::new());
}

#[test]
fn void_and_text_elements_are_lol_htmls() {
    // lol_html's list (selectors_vm/stack.rs) and tokenizer text types.
    for void in [
        "area", "BASE", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input",
        "keygen", "link", "meta", "param", "source", "track", "wbr",
    ] {
        assert!(
            matches!(tag_kind(void.as_bytes()), TagKind::Void | TagKind::Base),
            "{void}"
        );
    }
    for text in [
        "title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "NoScript",
    ] {
        assert!(tag_kind(text.as_bytes()) == TagKind::Text, "{text}");
    }
    for other in [
        "p", "b", "div", "abbr", "mark", "bases", "scripts", "ab", "h1", "",
    ] {
        assert!(tag_kind(other.as_bytes()) == TagKind::Other, "{other}");
    }
}
