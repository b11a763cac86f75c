//! One page through lol_html: collecting field values per item and links, in a
//! single streaming pass.
//!
//! lol_html reports matches, text chunks and end tags, but has no DOM, no
//! inner-HTML accessor and no notion of "inside this root". So this module
//! keeps its own small model, just big enough for extraction:
//!
//! - **Roots.** Each element matching a rule's `root` opens an item; field
//!   selectors are compiled as `"{root} {field}"` and every match is given to
//!   the innermost root still open. Roots are closed by their end tag. lol_html
//!   does not run end-tag handlers for elements HTML closes implicitly
//!   (`<li>a<li>b`), and its own stack sees the second `<li>` as a child of the
//!   first; so when a root opens as a direct child of another root and HTML's
//!   optional-end-tag rules say its tag closes the open one (`li` closes `li`,
//!   `td` closes `td`, ...), the open root is closed first. Roots still open at
//!   the end of the document are closed there.
//! - **Text.** A text capture collects the chunks lol_html delivers for the
//!   matched element (descendant text included), decodes entities once per
//!   text node (a reference may straddle chunks), skips `<script>`/`<style>`
//!   text unless the captured element is itself one of those, and collapses
//!   whitespace as it goes.
//! - **Inner HTML.** Only when a field reads `html`, the rewriter's output is
//!   kept and each matched element gets a start and an end sentinel (inserted
//!   with `prepend`/`append`, which lol_html emits right after the start tag
//!   and right before the end tag). The inner HTML is the output between the
//!   two, with other sentinels removed. Sentinels carry a random per-page nonce
//!   in a private-use character, so page content cannot forge them.
//!
//! - **What lol_html reads.** With the default follow selector the page scan
//!   (`scan.rs`) finds links and `<base>` first; if one rule is active and its
//!   root is a simple selector, lol_html reads only the roots' markup, joined
//!   (a root runs from its start tag to the end tag that closes it, so its
//!   fields match in it as in the whole page); without active rules it reads
//!   nothing. Otherwise, and on a page the scan hands over, the whole page.
//!   Building a rewriter compiles every selector, so for roots that all end
//!   with their end tags each thread keeps one per rule and writes page after
//!   page to it (lol_html's stack is empty again after each); attribute
//!   source locations are then offsets into that longer stream.
//!
//! End-tag handlers must be `'static` in lol_html, hence the `Rc<RefCell<..>>`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::rc::Rc;
use std::sync::Arc;

use lol_html::html_content::{ContentType, Element, EndTag, TextChunk, TextType};
use lol_html::{
    ElementContentHandlers, HandlerResult, HtmlRewriter, MemorySettings, OutputSink, Settings,
};
use serde_json::{Map, Value};
use trawl_types::Item;
use url::Url;

use crate::compile::{CompiledField, CompiledRule, CompiledSpec, FieldTarget, ReadMode};
use crate::entities::{decode_entities, decode_entities_into};
use crate::links::{LinkCollector, resolve_base_href};
use crate::scan::scan_page;
use crate::values::{Parsed, render_key};
use crate::warning::{ExtractWarning, WarningLog, house_style_message, quote_excerpt};
use crate::{Extracted, MAX_FIELD_VALUE_BYTES, MAX_LINKS_PER_PAGE, MAX_PARSER_MEMORY_BYTES};

/// Raw text kept for one unfinished text node before it is decoded in pieces;
/// bounds memory on a 10 MB text node while keeping references whole.
const MAX_PENDING_RAW_TEXT_BYTES: usize = 64 * 1024;

/// Longest character reference we avoid splitting when decoding in pieces.
const MAX_REFERENCE_LEN: usize = 40;

/// Extracts one page with the compiled spec (`extractor` tells the
/// extractor's reused rewriters apart). Never fails.
pub(crate) fn extract_page(
    compiled: &Arc<CompiledSpec>,
    extractor: u64,
    page_url: &Url,
    html: &str,
) -> Extracted {
    let active_rules: Vec<(usize, &CompiledRule)> = compiled
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| {
            rule.url_regex
                .as_ref()
                .is_none_or(|url_regex| url_regex.is_match(page_url.as_str()))
        })
        .collect();
    let rule_indexes: Vec<usize> = active_rules.iter().map(|(index, _)| *index).collect();
    let keep_output = active_rules
        .iter()
        .any(|(_, rule)| CompiledSpec::rule_reads_html(rule));

    let items_state = ItemsState::new(&active_rules);
    let links_state = RefCell::new(LinksState {
        collector: LinkCollector::new(MAX_LINKS_PER_PAGE),
        base_url: None,
        warnings: WarningLog::default(),
    });
    // With the default follow selector, the scan finds the page's links and
    // bases (all of them, even where lol_html would stop early, at its memory
    // limit) and, for one active rule with a simple root, the roots' extents:
    // lol_html then reads only those, joined into one document, or nothing
    // on a page without rules or roots. A page the scan hands over, or a spec
    // with other follow selectors, goes through lol_html whole.
    let fragment_root = match active_rules.as_slice() {
        [(_, rule)] if !keep_output => rule.root.as_ref().and_then(|root| root.simple.as_ref()),
        _ => None,
    };
    let scan = compiled
        .follow_anchors_only
        .then(|| scan_page(html, fragment_root).ok())
        .flatten();
    let mut output = Vec::new();
    let (mut items_state, parse_error) = match &scan {
        None => parse_fresh(
            compiled,
            &rule_indexes,
            items_state,
            Some(PageLinks {
                state: &links_state,
                page_url,
            }),
            Cow::Borrowed(html),
            keep_output.then_some(&mut output),
        ),
        Some(scan) => {
            let links = &mut *links_state.borrow_mut();
            for href in &scan.hrefs {
                links.collector.add(href);
            }
            links.base_url = scan
                .base_hrefs
                .iter()
                .find_map(|href| resolve_base_href(href, page_url, &mut links.warnings));
            match &scan.roots {
                _ if active_rules.is_empty() => (items_state, None),
                Some(roots) if roots.is_empty() => (items_state, None),
                Some(roots) => {
                    let document = roots.iter().map(|root| &html[root.clone()]).collect();
                    if scan.root_open_at_end {
                        let document = Cow::Owned(document);
                        parse_fresh(compiled, &rule_indexes, items_state, None, document, None)
                    } else {
                        parse_reused(compiled, extractor, rule_indexes[0], items_state, document)
                    }
                }
                None => parse_fresh(
                    compiled,
                    &rule_indexes,
                    items_state,
                    None,
                    Cow::Borrowed(html),
                    keep_output.then_some(&mut output),
                ),
            }
        }
    };

    let LinksState {
        collector,
        base_url,
        warnings: mut link_warnings,
    } = links_state.into_inner();
    let links = collector.finish(&mut link_warnings);
    let mut warnings = link_warnings;
    if let Some(reason) = parse_error {
        warnings.push(ExtractWarning::ParseAborted { reason });
    }
    items_state.close_everything();
    if keep_output {
        items_state.fill_inner_html(&String::from_utf8_lossy(&output));
    }
    let (items, dropped_items) = build_items(
        &active_rules,
        items_state,
        page_url,
        base_url.as_ref().unwrap_or(page_url),
        &mut warnings,
    );
    Extracted {
        items,
        links,
        base_url,
        warnings: warnings.finish(),
        dropped_items,
    }
}

