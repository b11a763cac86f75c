//! The compiled, checked form of a spec's `[[extract]]` rules and
//! `follow.selectors`, built once per run.
//!
//! Everything that can fail because of the spec fails here, with the rule and
//! field named, so extraction itself has nothing left to reject. Field
//! selectors are stored already scoped inside their rule's `root`
//! (`"{root} {field}"`), which is how lol_html expresses "inside this element".

use lol_html::Selector;
use regex::Regex;
use serde_json::Value;
use trawl_spec::{ExtractRule, FieldMode, FieldSource, Spec};

use crate::error::ExtractError;
use crate::scan::SimpleSelector;
use crate::selector_text::{root_directly_inside_root, scope_inside};
use crate::values::{ValueParser, is_valid_date_format};
use crate::warning::house_style_message;

/// Selector of the element whose `href` changes the base URL of relative links.
const BASE_SELECTOR: &str = "base[href]";

#[derive(Debug)]
pub(crate) struct CompiledSpec {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) follow_selectors: Vec<Selector>,
    /// Every follow selector is the default `a[href]` (or `a`): a page's links
    /// are then found by the scan of [`crate::scan`], and lol_html looks
    /// for them only on a page that scan hands over.
    pub(crate) follow_anchors_only: bool,
    pub(crate) base_selector: Selector,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) name: String,
    pub(crate) url_regex: Option<Regex>,
    pub(crate) root: Option<CompiledRoot>,
    /// Index into `fields` of the key field.
    pub(crate) key_field: Option<usize>,
    pub(crate) fields: Vec<CompiledField>,
    /// The `Elements` fields grouped by selector, so that fields reading
    /// the same elements (a price's text and its currency attribute) share
    /// one lol_html handler: each selector costs on every page, both to
    /// compile into the rewriter and to match against every element.
    pub(crate) element_groups: Vec<ElementGroup>,
}

/// Fields of one rule with the same selector; indexes into `fields`.
#[derive(Debug)]
pub(crate) struct ElementGroup {
    /// Every field of the group, in spec order; the first one's selector is the group's.
    pub(crate) fields: Vec<usize>,
    /// The fields that read text, which need lol_html's text chunks.
    pub(crate) text_fields: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct CompiledRoot {
    pub(crate) selector: Selector,
    /// Matches a root element whose parent is a root element too; used to
    /// notice roots that HTML closes implicitly (`<li>a<li>b`).
    pub(crate) directly_inside_root: Selector,
    /// The root selector in the form the page scan matches, if it is simple
    /// enough (see [`SimpleSelector`]).
    pub(crate) simple: Option<SimpleSelector>,
}

#[derive(Debug)]
pub(crate) struct CompiledField {
    pub(crate) name: String,
    pub(crate) target: FieldTarget,
    pub(crate) read: ReadMode,
    pub(crate) parser: ValueParser,
    pub(crate) list: bool,
    pub(crate) required: bool,
    pub(crate) default: Option<Value>,
}

/// Where a field's raw value comes from.
#[derive(Debug)]
pub(crate) enum FieldTarget {
    /// `source = "url"`: the page URL.
    PageUrl,
    /// No selector, rule with a root: the root element itself.
    RootElement,
    /// No selector and no root: nothing to read, so the value is `default`
    /// (a page-level constant) or null.
    Nothing,
    /// Elements matching the selector (scoped inside the root, if any).
    Elements(Selector),
}

/// What is read from a matched element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadMode {
    Text,
    Html,
    /// The attribute's name, lowercase (HTML attribute names are case-insensitive).
    Attr(String),
}

