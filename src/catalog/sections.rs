//! Migrations that keep both directions in one file: dbmate (`-- migrate:up` /
//! `-- migrate:down`) and goose (`-- +goose Up` / `-- +goose Down`).
//!
//! Owns recognising the marker lines, splitting a file into its up and down sections, the
//! up-only view the linter reads (rollback sections blanked so positions do not move), and
//! the no-transaction options the markers carry (`-- migrate:up transaction:false`,
//! `-- +goose NO TRANSACTION`). Other goose annotations (`StatementBegin` / `StatementEnd`)
//! stay in the text: the statement splitter reads them.

/// Which convention marks a file's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Markers {
    /// `-- migrate:up [transaction:false]` / `-- migrate:down`.
    Dbmate,
    /// `-- +goose Up` / `-- +goose Down`, `-- +goose NO TRANSACTION`.
    Goose,
}

/// What one line of a sectioned file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Up { no_transaction: bool },
    Down,
    NoTransaction,
    Text,
}

/// A sectioned file's parts (marker lines removed; several sections of one kind are
/// joined; text before the first marker is left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sections {
    pub up: String,
    /// `None` when the file has no down section.
    pub down: Option<String>,
}

impl Markers {
    /// The convention a file's text uses: the first up marker found decides.
    ///
    /// ```
    /// use bellows::catalog::sections::Markers;
    /// assert_eq!(Markers::detect("-- +goose Up\nSELECT 1;\n"), Some(Markers::Goose));
    /// assert_eq!(Markers::detect("-- migrate:up\nSELECT 1;\n"), Some(Markers::Dbmate));
    /// assert_eq!(Markers::detect("SELECT 1;\n"), None);
    /// ```
    pub fn detect(text: &str) -> Option<Markers> {
        text.lines().find_map(|line| {
            [Markers::Dbmate, Markers::Goose]
                .into_iter()
                .find(|m| matches!(m.line(line), Line::Up { .. }))
        })
    }

    /// How a section is named in messages: `migrate:up`, `+goose Down`.
    pub fn label(self, up: bool) -> &'static str {
        match (self, up) {
            (Markers::Dbmate, true) => "migrate:up",
            (Markers::Dbmate, false) => "migrate:down",
            (Markers::Goose, true) => "+goose Up",
            (Markers::Goose, false) => "+goose Down",
        }
    }

    fn line(self, line: &str) -> Line {
        let Some(rest) = line.trim().strip_prefix("--") else {
            return Line::Text;
        };
        let rest = rest.trim();
        match self {
            Markers::Dbmate => {
                if let Some(options) = rest.strip_prefix("migrate:up") {
                    if options.is_empty() || options.starts_with(char::is_whitespace) {
                        let no_transaction = options
                            .split_whitespace()
                            .any(|o| o.eq_ignore_ascii_case("transaction:false"));
                        return Line::Up { no_transaction };
                    }
                }
                match rest.strip_prefix("migrate:down") {
                    Some(o) if o.is_empty() || o.starts_with(char::is_whitespace) => Line::Down,
                    _ => Line::Text,
                }
            }
            Markers::Goose => {
                let Some(command) = strip_prefix_ignore_case(rest, "+goose") else {
                    return Line::Text;
                };
                let words: Vec<String> = command
                    .split_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
                match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                    ["up"] => Line::Up {
                        no_transaction: false,
                    },
                    ["down"] => Line::Down,
                    ["no", "transaction"] => Line::NoTransaction,
                    _ => Line::Text,
                }
            }
        }
    }

    /// Splits a file into its up and down sections.
    pub fn split(self, text: &str) -> Sections {
        #[derive(PartialEq)]
        enum In {
            Preamble,
            Up,
            Down,
        }
        let mut at = In::Preamble;
        let mut up = String::new();
        let mut down: Option<String> = None;
        for line in text.split_inclusive('\n') {
            match self.line(line) {
                Line::Up { .. } => at = In::Up,
                Line::Down => {
                    at = In::Down;
                    down.get_or_insert_with(String::new);
                }
                Line::NoTransaction | Line::Text => match at {
                    In::Preamble => {}
                    In::Up => up.push_str(line),
                    In::Down => down.get_or_insert_with(String::new).push_str(line),
                },
            }
        }
        Sections { up, down }
    }

    /// The file as the linter reads it: every down section blanked (newlines kept, so
    /// lines and columns stay where they are in the file).
    pub fn blank_down(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut in_down = false;
        for line in text.split_inclusive('\n') {
            match self.line(line) {
                Line::Up { .. } => in_down = false,
                Line::Down => in_down = true,
                _ => {}
            }
            if in_down {
                out.extend(line.chars().map(|c| match c {
                    '\n' | '\r' => c,
                    _ => ' ',
                }));
            } else {
                out.push_str(line);
            }
        }
        out
    }

    /// The file asks to run outside a transaction.
    pub fn no_transaction(self, text: &str) -> bool {
        text.lines().any(|l| {
            matches!(
                self.line(l),
                Line::NoTransaction
                    | Line::Up {
                        no_transaction: true
                    }
            )
        })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_split_and_options() {
        let s = Markers::Dbmate.split(
            "-- a comment\n-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        assert_eq!(s.up, "CREATE TABLE t (id int);\n\n");
        assert_eq!(s.down.as_deref(), Some("DROP TABLE t;\n"));
        assert!(Markers::Dbmate
            .split("-- migrate:up\nSELECT 1;\n")
            .down
            .is_none());
        assert!(Markers::Dbmate.no_transaction("-- migrate:up transaction:false\nSELECT 1;\n"));
        assert!(!Markers::Dbmate.no_transaction("-- migrate:up\nSELECT 1;\n"));
        // `-- migrate:upgrade` is not a marker.
        assert_eq!(Markers::detect("-- migrate:upgrade\nSELECT 1;\n"), None);
    }

    #[test]
    fn goose_split_keeps_statement_annotations() {
        let text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f();\n";
        let m = Markers::detect(text).unwrap();
        assert_eq!(m, Markers::Goose);
        let s = m.split(text);
        assert!(s
            .up
            .starts_with("-- +goose StatementBegin\nCREATE FUNCTION"));
        assert!(s.up.contains("-- +goose StatementEnd\n"));
        assert!(!s.up.contains("DROP"));
        assert_eq!(s.down.as_deref(), Some("DROP FUNCTION f();\n"));
        assert!(m.no_transaction(text));
        assert!(!m.no_transaction("-- +goose Up\nSELECT 1;\n"));
        // Annotations are read case-insensitively, as goose does.
        assert_eq!(
            Markers::detect("-- +goose up\nSELECT 1;\n"),
            Some(Markers::Goose)
        );
    }

    #[test]
    fn blanking_keeps_positions() {
        let text = "-- +goose Up\nCREATE TABLE t (id int);\r\n-- +goose Down\nDROP TABLE t;\n";
        let blank = Markers::Goose.blank_down(text);
        assert_eq!(blank.len(), text.len());
        assert_eq!(blank.lines().count(), text.lines().count());
        assert!(blank.contains("CREATE TABLE") && !blank.contains("DROP"));
        // An up section after a down section is kept.
        let text =
            "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:up\nSELECT 3;\n";
        let blank = Markers::Dbmate.blank_down(text);
        assert!(
            blank.contains("SELECT 1;")
                && !blank.contains("SELECT 2;")
                && blank.contains("SELECT 3;")
        );
    }
}