/// What the handlers of one rewriter share. They own it (`Rc`): lol_html
/// wants `'static` end-tag handlers, and a kept rewriter outlives every page.
struct Handles<'h> {
    items: Rc<RefCell<ItemsState>>,
    /// Only when lol_html finds the links and bases (the scan did not).
    links: Option<PageLinks<'h>>,
    source: Rc<RefCell<Source<'h>>>,
}

impl<'h> Handles<'h> {
    fn new(items: ItemsState, links: Option<PageLinks<'h>>, text: Cow<'h, str>) -> Handles<'h> {
        Handles {
            items: Rc::new(RefCell::new(items)),
            links,
            source: Rc::new(RefCell::new(Source { text, offset: 0 })),
        }
    }
}

/// The page's link state, and what its `<base href>` resolves against.
#[derive(Clone, Copy)]
struct PageLinks<'h> {
    state: &'h RefCell<LinksState>,
    page_url: &'h Url,
}

/// The document being parsed, and where it starts in the rewriter's input
/// stream (a kept rewriter has read other pages before), for reading
/// attribute values by their source location.
struct Source<'h> {
    text: Cow<'h, str>,
    offset: usize,
}

/// `document` through a new rewriter, written and ended; `links`: find the
/// links and bases too.
fn parse_fresh<'h>(
    compiled: &Arc<CompiledSpec>,
    rule_indexes: &[usize],
    items_state: ItemsState,
    links: Option<PageLinks<'h>>,
    document: Cow<'h, str>,
    output: Option<&mut Vec<u8>>,
) -> (ItemsState, Option<String>) {
    let handles = Handles::new(items_state, links, document);
    let mut rewriter = build_rewriter(compiled, rule_indexes, &handles, KeptOutput { output });
    let parse_error = {
        let source = handles.source.borrow();
        rewriter
            .write(source.text.as_bytes())
            .and_then(|()| rewriter.end())
            .err()
            .map(|error| house_style_message(&error.to_string()))
    };
    (handles.items.take(), parse_error)
}

/// Rewriters kept per thread, at most this many (one per extractor and
/// rule in use, so a few runs at once each keep theirs).
const MAX_REUSED_REWRITERS: usize = 4;

/// A rewriter that stays open across pages: each page's root markup is
/// written to it in turn and ends with the roots' end tags, so lol_html's
/// stack is empty again after every page.
struct ReusedRewriter {
    extractor: u64,
    rule_index: usize,
    rewriter: HtmlRewriter<'static, KeptOutput<'static>>,
    handles: Handles<'static>,
    /// Bytes written so far: where the next page starts in the input stream.
    written: usize,
}

thread_local! {
    /// Building a rewriter compiles every selector into lol_html's matching
    /// program, about a third of parsing a product page's root markup
    /// (callgrind); pages of one rule all use the same program.
    static REUSED_REWRITERS: RefCell<Vec<ReusedRewriter>> = const { RefCell::new(Vec::new()) };
}

