#![allow(clippy::unwrap_used)]
use super::*;

fn extract_with(spec_toml: &str, page_url: &str, html: &str) -> Extracted {
    let spec: trawl_spec::Spec = toml::from_str(spec_toml).unwrap();
    let extractor = Extractor::build(&spec).unwrap();
    extractor.extract(&url::Url::parse(page_url).unwrap(), html)
}

#[test]
fn explore() {
    let spec = r#"
[[extract]]
name = "row"
root = "li"
fields = { name = ".n", all = { selector = "b", list = true }, html = { selector = ".h", mode = "html" }, self = { mode = "text" } }
"#;
    let html = r#"<ul><li><span class=n>A &amp; B</span> <b>1</b><div class=h><i>x</i> &amp;</div><li><span class=n>C</span><b>2</b><b>3</b><script>var x=1;</script></ul><ul><li class=x>z<ul><li>inner</li></ul>tail</li></ul>"#;
    let extracted = extract_with(spec, "https://example.com/a/", html);
    eprintln!("{}", serde_json::to_string_pretty(&extracted.items).unwrap());
    eprintln!("{:?} {:?}", extracted.links, extracted.warnings);
}
