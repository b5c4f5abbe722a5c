//! Expand, backfill and contract kept in separate migrations.

pub mod backfill_with_ddl;
pub mod mixed_phases;
pub mod unbatched_backfill;

/// The start of a statement's text on one line, for naming it in a message.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    // The words joined by single spaces, only as far as the excerpt needs (a statement can
    // be a long INSERT).
    let mut flat = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > MAX {
            break;
        }
        if !flat.is_empty() {
            flat.push(' ');
            chars += 1;
        }
        flat.push_str(word);
        chars += word.chars().count();
    }
    if chars <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    /// The excerpt from the whole statement flattened.
    fn from_all(text: &str) -> String {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() <= 60 {
            flat
        } else {
            let cut: String = flat.chars().take(60).collect();
            format!("{}…", cut.trim_end())
        }
    }

    #[test]
    fn the_excerpt_reads_only_what_it_shows() {
        let long = format!("INSERT INTO t VALUES {}", "(1, 'é'),\n  ".repeat(1000));
        let word = "x".repeat(100);
        let cases = [
            "",
            "  \n ",
            "UPDATE t SET a = 1",
            &"a ".repeat(30),
            &"a ".repeat(31),
            &format!("{} b", "é".repeat(59)),
            &format!("{} b", "é".repeat(58)),
            &format!("{} bc", "é".repeat(58)),
            &word,
            &long,
        ];
        for text in cases {
            assert_eq!(excerpt(text), from_all(text), "{text:?}");
        }
    }
}
