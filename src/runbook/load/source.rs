//! Positions in a runbook file: problems at byte offsets, and where the
//! text of a string value (an expression) starts.

use std::ops::Range;

use super::Problem;

/// Problems at byte offsets, and where an expression's text starts.
pub(super) struct Source<'a> {
    pub(super) file: &'a str,
    text: &'a str,
}

impl<'a> Source<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, text }
    }

    pub(super) fn problem(&self, offset: usize, message: impl Into<String>) -> Problem {
        let (line, col) = crate::position::line_col(self.text, offset);
        Problem {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// Offset of the first character inside a string value's quotes.
    pub(super) fn content_start(&self, span: &Range<usize>) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            let after = span.start + 3;
            let rest = &self.text[after.min(self.text.len())..];
            after
                + if rest.starts_with("\r\n") {
                    2
                } else {
                    usize::from(rest.starts_with('\n'))
                }
        } else {
            span.start + 1
        }
    }

    /// File offset of (line, col) inside the string value at `span`.
    pub(super) fn inside(&self, span: &Range<usize>, line: usize, col: usize) -> usize {
        let mut at = self.content_start(span);
        for _ in 1..line {
            match self.text[at.min(self.text.len())..].find('\n') {
                Some(i) => at += i + 1,
                None => break,
            }
        }
        let rest = &self.text[at.min(self.text.len())..];
        at + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
    }
}
