//! Turning a field's raw strings into typed JSON values (`type = "number"`, ...).
//!
//! Scraped values are written for people ("$1,299.00", "1 299,00 €",
//! "12 March 2024"), so parsing is lenient where intent is clear and fails
//! (with a warning upstream) where it is not. Kept apart from the streaming code
//! so each rule can be tested on plain strings.

use chrono::format::{Item as FormatItem, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat};
use regex::Regex;
use serde_json::Value;
use trawl_spec::ValueType;

/// Largest integer a JSON number (an f64 for most consumers) holds exactly: 2^53.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// How to type one field's raw value.
#[derive(Debug, Clone)]
pub(crate) struct ValueParser {
    pub(crate) regex: Option<Regex>,
    pub(crate) value_type: ValueType,
    pub(crate) date_format: Option<String>,
}

/// The result of typing one raw value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    Value(Value),
    /// Empty text for a non-string type: treated like no match.
    Empty,
    /// Did not match the regex or parse as the type.
    Failed {
        expected: String,
    },
}

impl ValueParser {
    /// Applies `regex`, then `type`. `base_url` resolves `type = "url"`.
    pub(crate) fn parse(&self, raw: &str, base_url: &url::Url) -> Parsed {
        let selected = match &self.regex {
            Some(regex) => match regex.captures(raw) {
                Some(captures) => captures
                    .get(1)
                    .or_else(|| captures.get(0))
                    .map_or("", |matched| matched.as_str()),
                None => {
                    return Parsed::Failed {
                        expected: format!("a match of regex {:?}", regex.as_str()),
                    };
                }
            },
            None => raw,
        };
        if self.value_type != ValueType::String && selected.trim().is_empty() {
            return Parsed::Empty;
        }
        let typed = match self.value_type {
            ValueType::String => Some(Value::String(selected.to_owned())),
            ValueType::Number => parse_number(selected)
                .and_then(|number| number.parse::<f64>().ok())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            ValueType::Integer => parse_integer(selected).map(Value::from),
            ValueType::Date => parse_date(selected, self.date_format.as_deref()).map(Value::String),
            ValueType::Url => base_url
                .join(selected.trim())
                .ok()
                .map(|url| Value::String(url.into())),
            ValueType::Boolean => parse_boolean(selected).map(Value::Bool),
        };
        match typed {
            Some(value) => Parsed::Value(value),
            None => Parsed::Failed {
                expected: self.expected(),
            },
        }
    }

    fn expected(&self) -> String {
        match (self.value_type, &self.date_format) {
            (ValueType::String, _) => "string".to_owned(),
            (ValueType::Number, _) => "number".to_owned(),
            (ValueType::Integer, _) => "integer".to_owned(),
            (ValueType::Date, Some(format)) => format!("date ({format})"),
            (ValueType::Date, None) => "date (rfc 3339 or yyyy-mm-dd)".to_owned(),
            (ValueType::Url, _) => "url".to_owned(),
            (ValueType::Boolean, _) => "boolean".to_owned(),
        }
    }
}

/// True when chrono understands every `%` specifier of `format`.
pub(crate) fn is_valid_date_format(format: &str) -> bool {
    !StrftimeItems::new(format).any(|item| matches!(item, FormatItem::Error))
}

