//! `--color always|never|auto`: one choice for every coloured byte bellows writes (lint
//! reports on stdout, errors on stderr), and the one way error reports are laid out.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// When output is coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the command line's choice (the first call wins).
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether a stream that is (or is not) a terminal gets colour.
pub fn enabled(terminal: bool) -> bool {
    match CHOICE.get().copied().unwrap_or_default() {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // https://no-color.org: set and not empty.
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Colour on standard output.
pub fn stdout() -> bool {
    enabled(std::io::stdout().is_terminal())
}

/// Colour on standard error.
pub fn stderr() -> bool {
    enabled(std::io::stderr().is_terminal())
}

/// The width text is laid out in: `COLUMNS`, else the terminal's, else 100.
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .unwrap_or(100)
}

/// miette's graphical handler as bellows uses it: lines wrap only at spaces, so a rule
/// name (`create-index-non-concurrent`), a path or a code span is never split.
pub fn handler(color: bool, width: usize) -> miette::GraphicalReportHandler {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    miette::GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Renders a tool failure for standard error.
pub fn render_error(report: &miette::Report) -> String {
    let mut out = String::new();
    match handler(stderr(), width()).render_report(&mut out, report.as_ref()) {
        Ok(()) => out,
        Err(_) => format!("{report:?}"),
    }
}