/// `document`, the complete root elements of a page, through this thread's
/// rewriter for `rule_index` (built on first use).
fn parse_reused(
    compiled: &Arc<CompiledSpec>,
    extractor: u64,
    rule_index: usize,
    items_state: ItemsState,
    document: String,
) -> (ItemsState, Option<String>) {
    let kept = REUSED_REWRITERS.with_borrow_mut(|reused| {
        reused
            .iter()
            .position(|kept| kept.extractor == extractor && kept.rule_index == rule_index)
            .map(|position| reused.remove(position))
    });
    let mut kept = kept.unwrap_or_else(|| {
        let handles = Handles::new(ItemsState::default(), None, Cow::Borrowed(""));
        ReusedRewriter {
            extractor,
            rule_index,
            rewriter: build_rewriter(
                compiled,
                &[rule_index],
                &handles,
                KeptOutput { output: None },
            ),
            handles,
            written: 0,
        }
    });
    *kept.handles.items.borrow_mut() = items_state;
    *kept.handles.source.borrow_mut() = Source {
        text: Cow::Owned(document),
        offset: kept.written,
    };
    let written = {
        let source = kept.handles.source.borrow();
        kept.written += source.text.len();
        kept.rewriter.write(source.text.as_bytes())
    };
    let items_state = kept.handles.items.take();
    match written {
        Ok(()) => {
            REUSED_REWRITERS.with_borrow_mut(|reused| {
                if reused.len() >= MAX_REUSED_REWRITERS {
                    reused.remove(0);
                }
                reused.push(kept);
            });
            (items_state, None)
        }
        // lol_html does not go on after an error: this rewriter is done.
        Err(error) => (items_state, Some(house_style_message(&error.to_string()))),
    }
}

/// A rewriter with the handlers of the rules at `rule_indexes` (and of links
/// and bases, when `handles` has link state).
fn build_rewriter<'h, O: OutputSink>(
    compiled: &Arc<CompiledSpec>,
    rule_indexes: &[usize],
    handles: &Handles<'h>,
    output: O,
) -> HtmlRewriter<'h, O> {
    let mut settings = Settings::new().with_strict(false).with_memory_settings(
        MemorySettings::new().with_max_allowed_memory_usage(MAX_PARSER_MEMORY_BYTES),
    );

    if let Some(PageLinks { state, page_url }) = handles.links {
        let source = Rc::clone(&handles.source);
        settings = settings.append_element_content_handler((
            std::borrow::Cow::Borrowed(&compiled.base_selector),
            ElementContentHandlers::default().element(move |element: &mut Element<'_, '_>| {
                let links = &mut *state.borrow_mut();
                if links.base_url.is_none()
                    && let Some(raw_href) = source.borrow().attribute(element, "href")
                {
                    links.base_url = resolve_base_href(&raw_href, page_url, &mut links.warnings);
                }
                Ok(())
            }),
        ));
        for follow_selector in &compiled.follow_selectors {
            let source = Rc::clone(&handles.source);
            settings = settings.append_element_content_handler((
                std::borrow::Cow::Borrowed(follow_selector),
                ElementContentHandlers::default().element(move |element: &mut Element<'_, '_>| {
                    let source = source.borrow();
                    let raw_href = source.attribute(element, "href").or_else(|| {
                        let tag_name = element.tag_name();
                        matches!(tag_name.as_str(), "iframe" | "frame")
                            .then(|| source.attribute(element, "src"))
                            .flatten()
                    });
                    if let Some(raw_href) = raw_href {
                        state.borrow_mut().collector.add(&raw_href);
                    }
                    Ok(())
                }),
            ));
        }
    }

    for (rule_position, &rule_index) in rule_indexes.iter().enumerate() {
        let rule = &compiled.rules[rule_index];
        // Field handlers come before the root handler: lol_html runs handlers
        // of one element in registration order, and an element that is both a
        // field match and a nested root belongs to the outer root.
        for (group_index, group) in rule.element_groups.iter().enumerate() {
            let Some(FieldTarget::Elements(selector)) = group
                .fields
                .first()
                .map(|&first_field| &rule.fields[first_field].target)
            else {
                continue;
            };
            let (spec, items, source) = (
                Arc::clone(compiled),
                Rc::clone(&handles.items),
                Rc::clone(&handles.source),
            );
            let mut element_handlers =
                ElementContentHandlers::default().element(move |element: &mut Element<'_, '_>| {
                    let rule = &spec.rules[rule_index];
                    let item_index = items
                        .borrow()
                        .rules
                        .get(rule_position)
                        .and_then(RuleProgress::current_item);
                    if let Some(item_index) = item_index {
                        for &field_index in &rule.element_groups[group_index].fields {
                            let field_slot = FieldSlot {
                                rule_position,
                                field_index,
                            };
                            let field = &rule.fields[field_index];
                            start_capture(
                                &items,
                                field_slot,
                                field,
                                item_index,
                                element,
                                &source.borrow(),
                            );
                        }
                    }
                    Ok(())
                });
            if !group.text_fields.is_empty() {
                let (spec, items) = (Arc::clone(compiled), Rc::clone(&handles.items));
                element_handlers = element_handlers.text(move |chunk: &mut TextChunk<'_>| {
                    let text_fields =
                        &spec.rules[rule_index].element_groups[group_index].text_fields;
                    items
                        .borrow_mut()
                        .append_text(rule_position, text_fields, chunk);
                    Ok(())
                });
            }
            settings = settings.append_element_content_handler((
                std::borrow::Cow::Borrowed(selector),
                element_handlers,
            ));
        }
        let Some(root) = &rule.root else {
            continue;
        };
        let items = Rc::clone(&handles.items);
        settings = settings.append_element_content_handler((
            std::borrow::Cow::Borrowed(&root.directly_inside_root),
            ElementContentHandlers::default().element(move |_: &mut Element<'_, '_>| {
                if let Some(progress) = items.borrow_mut().rules.get_mut(rule_position) {
                    progress.opening_root_is_direct_child = true;
                }
                Ok(())
            }),
        ));
        let root_text_fields: Vec<usize> = rule
            .fields
            .iter()
            .enumerate()
            .filter(|(_, field)| {
                matches!(field.target, FieldTarget::RootElement) && field.read == ReadMode::Text
            })
            .map(|(field_index, _)| field_index)
            .collect();
        let (spec, items, source) = (
            Arc::clone(compiled),
            Rc::clone(&handles.items),
            Rc::clone(&handles.source),
        );
        let mut root_handlers =
            ElementContentHandlers::default().element(move |element: &mut Element<'_, '_>| {
                let rule = &spec.rules[rule_index];
                open_root(&items, rule_position, rule, element, &source.borrow());
                Ok(())
            });
        if !root_text_fields.is_empty() {
            let items = Rc::clone(&handles.items);
            root_handlers = root_handlers.text(move |chunk: &mut TextChunk<'_>| {
                items
                    .borrow_mut()
                    .append_text(rule_position, &root_text_fields, chunk);
                Ok(())
            });
        }
        settings = settings.append_element_content_handler((
            std::borrow::Cow::Borrowed(&root.selector),
            root_handlers,
        ));
    }

    HtmlRewriter::new(settings, output)
}