/// Finds the first number in `text` and normalises it to `[-]digits[.digits]`.
///
/// Currency symbols, words and spaces around it are ignored; inside it, spaces,
/// apostrophes and the thousands separator are dropped. The decimal separator
/// is the last of `.`/`,` when both appear ("1.299,00" and "1,299.00"); a lone
/// `,` is decimal unless exactly three digits follow ("12,50" vs "1,299"); a
/// lone `.` is always decimal; a separator repeated is a thousands separator.
pub(crate) fn parse_number(text: &str) -> Option<String> {
    let first_digit_at = text.find(|character: char| character.is_ascii_digit())?;
    let prefix = &text[..first_digit_at];
    let starts_with_point = prefix.ends_with('.')
        && !prefix[..prefix.len() - 1]
            .chars()
            .next_back()
            .is_some_and(|character| character.is_ascii_digit());
    // A minus sign right before the number, possibly with a currency symbol
    // or space in between ("-$5", "$ -5"), but not a hyphen in a word ("SKU-12").
    let sign_zone = prefix.trim_end_matches(|character: char| {
        !character.is_alphanumeric() && !matches!(character, '-' | '\u{2212}')
    });
    let negative = sign_zone
        .strip_suffix(['-', '\u{2212}'])
        .is_some_and(|before_sign| {
            !before_sign
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        });

    // The numeric run: digits and separators, where a space counts only
    // between digits ("1 299" but not "12 items").
    let mut run = String::new();
    let mut characters = text[first_digit_at..].chars().peekable();
    while let Some(character) = characters.next() {
        let next_is_digit = characters.peek().is_some_and(|next| next.is_ascii_digit());
        match character {
            '0'..='9' | '.' | ',' => run.push(character),
            '\'' | '\u{2019}' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' if next_is_digit => {}
            _ => break,
        }
    }
    let run = run.trim_end_matches(['.', ',']);

    let last_point = run.rfind('.');
    let last_comma = run.rfind(',');
    let decimal_separator = match (last_point, last_comma) {
        (Some(point_at), Some(comma_at)) => Some(if point_at > comma_at { '.' } else { ',' }),
        (None, Some(comma_at)) => {
            let digits_after = run.len() - comma_at - 1;
            (run.matches(',').count() == 1 && digits_after != 3).then_some(',')
        }
        (Some(_), None) => (run.matches('.').count() == 1).then_some('.'),
        (None, None) => None,
    };
    if let Some(separator) = decimal_separator
        && run.matches(separator).count() > 1
    {
        return None;
    }

    let mut normalised = String::with_capacity(run.len() + 2);
    if negative {
        normalised.push('-');
    }
    if starts_with_point {
        normalised.push_str("0.");
    }
    for character in run.chars() {
        if character.is_ascii_digit() {
            normalised.push(character);
        } else if Some(character) == decimal_separator {
            if starts_with_point {
                return None;
            }
            normalised.push('.');
        }
    }
    Some(normalised)
}

/// An integer, with the same leniency as numbers; "12.00" is 12, "12.5" fails.
pub(crate) fn parse_integer(text: &str) -> Option<i64> {
    let normalised = parse_number(text)?;
    let (whole, fraction) = normalised
        .split_once('.')
        .unwrap_or((normalised.as_str(), ""));
    if !fraction.bytes().all(|digit| digit == b'0') {
        return None;
    }
    let integer = whole.parse::<i64>().ok()?;
    // Stay within what consumers that read JSON numbers as f64 keep exactly.
    (integer.unsigned_abs() <= MAX_EXACT_INTEGER).then_some(integer)
}

/// A date rendered as ISO 8601. With a chrono `format`, tries a zoned
/// date-time, a naive date-time, then a date; without, RFC 3339, a naive
/// `YYYY-MM-DDTHH:MM:SS`, then `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str, format: Option<&str>) -> Option<String> {
    let text = text.trim();
    let render_zoned = |date_time: DateTime<chrono::FixedOffset>| {
        date_time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    };
    let render_naive = |date_time: NaiveDateTime| date_time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let render_date = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
    match format {
        Some(format) => DateTime::parse_from_str(text, format)
            .map(render_zoned)
            .or_else(|_| NaiveDateTime::parse_from_str(text, format).map(render_naive))
            .or_else(|_| NaiveDate::parse_from_str(text, format).map(render_date))
            .ok(),
        None => DateTime::parse_from_rfc3339(text)
            .map(render_zoned)
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").map(render_naive))
            .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(render_date))
            .ok(),
    }
}

/// `true/yes/1/on` and `false/no/0/off`, case-insensitive.
pub(crate) fn parse_boolean(text: &str) -> Option<bool> {
    let text = text.trim();
    const TRUE_WORDS: [&str; 4] = ["true", "yes", "1", "on"];
    const FALSE_WORDS: [&str; 4] = ["false", "no", "0", "off"];
    if TRUE_WORDS
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word))
    {
        Some(true)
    } else if FALSE_WORDS
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word))
    {
        Some(false)
    } else {
        None
    }
}

/// Renders a key field's value as the item's key; `None` when it cannot
/// identify anything (null, empty string, empty list).
///
/// Integral numbers lose their `.0` so "1299" and 1299.0 key the same item.
pub(crate) fn render_key(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float.abs() <= MAX_EXACT_INTEGER as f64 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        }),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Array(entries) if entries.is_empty() => None,
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
    }
}

#[cfg(test)]
mod tests;