impl CompiledSpec {
    pub(crate) fn build(spec: &Spec) -> Result<CompiledSpec, ExtractError> {
        let follow_selectors = spec
            .follow
            .selectors
            .iter()
            .map(|selector| {
                parse_selector(follow_match_selector(selector)).map_err(|reason| {
                    ExtractError::InvalidFollowSelector {
                        selector: selector.clone(),
                        reason,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let follow_anchors_only = !spec.follow.selectors.is_empty()
            && spec
                .follow
                .selectors
                .iter()
                .all(|selector| follow_match_selector(selector) == "a");
        let rules = spec
            .extract
            .iter()
            .map(compile_rule)
            .collect::<Result<Vec<_>, _>>()?;
        let base_selector = parse_selector(BASE_SELECTOR).map_err(|reason| {
            ExtractError::InvalidFollowSelector {
                selector: BASE_SELECTOR.to_owned(),
                reason,
            }
        })?;
        Ok(CompiledSpec {
            rules,
            follow_selectors,
            follow_anchors_only,
            base_selector,
        })
    }

    /// True when some rule active on a page reads inner HTML, which needs the
    /// rewriter's output to be kept.
    pub(crate) fn rule_reads_html(rule: &CompiledRule) -> bool {
        rule.fields.iter().any(|field| {
            field.read == ReadMode::Html && !matches!(field.target, FieldTarget::PageUrl)
        })
    }
}

fn compile_rule(rule: &ExtractRule) -> Result<CompiledRule, ExtractError> {
    let url_regex = rule
        .url
        .as_deref()
        .map(|pattern| {
            Regex::new(pattern).map_err(|error| ExtractError::InvalidUrlRegex {
                rule: rule.name.clone(),
                pattern: pattern.to_owned(),
                reason: error.to_string(),
            })
        })
        .transpose()?;
    let root = rule
        .root
        .as_deref()
        .map(|root_selector| {
            let invalid_root = |reason| ExtractError::InvalidRootSelector {
                rule: rule.name.clone(),
                selector: root_selector.to_owned(),
                reason,
            };
            Ok(CompiledRoot {
                selector: parse_selector(root_selector).map_err(invalid_root)?,
                directly_inside_root: parse_selector(&root_directly_inside_root(root_selector))
                    .map_err(invalid_root)?,
                simple: SimpleSelector::parse(root_selector),
            })
        })
        .transpose()?;
    let fields = rule
        .fields
        .iter()
        .map(|(field_name, field_rule)| compile_field(rule, field_name, &field_rule.to_full()))
        .collect::<Result<Vec<_>, _>>()?;
    let key_field = rule
        .key
        .as_ref()
        .map(|key| {
            rule.fields
                .get_index_of(key.as_str())
                .ok_or_else(|| ExtractError::UnknownKeyField {
                    rule: rule.name.clone(),
                    key: key.clone(),
                })
        })
        .transpose()?;
    let element_groups = element_groups(rule, &fields);
    Ok(CompiledRule {
        name: rule.name.clone(),
        url_regex,
        root,
        key_field,
        fields,
        element_groups,
    })
}

/// Groups the `Elements` fields by their selector as written (all fields of
/// a rule share its root, so equal text means equal scoped selectors).
fn element_groups(rule: &ExtractRule, fields: &[CompiledField]) -> Vec<ElementGroup> {
    let mut groups: Vec<(String, ElementGroup)> = Vec::new();
    for (field_index, ((_, field_rule), field)) in rule.fields.iter().zip(fields).enumerate() {
        if !matches!(field.target, FieldTarget::Elements(_)) {
            continue;
        }
        let selector_text = field_rule
            .to_full()
            .selector
            .map(|selector| selector.trim().to_owned())
            .unwrap_or_default();
        let position = match groups.iter().position(|(text, _)| *text == selector_text) {
            Some(position) => position,
            None => {
                groups.push((
                    selector_text,
                    ElementGroup {
                        fields: Vec::new(),
                        text_fields: Vec::new(),
                    },
                ));
                groups.len() - 1
            }
        };
        let group = &mut groups[position].1;
        group.fields.push(field_index);
        if field.read == ReadMode::Text {
            group.text_fields.push(field_index);
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

fn compile_field(
    rule: &ExtractRule,
    field_name: &str,
    field: &trawl_spec::FieldSpec,
) -> Result<CompiledField, ExtractError> {
    let read = match (field.mode, &field.attr) {
        (None | Some(FieldMode::Attr), Some(attr)) => ReadMode::Attr(attr.to_ascii_lowercase()),
        (Some(FieldMode::Attr), None) => {
            return Err(ExtractError::MissingAttrName {
                rule: rule.name.clone(),
                field: field_name.to_owned(),
            });
        }
        (Some(FieldMode::Text), Some(_)) | (Some(FieldMode::Html), Some(_)) => {
            return Err(ExtractError::AttrWithOtherMode {
                rule: rule.name.clone(),
                field: field_name.to_owned(),
                mode: if field.mode == Some(FieldMode::Html) {
                    "html"
                } else {
                    "text"
                },
            });
        }
        (None | Some(FieldMode::Text), None) => ReadMode::Text,
        (Some(FieldMode::Html), None) => ReadMode::Html,
    };
    let target = match (field.source, &field.selector, &rule.root) {
        (FieldSource::Url, _, _) => FieldTarget::PageUrl,
        (FieldSource::Element, None, Some(_)) => FieldTarget::RootElement,
        (FieldSource::Element, None, None) => FieldTarget::Nothing,
        (FieldSource::Element, Some(selector), root) => {
            let scoped = match root {
                Some(root_selector) => scope_inside(root_selector, selector),
                None => selector.clone(),
            };
            let compiled =
                parse_selector(&scoped).map_err(|reason| ExtractError::InvalidFieldSelector {
                    rule: rule.name.clone(),
                    field: field_name.to_owned(),
                    selector: selector.clone(),
                    reason,
                })?;
            FieldTarget::Elements(compiled)
        }
    };
    let regex = field
        .regex
        .as_deref()
        .map(|pattern| {
            Regex::new(pattern).map_err(|error| ExtractError::InvalidFieldRegex {
                rule: rule.name.clone(),
                field: field_name.to_owned(),
                pattern: pattern.to_owned(),
                reason: error.to_string(),
            })
        })
        .transpose()?;
    if let Some(format) = &field.format
        && !is_valid_date_format(format)
    {
        return Err(ExtractError::InvalidDateFormat {
            rule: rule.name.clone(),
            field: field_name.to_owned(),
            format: format.clone(),
        });
    }
    Ok(CompiledField {
        name: field_name.to_owned(),
        target,
        read,
        parser: ValueParser {
            regex,
            value_type: field.value_type,
            date_format: field.format.clone(),
        },
        list: field.list,
        required: field.required,
        default: field.default.clone(),
    })
}

/// What lol_html is asked to match for a follow selector: `a[href]` (the
/// default) becomes `a`. The link handler reads `href` itself and skips an
/// element without one, so the matches are the same; but an attribute
/// condition makes lol_html's selector VM set up a bail-out for every `<a>`,
/// which cost 3.2% of a bench crawl's instructions (callgrind, 3,142 pages).
fn follow_match_selector(selector: &str) -> &str {
    let selector = selector.trim();
    if selector == "a[href]" { "a" } else { selector }
}

/// Parses a selector with lol_html, turning its message into our style
/// (lowercase, no trailing period).
fn parse_selector(selector: &str) -> Result<Selector, String> {
    selector
        .parse::<Selector>()
        .map_err(|error| house_style_message(&error.to_string()))
}

#[cfg(test)]
mod tests;