/// An attribute's value as written (entities not decoded), like
/// `Element::get_attribute`, but borrowed from the page itself: that call
/// allocates a lowercased copy of the wanted name and a copy of the value
/// every time, and handlers run for many elements of every page. Attribute
/// ranges are offsets into the input stream, in which `html` starts at
/// `offset` (it is written in one piece); should a range not fit it,
/// lol_html's own copy is used.
pub(crate) fn raw_attribute<'h>(
    element: &Element<'_, '_>,
    html: &'h str,
    offset: usize,
    name: &str,
) -> Option<Cow<'h, str>> {
    let in_html = |location: lol_html::html_content::SourceLocation| {
        let bytes = location.bytes();
        html.get(bytes.start.checked_sub(offset)?..bytes.end.checked_sub(offset)?)
    };
    for attribute in element.attributes() {
        let Some(name_in_page) = attribute.name_source_location().and_then(in_html) else {
            return element.get_attribute(name).map(Cow::Owned);
        };
        if !name_in_page.eq_ignore_ascii_case(name) {
            continue;
        }
        // The first attribute of a name wins, as in `get_attribute`.
        return match attribute.value_source_location() {
            // `<a href>`: written without a value.
            None => Some(Cow::Borrowed("")),
            Some(location) => match in_html(location) {
                Some(value) => Some(Cow::Borrowed(value)),
                None => Some(Cow::Owned(attribute.value())),
            },
        };
    }
    None
}

impl Source<'_> {
    fn attribute<'s>(&'s self, element: &Element<'_, '_>, name: &str) -> Option<Cow<'s, str>> {
        raw_attribute(element, &self.text, self.offset, name)
    }
}

/// The rewriter's output, kept only when some field reads inner HTML.
struct KeptOutput<'a> {
    output: Option<&'a mut Vec<u8>>,
}

impl OutputSink for KeptOutput<'_> {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        if let Some(output) = &mut self.output {
            output.extend_from_slice(chunk);
        }
    }
}

/// Base URL and links, touched by link handlers only.
struct LinksState {
    collector: LinkCollector,
    /// The first usable `<base href>` seen so far.
    base_url: Option<Url>,
    warnings: WarningLog,
}

/// One field of one active rule.
#[derive(Debug, Clone, Copy)]
struct FieldSlot {
    rule_position: usize,
    field_index: usize,
}

/// Items being collected, for every rule active on this page.
#[derive(Default)]
struct ItemsState {
    /// Indexed like the page's active rules.
    rules: Vec<RuleProgress>,
    captures: Vec<Capture>,
    /// Per active rule, per field: text captures currently receiving text.
    receiving_text: Vec<Vec<Vec<usize>>>,
    /// Random per page; makes inner-HTML sentinels unguessable.
    sentinel_nonce: u64,
}

struct RuleProgress {
    items: Vec<ItemProgress>,
    /// Items whose root element is open, innermost last. Rules without a root
    /// have one page-wide item that stays open.
    open_items: Vec<usize>,
    /// Set by the "root directly inside root" handler, read by the root
    /// handler that runs right after it for the same element.
    opening_root_is_direct_child: bool,
}

impl RuleProgress {
    fn current_item(&self) -> Option<usize> {
        self.open_items.last().copied()
    }
}

struct ItemProgress {
    /// Lowercase tag name of the root element (empty for page-wide items).
    root_tag: String,
    /// Per field, the captures of its matches in document order.
    captures_by_field: Vec<Vec<usize>>,
    /// Text captures still open, finished when the item closes.
    open_text_captures: Vec<usize>,
}

struct Capture {
    slot: FieldSlot,
    content: CaptureContent,
    /// False once the element ended (or its root closed).
    receiving: bool,
}

enum CaptureContent {
    Text(TextAccumulator),
    /// Filled from the rewriter's output once the page is done.
    InnerHtml(Option<String>),
    /// Attribute values (and empty values of void elements) are known at once.
    Value {
        value: String,
        truncated: bool,
    },
}

impl ItemsState {
    fn new(active_rules: &[(usize, &CompiledRule)]) -> ItemsState {
        let rules = active_rules
            .iter()
            .map(|(_, rule)| {
                let page_wide_item = rule.root.is_none().then(|| ItemProgress {
                    root_tag: String::new(),
                    captures_by_field: vec![Vec::new(); rule.fields.len()],
                    open_text_captures: Vec::new(),
                });
                RuleProgress {
                    open_items: if page_wide_item.is_some() {
                        vec![0]
                    } else {
                        Vec::new()
                    },
                    items: page_wide_item.into_iter().collect(),
                    opening_root_is_direct_child: false,
                }
            })
            .collect();
        ItemsState {
            rules,
            captures: Vec::new(),
            receiving_text: active_rules
                .iter()
                .map(|(_, rule)| vec![Vec::new(); rule.fields.len()])
                .collect(),
            sentinel_nonce: RandomState::new().hash_one(active_rules.len()),
        }
    }

