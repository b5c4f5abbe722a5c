//! Byte offsets ↔ LSP positions (0-based lines, columns in UTF-16 code units).

use lsp_types::{Position, Range};

/// The position of a byte offset in `text`.
pub fn position_of(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count();
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    Position::new(line as u32, character as u32)
}

/// The range of a byte span in `text`.
pub fn range_of(text: &str, span: &std::ops::Range<usize>) -> Range {
    Range::new(position_of(text, span.start), position_of(text, span.end))
}

/// The byte offset of a position in `text` (clamped to its line and to the text).
pub fn offset_of(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns() {
        let text = "SELECT 1;\n-- é𝄞\nDROP TABLE t;";
        let drop = text.find("DROP").unwrap();
        assert_eq!(position_of(text, drop), Position::new(2, 0));
        let after = text.find('\u{1d11e}').unwrap() + 4;
        // `-- ` (3) + é (1) + 𝄞 (2 units)
        assert_eq!(position_of(text, after), Position::new(1, 6));
        assert_eq!(offset_of(text, Position::new(1, 6)), after);
        assert_eq!(offset_of(text, Position::new(2, 5)), drop + 5);
        assert_eq!(offset_of(text, Position::new(9, 0)), text.len());
    }
}
