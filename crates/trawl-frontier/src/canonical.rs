//! One page, one URL: the canonical form that de-duplication and scope
//! rules see, and its persisted 64-bit fingerprint.
//!
//! `url` already lowercases scheme and host, converts IDN hosts to punycode,
//! drops default ports and resolves dot segments. What it leaves alone is
//! written here by hand, because no crate does exactly this (RFC 3986
//! section 6.2.2 normalisation on WHATWG-parsed URLs): escapes of unreserved
//! characters are decoded (`%7E` -> `~`), other escapes are uppercased
//! (`%2f` -> `%2F`), an empty query is dropped, and optionally query pairs are
//! sorted. The fragment never reaches the server, so it is dropped.

use url::Url;

/// The canonical form of `url`; `sort_query` also sorts the query pairs
/// (by key, then value), for sites where parameter order carries no meaning.
///
/// Idempotent: canonicalising a canonical URL returns it unchanged.
pub fn canonicalize(url: &Url, sort_query: bool) -> Url {
    let mut canonical = url.clone();
    canonical.set_fragment(None);
    // Opaque URLs (`mailto:`, `data:`) have no hierarchical path to normalise.
    if !canonical.cannot_be_a_base()
        && let Some(path) = normalize_escapes(canonical.path())
    {
        canonical.set_path(&path);
    }
    let new_query: Option<Option<String>> = match canonical.query() {
        None => None,
        Some("") => Some(None),
        Some(query) => {
            let normalized = normalize_escapes(query);
            let current = normalized.as_deref().unwrap_or(query);
            match (
                sort_query.then(|| sorted_query(current)).flatten(),
                normalized,
            ) {
                (Some(sorted), _) => Some((!sorted.is_empty()).then_some(sorted)),
                (None, Some(normalized)) => Some(Some(normalized)),
                (None, None) => None,
            }
        }
    };
    if let Some(query) = new_query {
        canonical.set_query(query.as_deref());
    }
    canonical
}

/// Stable 64-bit identity of a canonical URL: xxh3 of its serialisation.
///
/// Persisted in the store, so it must never change between versions or
/// processes: xxh3 with the default seed is specified, not randomised.
pub fn fingerprint(canonical: &Url) -> u64 {
    xxhash_rust::xxh3::xxh3_64(canonical.as_str().as_bytes())
}

/// RFC 3986 unreserved characters: their escapes mean the same as the
/// characters themselves.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// `input` with escapes normalised, or `None` when it already is (the
/// common case, which then allocates nothing).
fn normalize_escapes(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut output: Option<String> = None;
    // Bytes of `input` before this index are already in `output`.
    let mut copied_until = 0;
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'%' || index + 2 >= bytes.len() {
            index += 1;
            continue;
        }
        let (Some(high), Some(low)) = (hex_value(bytes[index + 1]), hex_value(bytes[index + 2]))
        else {
            // A lone `%` is kept as the URL parser left it.
            index += 1;
            continue;
        };
        let decoded = (high << 4) | low;
        let needs_change = is_unreserved(decoded)
            || bytes[index + 1..index + 3]
                .iter()
                .any(u8::is_ascii_lowercase);
        if needs_change {
            let output = output.get_or_insert_with(|| String::with_capacity(input.len()));
            // `index` and `copied_until` sit next to ASCII bytes (`%` and hex
            // digits), so both are character boundaries.
            output.push_str(&input[copied_until..index]);
            if is_unreserved(decoded) {
                output.push(char::from(decoded));
            } else {
                output.push('%');
                output.push(char::from(bytes[index + 1].to_ascii_uppercase()));
                output.push(char::from(bytes[index + 2].to_ascii_uppercase()));
            }
            copied_until = index + 3;
        }
        index += 3;
    }
    output.map(|mut output| {
        output.push_str(&input[copied_until..]);
        output
    })
}

/// The query with its `&`-separated pairs sorted by key, then value (empty
/// pairs dropped), or `None` when that changes nothing.
fn sorted_query(query: &str) -> Option<String> {
    let mut pairs: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty()).collect();
    pairs.sort_by(|left, right| key_and_value(left).cmp(&key_and_value(right)));
    let sorted = pairs.join("&");
    (sorted != query).then_some(sorted)
}

fn key_and_value(pair: &str) -> (&str, &str) {
    pair.split_once('=').unwrap_or((pair, ""))
}

#[cfg(test)]
mod tests;
