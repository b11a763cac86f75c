//! What a user sees when a spec is wrong: every problem with file, line,
//! column, key path and a fix, as plain lines or as a miette report.
//!
//! Problems are collected, never fail-fast (vector's config compiler): fixing
//! a spec should take one edit round, not one per mistake.

use std::fmt;
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::key_path::{KeyPath, line_and_column};

/// Every problem found in one spec source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDiagnostics {
    /// Name of the spec shown in messages (usually its file name).
    pub origin: String,
    /// The TOML text the spans point into.
    pub source: String,
    /// In source order of discovery; never empty.
    pub problems: Vec<Problem>,
}

/// One thing wrong with a spec, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong and what was expected (lowercase, no trailing period).
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Byte range of the offending text in the source; `None` when the
    /// problem is about something absent from the file (e.g. no start URL).
    pub span: Option<Range<usize>>,
    /// 1-based line of the span's start; 0 when there is no span.
    pub line: usize,
    /// 1-based column (in characters) of the span's start; 0 when there is no span.
    pub column: usize,
    /// Where the problem is, e.g. `extract[0].fields.price.regex`; empty for
    /// the document as a whole.
    pub key_path: String,
}

impl Problem {
    /// A problem located at `span` (if any) in `source`.
    pub(crate) fn new(
        source: &str,
        key_path: &KeyPath,
        span: Option<Range<usize>>,
        message: String,
        help: Option<String>,
    ) -> Problem {
        let (line, column) = span
            .as_ref()
            .map_or((0, 0), |span| line_and_column(source, span.start));
        Problem {
            message,
            help,
            span,
            line,
            column,
            key_path: key_path.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key_path.is_empty() {
            formatter.write_str(&self.message)
        } else {
            write!(formatter, "{}: {}", self.key_path, self.message)
        }
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        let label = LabeledSpan::new_with_span(Some(self.message.clone()), span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// The plain form: one `origin:line:column: key: message (help: ...)` line
/// per problem, for logs, CI output and editors' problem matchers.
impl fmt::Display for SpecDiagnostics {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, problem) in self.problems.iter().enumerate() {
            if position > 0 {
                formatter.write_str("\n")?;
            }
            formatter.write_str(&self.origin)?;
            if problem.span.is_some() {
                write!(formatter, ":{}:{}", problem.line, problem.column)?;
            }
            write!(formatter, ": {problem}")?;
            if let Some(help) = &problem.help {
                write!(formatter, " (help: {help})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for SpecDiagnostics {}

impl Diagnostic for SpecDiagnostics {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.problems
                .iter()
                .map(|problem| problem as &dyn Diagnostic),
        ))
    }
}

/// The source text, named after the origin so snippets read `[books.toml:12:9]`.
impl SourceCode for SpecDiagnostics {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents =
            self.source
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.origin.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// One problem paired with the source it points into, so it can be
/// rendered as a report of its own.
///
/// Each problem is rendered at top level rather than as a related diagnostic
/// of the whole: miette indents related diagnostics, which makes the labels
/// wrap in the middle of a sentence.
struct ProblemReport<'a> {
    problem: &'a Problem,
    diagnostics: &'a SpecDiagnostics,
}

impl fmt::Debug for ProblemReport<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.problem, formatter)
    }
}

impl fmt::Display for ProblemReport<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.problem, formatter)
    }
}

impl std::error::Error for ProblemReport<'_> {}

impl Diagnostic for ProblemReport<'_> {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.diagnostics)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem.help()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.problem.labels()
    }
}

/// Width the report is wrapped at; fixed so output does not depend on the
/// terminal the tests (or a CI log) run in.
const REPORT_WIDTH_COLUMNS: usize = 100;

/// The report for humans: a headline, then each problem with a source
/// snippet, a label under the offending text and the help line.
pub fn render_report(diagnostics: &SpecDiagnostics, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(REPORT_WIDTH_COLUMNS);
    let count = diagnostics.problems.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    let mut report = format!("invalid spec {}: {count} {noun}\n", diagnostics.origin);
    for problem in &diagnostics.problems {
        let problem_report = ProblemReport {
            problem,
            diagnostics,
        };
        report.push('\n');
        if handler.render_report(&mut report, &problem_report).is_err() {
            // Writing into a String cannot fail; should a Display impl fail
            // anyway, the plain form still tells the user everything.
            return diagnostics.to_string();
        }
    }
    report
}
