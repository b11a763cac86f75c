//! Splitting CSS selector text, to build scoped selectors from a rule's `root`
//! and its fields' selectors.
//!
//! lol_html matches selectors against its own open-element stack and has no
//! "match inside this element" API, so field selectors are scoped by writing
//! `"{root} {field}"`. With selector lists that must be a cross product
//! (`"a, b"` inside `"ul, ol"` is four selectors), so lists are split at their
//! top-level commas. lol_html's parsed `Selector` is opaque and cssparser is
//! not a direct dependency, so this small scanner (aware of brackets, quotes
//! and escapes) is written here.

/// Splits a selector list at top-level commas; parts are trimmed, empty parts kept
/// (lol_html then rejects the combined selector with a proper message).
pub(crate) fn split_selector_list(selector_list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut part_start = 0;
    for_each_top_level_char(selector_list, |index, character| {
        if character == ',' {
            parts.push(selector_list[part_start..index].trim());
            part_start = index + 1;
        }
    });
    parts.push(selector_list[part_start..].trim());
    parts
}

/// The last compound selector of a complex selector: `li.item` in
/// `ul.list > li.item`, `li` in `ul li`.
pub(crate) fn last_compound(selector: &str) -> &str {
    let trimmed = selector.trim();
    let mut compound_start = 0;
    for_each_top_level_char(trimmed, |index, character| {
        if character.is_whitespace() || matches!(character, '>' | '+' | '~') {
            compound_start = index + character.len_utf8();
        }
    });
    &trimmed[compound_start..]
}

/// Scopes `field_selector_list` inside `root_selector_list`: every root part
/// combined with every field part by a descendant combinator. A field part may
/// start with `>` to mean a direct child of the root.
pub(crate) fn scope_inside(root_selector_list: &str, field_selector_list: &str) -> String {
    combine(root_selector_list, " ", field_selector_list)
}

/// Every `root > last_compound(root)` pairing: matches a root element whose
/// parent (in lol_html's view) is also a root element.
pub(crate) fn root_directly_inside_root(root_selector_list: &str) -> String {
    let lasts: Vec<&str> = split_selector_list(root_selector_list)
        .into_iter()
        .map(last_compound)
        .collect();
    combine(root_selector_list, " > ", &lasts.join(", "))
}

fn combine(outer_list: &str, combinator: &str, inner_list: &str) -> String {
    let mut combined = String::new();
    for outer in split_selector_list(outer_list) {
        for inner in split_selector_list(inner_list) {
            if !combined.is_empty() {
                combined.push_str(", ");
            }
            combined.push_str(outer);
            combined.push_str(combinator);
            combined.push_str(inner);
        }
    }
    combined
}

/// Calls `visit(byte_index, char)` for every character outside brackets,
/// parentheses, quotes and backslash escapes.
fn for_each_top_level_char(selector: &str, mut visit: impl FnMut(usize, char)) {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (index, character) in selector.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, character) {
            (_, '\\') => escaped = true,
            (Some(open_quote), _) if character == open_quote => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(character),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, _) if depth == 0 => visit(index, character),
            (None, _) => {}
        }
    }
}

#[cfg(test)]
mod tests;