    fn add_capture(
        &mut self,
        slot: FieldSlot,
        item_index: usize,
        content: CaptureContent,
    ) -> usize {
        let capture_id = self.captures.len();
        let receiving = matches!(content, CaptureContent::Text(_));
        self.captures.push(Capture {
            slot,
            content,
            receiving,
        });
        let item = &mut self.rules[slot.rule_position].items[item_index];
        item.captures_by_field[slot.field_index].push(capture_id);
        if receiving {
            item.open_text_captures.push(capture_id);
            self.receiving_text[slot.rule_position][slot.field_index].push(capture_id);
        }
        capture_id
    }

    /// Gives a text chunk to every open text capture of the given fields.
    fn append_text(
        &mut self,
        rule_position: usize,
        field_indexes: &[usize],
        chunk: &TextChunk<'_>,
    ) {
        let text_type = chunk.text_type();
        let last_in_text_node = chunk.last_in_text_node();
        for &field_index in field_indexes {
            for &capture_id in &self.receiving_text[rule_position][field_index] {
                if let Some(Capture {
                    content: CaptureContent::Text(accumulator),
                    ..
                }) = self.captures.get_mut(capture_id)
                {
                    accumulator.push_chunk(chunk.as_str(), text_type, last_in_text_node);
                }
            }
        }
    }

    fn finish_capture(&mut self, capture_id: usize) {
        let Some(capture) = self.captures.get_mut(capture_id) else {
            return;
        };
        if !capture.receiving {
            return;
        }
        capture.receiving = false;
        if let CaptureContent::Text(accumulator) = &mut capture.content {
            accumulator.flush_pending();
        }
        let slot = capture.slot;
        self.receiving_text[slot.rule_position][slot.field_index].retain(|&id| id != capture_id);
    }

    /// Closes an item and every item opened inside it that is still open.
    fn close_item(&mut self, rule_position: usize, item_index: usize) {
        if !self
            .rules
            .get(rule_position)
            .is_some_and(|progress| progress.open_items.contains(&item_index))
        {
            return;
        }
        while let Some(closing) = self.rules[rule_position].open_items.pop() {
            let item = &mut self.rules[rule_position].items[closing];
            let open_text_captures = std::mem::take(&mut item.open_text_captures);
            for capture_id in open_text_captures {
                self.finish_capture(capture_id);
            }
            if closing == item_index {
                break;
            }
        }
    }

    /// End of document (or of parsing): whatever is open is closed.
    fn close_everything(&mut self) {
        for rule_position in 0..self.rules.len() {
            if let Some(&outermost) = self.rules[rule_position].open_items.first() {
                self.close_item(rule_position, outermost);
            }
        }
        for capture_id in 0..self.captures.len() {
            self.finish_capture(capture_id);
        }
    }

    fn sentinel(&self, capture_id: usize, is_start: bool) -> String {
        format!(
            "{SENTINEL_OPEN}{:016x}{capture_id:08x}{}{SENTINEL_CLOSE}",
            self.sentinel_nonce,
            if is_start { 's' } else { 'e' }
        )
    }

    /// Cuts each inner-HTML capture out of the rewriter's output.
    fn fill_inner_html(&mut self, output: &str) {
        let prefix = format!("{SENTINEL_OPEN}{:016x}", self.sentinel_nonce);
        let sentinel_len = prefix.len() + 8 + 1 + SENTINEL_CLOSE.len_utf8();
        // capture id -> (byte after its start sentinel, byte where its end sentinel starts)
        let mut spans: HashMap<usize, (Option<usize>, Option<usize>)> = HashMap::new();
        let mut search_from = 0;
        while let Some(found) = output[search_from..].find(&prefix) {
            let sentinel_start = search_from + found;
            let sentinel_end = sentinel_start + sentinel_len;
            let parsed = output
                .get(sentinel_start + prefix.len()..sentinel_end)
                .and_then(|tail| {
                    let capture_id = usize::from_str_radix(tail.get(..8)?, 16).ok()?;
                    let is_start = tail.get(8..9)? == "s";
                    Some((capture_id, is_start))
                });
            match parsed {
                Some((capture_id, is_start)) => {
                    let span = spans.entry(capture_id).or_default();
                    if is_start {
                        span.0 = Some(sentinel_end);
                    } else {
                        span.1 = Some(sentinel_start);
                    }
                    search_from = sentinel_end;
                }
                None => search_from = sentinel_start + prefix.len(),
            }
        }
        for (capture_id, capture) in self.captures.iter_mut().enumerate() {
            let CaptureContent::InnerHtml(inner_html) = &mut capture.content else {
                continue;
            };
            // An element without an end tag (closed implicitly) has no end
            // sentinel: its inner HTML runs to the end of the document.
            let Some((Some(start), end)) = spans.get(&capture_id).copied() else {
                continue;
            };
            let end = end.filter(|&end| end >= start).unwrap_or(output.len());
            let raw_inner_html = &output[start..end];
            *inner_html = Some(if raw_inner_html.contains(&prefix) {
                remove_sentinels(raw_inner_html, &prefix, sentinel_len)
            } else {
                raw_inner_html.to_owned()
            });
        }
    }
}

/// Private-use characters framing inner-HTML sentinels.
const SENTINEL_OPEN: char = '\u{E000}';
const SENTINEL_CLOSE: char = '\u{E001}';

