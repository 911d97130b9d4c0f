//! Where a byte offset sits in a text, as editors count: 1-based line and
//! column, the column in characters. Every file error sitrep reports
//! (config, theme, keymap, scenario, runbook, expression) goes through here.

/// 1-based line and column (in characters) of a byte offset; an offset past
/// the end or inside a character counts from the character it falls in.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn counts_characters_not_bytes() {
        let text = "a = 1\nné = \"x\"\n";
        let at = text.find('=').unwrap();
        assert_eq!(line_col(text, at), (1, 3));
        let second = text.rfind('=').unwrap();
        assert_eq!(line_col(text, second), (2, 4), "é is one column");
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_do_not_panic() {
        let text = "é";
        assert_eq!(line_col(text, 1), (1, 1));
        assert_eq!(line_col(text, 99), (1, 2));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
