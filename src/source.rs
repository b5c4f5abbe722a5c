//! Source text: reading a migration file, its line index, and positions for diagnostics.
//!
//! Owns the mapping from byte offsets to 1-based line / column (columns count characters,
//! so a BOM or CRLF line ends never shift them). Does not parse SQL.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Why a file's bytes could not be used as text as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    /// Valid UTF-8 (a leading BOM is removed).
    Utf8,
    /// Invalid UTF-8: replaced with U+FFFD; the byte offset (in the cleaned text) of the first bad byte.
    InvalidUtf8 { at: usize },
    /// A NUL byte: this is a binary file, not SQL. The offset of the first NUL.
    Binary { at: usize },
}

/// One file's text, shared cheaply between the linter and the reports.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user named it (or `<stdin>`).
    pub path: String,
    /// The text with a leading BOM removed; all spans index into it.
    pub text: Arc<str>,
    pub encoding: Encoding,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    /// Builds a source from raw bytes, never failing: bad bytes are recorded in `encoding`.
    pub fn from_bytes(path: impl Into<String>, bytes: &[u8]) -> Self {
        let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        match std::str::from_utf8(bytes) {
            Ok(s) => Self::from_text(path.into(), s.to_owned()),
            Err(e) => Self::from_invalid(path.into(), bytes, e.valid_up_to()),
        }
    }

    /// Like [`SourceFile::from_bytes`], taking the bytes: valid UTF-8 is not copied on the
    /// way (a leading BOM is removed in place).
    pub fn from_vec(path: impl Into<String>, mut bytes: Vec<u8>) -> Self {
        if bytes.starts_with(BOM) {
            bytes.drain(..BOM.len());
        }
        match String::from_utf8(bytes) {
            Ok(text) => Self::from_text(path.into(), text),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                Self::from_invalid(path.into(), e.as_bytes(), at)
            }
        }
    }

    /// Valid UTF-8 without its BOM.
    fn from_text(path: String, text: String) -> Self {
        let encoding = match memchr_nul(text.as_bytes()) {
            Some(at) => Encoding::Binary { at },
            None => Encoding::Utf8,
        };
        Self::new_with_encoding(path, text, encoding)
    }

    /// Bytes without their BOM that are not UTF-8 from `at` on.
    fn from_invalid(path: String, bytes: &[u8], at: usize) -> Self {
        let lossy = String::from_utf8_lossy(bytes).into_owned();
        let encoding = match memchr_nul(bytes) {
            Some(nul) => Encoding::Binary {
                at: nul.min(lossy.len()),
            },
            None => Encoding::InvalidUtf8 { at },
        };
        Self::new_with_encoding(path, lossy, encoding)
    }

    /// Builds a source from text (a leading BOM is removed).
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self::from_vec(path, text.into().into_bytes())
    }

    /// Reads a file from disk.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Ok(Self::from_vec(path.display().to_string(), bytes))
    }

    fn new_with_encoding(path: String, text: String, encoding: Encoding) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text: Arc::from(text),
            encoding,
            line_starts: Arc::from(line_starts),
        }
    }

    /// The 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The position just past the last character of a span (an exclusive end), as
    /// editors and SARIF expect.
    pub fn end_position(&self, span: &Range<usize>) -> Position {
        self.position(span.end)
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn slice(&self, span: &Range<usize>) -> &str {
        &self.text[span.clone()]
    }
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    // `contains` searches a word at a time; nearly every file has no NUL.
    if !bytes.contains(&0) {
        return None;
    }
    bytes.iter().position(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf_do_not_shift_positions() {
        let plain = SourceFile::new("a.sql", "SELECT 1;\nALTER TABLE t;\n");
        let bom_crlf =
            SourceFile::from_bytes("a.sql", b"\xEF\xBB\xBFSELECT 1;\r\nALTER TABLE t;\r\n");
        let at_plain = plain.text.find("ALTER").unwrap();
        let at_crlf = bom_crlf.text.find("ALTER").unwrap();
        assert_eq!(plain.position(at_plain), bom_crlf.position(at_crlf));
        assert_eq!(plain.position(at_plain), Position { line: 2, column: 1 });
    }

    #[test]
    fn columns_count_characters() {
        let src = SourceFile::new("a.sql", "-- é\nSELECT 'ü', x;");
        let at = src.text.find('x').unwrap();
        assert_eq!(
            src.position(at),
            Position {
                line: 2,
                column: 13
            }
        );
    }

    #[test]
    fn taking_the_bytes_reads_them_as_borrowing_does() {
        let cases: [&[u8]; 7] = [
            b"SELECT 1;\nSELECT 2;",
            b"\xEF\xBB\xBFSELECT 1;\r\n",
            b"\xEF\xBB\xBF\xEF\xBB\xBFSELECT \xff;",
            b"SELECT \xff\x00;",
            b"\x00\x01",
            b"\xEF\xBB",
            b"",
        ];
        for bytes in cases {
            let borrowed = SourceFile::from_bytes("a.sql", bytes);
            let owned = SourceFile::from_vec("a.sql", bytes.to_vec());
            assert_eq!(owned.text, borrowed.text, "{bytes:?}");
            assert_eq!(owned.encoding, borrowed.encoding, "{bytes:?}");
            assert_eq!(owned.line_starts, borrowed.line_starts, "{bytes:?}");
        }
        // One BOM is removed, not two.
        let twice = SourceFile::from_vec("a.sql", b"\xEF\xBB\xBF\xEF\xBB\xBFx".to_vec());
        assert_eq!(&*twice.text, "\u{feff}x");
    }

    #[test]
    fn invalid_utf8_and_binary_are_recorded() {
        let bad = SourceFile::from_bytes("a.sql", b"SELECT \xff;");
        assert_eq!(bad.encoding, Encoding::InvalidUtf8 { at: 7 });
        let bin = SourceFile::from_bytes("a.sql", b"\x00\x01\x02");
        assert!(matches!(bin.encoding, Encoding::Binary { .. }));
    }
}