fn remove_sentinels(text: &str, prefix: &str, sentinel_len: usize) -> String {
    let mut cleaned = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find(prefix) {
        cleaned.push_str(&rest[..found]);
        let skip_to = (found + sentinel_len).min(rest.len());
        match rest.get(skip_to..) {
            Some(after) => rest = after,
            None => {
                rest = &rest[found + prefix.len()..];
            }
        }
    }
    cleaned.push_str(rest);
    cleaned
}

/// Opens an item for a root element, after closing a sibling root that HTML
/// closed implicitly, and captures the fields that read the root itself.
fn open_root(
    items_state: &Rc<RefCell<ItemsState>>,
    rule_position: usize,
    rule: &CompiledRule,
    element: &mut Element<'_, '_>,
    source: &Source<'_>,
) {
    let root_tag = element.tag_name();
    let item_index = {
        let state = &mut *items_state.borrow_mut();
        let progress = &mut state.rules[rule_position];
        if std::mem::take(&mut progress.opening_root_is_direct_child)
            && let Some(open_item) = progress.current_item()
            && closes_implicitly(&root_tag, &progress.items[open_item].root_tag)
        {
            state.close_item(rule_position, open_item);
        }
        let progress = &mut state.rules[rule_position];
        let item_index = progress.items.len();
        progress.items.push(ItemProgress {
            root_tag,
            captures_by_field: vec![Vec::new(); rule.fields.len()],
            open_text_captures: Vec::new(),
        });
        progress.open_items.push(item_index);
        item_index
    };
    for (field_index, field) in rule.fields.iter().enumerate() {
        if matches!(field.target, FieldTarget::RootElement) {
            let slot = FieldSlot {
                rule_position,
                field_index,
            };
            start_capture(items_state, slot, field, item_index, element, source);
        }
    }
    let closer = Rc::clone(items_state);
    let end_tag_handler = Box::new(move |_: &mut EndTag<'_>| -> HandlerResult {
        closer.borrow_mut().close_item(rule_position, item_index);
        Ok(())
    });
    match element.end_tag_handlers() {
        Some(handlers) => handlers.push(end_tag_handler),
        // A void root (`<img>`) has no content and no end tag.
        None => items_state
            .borrow_mut()
            .close_item(rule_position, item_index),
    }
}

/// Records one element matched by a field: reads the attribute now, or starts
/// collecting its text or inner HTML until its end tag.
fn start_capture(
    items_state: &Rc<RefCell<ItemsState>>,
    slot: FieldSlot,
    field: &CompiledField,
    item_index: usize,
    element: &mut Element<'_, '_>,
    source: &Source<'_>,
) {
    let mut state = items_state.borrow_mut();
    let item = &state.rules[slot.rule_position].items[item_index];
    if !field.list && !item.captures_by_field[slot.field_index].is_empty() {
        return;
    }
    let can_have_content = element.can_have_content();
    match &field.read {
        ReadMode::Attr(attribute_name) => {
            // An element without the attribute does not count as a match, so
            // `img` with `attr = "src"` finds the first image that has one.
            if let Some(raw_value) = source.attribute(element, attribute_name) {
                let mut value = decode_entities(&raw_value).replace('\0', "\u{FFFD}");
                let truncated = truncate_at_char_boundary(&mut value, MAX_FIELD_VALUE_BYTES);
                state.add_capture(slot, item_index, CaptureContent::Value { value, truncated });
            }
        }
        ReadMode::Text if can_have_content => {
            let accepts_raw_text = matches!(
                element.tag_name().as_str(),
                "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript"
            );
            let capture_id = state.add_capture(
                slot,
                item_index,
                CaptureContent::Text(TextAccumulator::new(accepts_raw_text)),
            );
            drop(state);
            let finisher = Rc::clone(items_state);
            if let Some(handlers) = element.end_tag_handlers() {
                handlers.push(Box::new(move |_: &mut EndTag<'_>| -> HandlerResult {
                    finisher.borrow_mut().finish_capture(capture_id);
                    Ok(())
                }));
            }
        }
        ReadMode::Html if can_have_content => {
            let capture_id = state.add_capture(slot, item_index, CaptureContent::InnerHtml(None));
            element.prepend(&state.sentinel(capture_id, true), ContentType::Html);
            element.append(&state.sentinel(capture_id, false), ContentType::Html);
        }
        // Void elements (`<img>`, `<br>`) have no text and no inner HTML.
        ReadMode::Text | ReadMode::Html => {
            state.add_capture(
                slot,
                item_index,
                CaptureContent::Value {
                    value: String::new(),
                    truncated: false,
                },
            );
        }
    }
}

/// Whether opening `opening_tag` right inside an open `open_tag` closes it, per
/// HTML's optional end tag rules (only the cases that matter for item roots).
fn closes_implicitly(opening_tag: &str, open_tag: &str) -> bool {
    match open_tag {
        "li" => opening_tag == "li",
        "dt" | "dd" => matches!(opening_tag, "dt" | "dd"),
        "tr" => opening_tag == "tr",
        "td" | "th" => matches!(opening_tag, "td" | "th" | "tr"),
        "option" => matches!(opening_tag, "option" | "optgroup"),
        "optgroup" => opening_tag == "optgroup",
        "thead" | "tbody" | "tfoot" => matches!(opening_tag, "thead" | "tbody" | "tfoot"),
        "rb" | "rt" | "rtc" | "rp" => matches!(opening_tag, "rb" | "rt" | "rtc" | "rp"),
        "p" => matches!(
            opening_tag,
            "p" | "address"
                | "article"
                | "aside"
                | "blockquote"
                | "details"
                | "div"
                | "dl"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "form"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "header"
                | "hr"
                | "main"
                | "nav"
                | "ol"
                | "pre"
                | "section"
                | "table"
                | "ul"
        ),
        _ => false,
    }
}

/// Cuts `text` to at most `max_bytes` at a character boundary; true if it cut.
fn truncate_at_char_boundary(text: &mut String, max_bytes: usize) -> bool {
    if text.len() <= max_bytes {
        return false;
    }
    let mut cut_at = max_bytes;
    while !text.is_char_boundary(cut_at) {
        cut_at -= 1;
    }
    text.truncate(cut_at);
    true
}

/// Builds the text of one captured element from lol_html's chunks.
struct TextAccumulator {
    text: String,
    /// Raw (undecoded) text of the current text node, decoded when it ends.
    pending_raw: String,
    /// A whitespace run was seen after some text; written before the next word.
    pending_space: bool,
    /// The element is `<script>`/`<style>`/...: its raw text is the value.
    accepts_raw_text: bool,
    truncated: bool,
}

impl TextAccumulator {
    fn new(accepts_raw_text: bool) -> TextAccumulator {
        TextAccumulator {
            text: String::new(),
            pending_raw: String::new(),
            pending_space: false,
            accepts_raw_text,
            truncated: false,
        }
    }

    fn push_chunk(&mut self, raw: &str, text_type: TextType, last_in_text_node: bool) {
        if self.truncated {
            return;
        }
        match text_type {
            TextType::Data | TextType::RCData => {
                if self.pending_raw.is_empty() && last_in_text_node && !raw.contains('&') {
                    self.push_collapsed(raw);
                    return;
                }
                self.pending_raw.push_str(raw);
                if last_in_text_node {
                    self.flush_pending();
                } else if self.pending_raw.len() > MAX_PENDING_RAW_TEXT_BYTES {
                    self.flush_pending_prefix();
                }
            }
            // Script and style text is code, not content, unless the captured
            // element is the script itself (JSON-LD, inline data).
            TextType::ScriptData | TextType::RawText => {
                if self.accepts_raw_text {
                    self.push_collapsed(raw);
                }
            }
            TextType::PlainText | TextType::CDataSection => self.push_collapsed(raw),
        }
    }

    fn flush_pending(&mut self) {
        if self.pending_raw.is_empty() {
            return;
        }
        let pending_raw = std::mem::take(&mut self.pending_raw);
        let mut decoded = String::with_capacity(pending_raw.len());
        decode_entities_into(&pending_raw, &mut decoded);
        self.push_collapsed(&decoded);
    }

    /// Decodes most of a long pending text node, keeping a tail that might
    /// hold the start of a character reference split across chunks.
    fn flush_pending_prefix(&mut self) {
        let tail_start = self.pending_raw.len().saturating_sub(MAX_REFERENCE_LEN);
        let split_at = self.pending_raw[tail_start..]
            .rfind('&')
            .map_or(self.pending_raw.len(), |found| tail_start + found);
        let tail = self.pending_raw.split_off(split_at);
        self.flush_pending();
        self.pending_raw = tail;
    }

    /// Appends with whitespace runs collapsed to one space and NULs dropped
    /// (HTML ignores them in text); leading and trailing whitespace vanish.
    fn push_collapsed(&mut self, text: &str) {
        if text.contains('\0') {
            let without_nuls: String = text
                .chars()
                .filter(|&character| character != '\0')
                .collect();
            self.push_collapsed(&without_nuls);
            return;
        }
        let mut rest = text;
        while !rest.is_empty() {
            let word_start = rest.trim_start();
            if word_start.len() != rest.len() && !self.text.is_empty() {
                self.pending_space = true;
            }
            let word_len = word_start
                .find(char::is_whitespace)
                .unwrap_or(word_start.len());
            let word = &word_start[..word_len];
            rest = &word_start[word_len..];
            if word.is_empty() {
                continue;
            }
            let space_len = usize::from(self.pending_space);
            if self.text.len() + space_len + word.len() > MAX_FIELD_VALUE_BYTES {
                self.truncated = true;
                let room = MAX_FIELD_VALUE_BYTES.saturating_sub(self.text.len() + space_len);
                let mut cut_at = room.min(word.len());
                while !word.is_char_boundary(cut_at) {
                    cut_at -= 1;
                }
                if self.pending_space && cut_at > 0 {
                    self.text.push(' ');
                }
                self.text.push_str(&word[..cut_at]);
                return;
            }
            if self.pending_space {
                self.text.push(' ');
                self.pending_space = false;
            }
            self.text.push_str(word);
        }
    }
}

/// Turns the collected captures into items, applying types, defaults,
/// `required` and `key`; also returns how many items were dropped.
fn build_items(
    active_rules: &[(usize, &CompiledRule)],
    mut items_state: ItemsState,
    page_url: &Url,
    base_url: &Url,
    warnings: &mut WarningLog,
) -> (Vec<Item>, u64) {
    let mut items = Vec::new();
    let mut dropped_items = 0;
    let rules = std::mem::take(&mut items_state.rules);
    for ((_, rule), progress) in active_rules.iter().zip(rules) {
        for item_progress in progress.items {
            let raw_values_by_field = item_progress
                .captures_by_field
                .iter()
                .zip(&rule.fields)
                .map(|(capture_ids, field)| {
                    raw_values(
                        &mut items_state,
                        rule,
                        field,
                        capture_ids,
                        page_url,
                        warnings,
                    )
                })
                .collect::<Vec<_>>();
            match build_item(rule, raw_values_by_field, page_url, base_url, warnings) {
                Some(item) => items.push(item),
                None => dropped_items += 1,
            }
        }
    }
    (items, dropped_items)
}

/// The raw strings of one field of one item, in document order.
fn raw_values(
    items_state: &mut ItemsState,
    rule: &CompiledRule,
    field: &CompiledField,
    capture_ids: &[usize],
    page_url: &Url,
    warnings: &mut WarningLog,
) -> Vec<String> {
    match field.target {
        FieldTarget::PageUrl => return vec![page_url.as_str().to_owned()],
        FieldTarget::Nothing => return Vec::new(),
        FieldTarget::RootElement | FieldTarget::Elements(_) => {}
    }
    let mut values = Vec::with_capacity(capture_ids.len());
    for &capture_id in capture_ids {
        let Some(capture) = items_state.captures.get_mut(capture_id) else {
            continue;
        };
        let (value, truncated) =
            match std::mem::replace(&mut capture.content, CaptureContent::InnerHtml(None)) {
                CaptureContent::Text(accumulator) => (accumulator.text, accumulator.truncated),
                CaptureContent::InnerHtml(Some(mut inner_html)) => {
                    let truncated =
                        truncate_at_char_boundary(&mut inner_html, MAX_FIELD_VALUE_BYTES);
                    (inner_html, truncated)
                }
                // No start sentinel in the output: parsing stopped before it.
                CaptureContent::InnerHtml(None) => continue,
                CaptureContent::Value { value, truncated } => (value, truncated),
            };
        if truncated {
            warnings.push(ExtractWarning::FieldTooLong {
                rule: rule.name.clone(),
                field: field.name.clone(),
                max_bytes: MAX_FIELD_VALUE_BYTES,
            });
        }
        values.push(value);
    }
    values
}

/// Types one item's fields; `None` when the item is dropped (warning recorded).
fn build_item(
    rule: &CompiledRule,
    raw_values_by_field: Vec<Vec<String>>,
    page_url: &Url,
    base_url: &Url,
    warnings: &mut WarningLog,
) -> Option<Item> {
    let mut fields = Map::with_capacity(rule.fields.len());
    for (field, raw_values) in rule.fields.iter().zip(raw_values_by_field) {
        let value = if field.list {
            typed_list(rule, field, &raw_values, base_url, warnings)?
        } else {
            typed_single(rule, field, raw_values.first(), base_url, warnings)?
        };
        fields.insert(field.name.clone(), value);
    }
    let key = match rule
        .key_field
        .and_then(|key_index| rule.fields.get(key_index))
    {
        Some(key_field) => {
            let key_value = fields.get(&key_field.name).unwrap_or(&Value::Null);
            match render_key(key_value) {
                Some(key) => Some(key),
                None => {
                    warnings.push(ExtractWarning::MissingKey {
                        rule: rule.name.clone(),
                        key_field: key_field.name.clone(),
                    });
                    return None;
                }
            }
        }
        None => None,
    };
    Some(Item {
        kind: rule.name.clone(),
        key,
        url: page_url.as_str().to_owned(),
        fields,
    })
}

/// The first match's value; `None` means the item is dropped.
fn typed_single(
    rule: &CompiledRule,
    field: &CompiledField,
    raw_value: Option<&String>,
    base_url: &Url,
    warnings: &mut WarningLog,
) -> Option<Value> {
    let parsed = match raw_value {
        Some(raw_value) => field.parser.parse(raw_value, base_url),
        None => Parsed::Empty,
    };
    match parsed {
        Parsed::Value(value) => Some(value),
        Parsed::Empty => missing_value(rule, field, warnings),
        Parsed::Failed { expected } => {
            warnings.push(ExtractWarning::Unparsable {
                rule: rule.name.clone(),
                field: field.name.clone(),
                value: quote_excerpt(raw_value.map_or("", String::as_str)),
                expected,
                item_dropped: field.required,
            });
            if field.required {
                None
            } else {
                Some(field.default.clone().unwrap_or(Value::Null))
            }
        }
    }
}

/// Every match's value; entries that fail to parse are left out (with a
/// warning), and drop the item when the field is required.
fn typed_list(
    rule: &CompiledRule,
    field: &CompiledField,
    raw_values: &[String],
    base_url: &Url,
    warnings: &mut WarningLog,
) -> Option<Value> {
    let mut entries = Vec::with_capacity(raw_values.len());
    for raw_value in raw_values {
        match field.parser.parse(raw_value, base_url) {
            Parsed::Value(value) => entries.push(value),
            Parsed::Empty => {}
            Parsed::Failed { expected } => {
                warnings.push(ExtractWarning::Unparsable {
                    rule: rule.name.clone(),
                    field: field.name.clone(),
                    value: quote_excerpt(raw_value),
                    expected,
                    item_dropped: field.required,
                });
                if field.required {
                    return None;
                }
            }
        }
    }
    if entries.is_empty() {
        return match (field.required, &field.default) {
            (false, None) => Some(Value::Array(entries)),
            _ => missing_value(rule, field, warnings),
        };
    }
    Some(Value::Array(entries))
}

/// The value of a field that matched nothing: `None` (item dropped) when
/// required, else its default or null.
fn missing_value(
    rule: &CompiledRule,
    field: &CompiledField,
    warnings: &mut WarningLog,
) -> Option<Value> {
    if field.required {
        warnings.push(ExtractWarning::MissingRequired {
            rule: rule.name.clone(),
            field: field.name.clone(),
        });
        return None;
    }
    Some(field.default.clone().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests;
