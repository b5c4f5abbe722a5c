//! `targets.toml`: the databases of a fleet and the rollout strategy.
//!
//! Owns reading and validating the file (unknown keys and bad values are errors pointing
//! at the line, as for bellows.toml), resolving each target's URL (given, or from the
//! environment variable `url-env` names), filtering by `--label key=value`, and the pure
//! arithmetic that turns `canary` and `waves` into groups of targets. It connects to
//! nothing. Passwords in the file never reach an error message: they are registered as
//! secrets and masked in the source shown with a diagnostic.

use crate::config::parse_duration_ms;
use crate::runner::url::{self, DbUrl};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// One database of the fleet.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub url: DbUrl,
    /// The environment variable the URL came from, when it came from one.
    pub url_env: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A wave's size: a cumulative share of the targets after the canary, or a cumulative
/// count of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveSize {
    /// Hundredths of a percent: `"12.5%"` is 1250.
    Percent(u32),
    Count(usize),
}

impl std::fmt::Display for WaveSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            WaveSize::Percent(bp) if bp % 100 == 0 => write!(f, "{}%", bp / 100),
            WaveSize::Percent(bp) => write!(f, "{}.{:02}%", bp / 100, bp % 100),
            WaveSize::Count(n) => write!(f, "{n}"),
        }
    }
}

/// `[strategy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    /// How many targets go first, alone in wave 0 (default 1; 0: no canary).
    pub canary: usize,
    /// The waves after the canary (default 10%, 50%, 100%).
    pub waves: Vec<WaveSize>,
    /// How many targets run at once (`--concurrency` overrides it).
    pub concurrency: Option<usize>,
    /// The pause between waves.
    pub pause_ms: u64,
    /// Run on every target of a finished wave; the first column of its first row must be
    /// true or a non-zero number.
    pub health_query: Option<String>,
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy {
            canary: 1,
            waves: vec![
                WaveSize::Percent(1000),
                WaveSize::Percent(5000),
                WaveSize::Percent(10000),
            ],
            concurrency: None,
            pause_ms: 0,
            health_query: None,
        }
    }
}

/// One group of targets that runs together.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wave {
    /// 0 for the canary, then 1, 2, …
    pub number: usize,
    pub canary: bool,
    /// Indexes into the selected targets.
    pub targets: Vec<usize>,
}

impl Strategy {
    /// Splits `n` targets, in file order, into the canary and the waves. Every target is in
    /// exactly one group: when the declared waves stop short of every target, a last wave
    /// takes the rest. Waves that would be empty are left out.
    pub fn layout(&self, n: usize) -> Vec<Wave> {
        let mut waves = Vec::new();
        let canary = self.canary.min(n);
        if canary > 0 {
            waves.push(Wave {
                number: 0,
                canary: true,
                targets: (0..canary).collect(),
            });
        }
        let rest = n - canary;
        let mut done = 0;
        let mut number = 0;
        let mut sizes: Vec<usize> = self.waves.iter().map(|w| w.cumulative(rest)).collect();
        sizes.push(rest);
        for upto in sizes {
            let upto = upto.min(rest);
            if upto <= done {
                continue;
            }
            number += 1;
            waves.push(Wave {
                number,
                canary: false,
                targets: (canary + done..canary + upto).collect(),
            });
            done = upto;
        }
        waves
    }
}

impl WaveSize {
    /// How many of `rest` targets have run once this wave is done (a share rounds up, so
    /// a wave of a non-empty remainder is never empty).
    fn cumulative(self, rest: usize) -> usize {
        match self {
            WaveSize::Percent(bp) => (rest * bp as usize).div_ceil(10_000),
            WaveSize::Count(c) => c,
        }
        .min(rest)
    }
}

/// The file, with the targets the labels selected.
#[derive(Debug, Clone)]
pub struct TargetsFile {
    /// The selected targets, in file order.
    pub targets: Vec<Target>,
    /// How many targets the file lists.
    pub total: usize,
    pub strategy: Strategy,
}

/// A targets file or label filter that cannot be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TargetsError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(bellows::fleet::read))]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<Invalid>),
    #[error("{0}")]
    #[diagnostic(
        code(bellows::fleet::label),
        help("write labels as --label key=value; every given label must match")
    )]
    Label(String),
}

/// A targets file that does not parse or validate: the message, and where.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(bellows::fleet::targets), help("{help}"))]
pub struct Invalid {
    pub message: String,
    pub help: String,
    /// The file, with every URL password masked.
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub span: Option<SourceSpan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "target")]
    targets: Vec<Spanned<RawTarget>>,
    #[serde(default)]
    strategy: Option<RawStrategy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTarget {
    name: Spanned<String>,
    #[serde(default)]
    url: Option<Spanned<String>>,
    #[serde(default)]
    url_env: Option<Spanned<String>>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStrategy {
    #[serde(default)]
    canary: Option<usize>,
    #[serde(default)]
    waves: Option<Spanned<Vec<Spanned<RawWave>>>>,
    #[serde(default)]
    concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    pause: Option<Spanned<String>>,
    #[serde(default)]
    health_query: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a wave is a share of the targets after the canary (\"10%\") or a count (5)"
)]
enum RawWave {
    Count(i64),
    Text(String),
}

/// Parses `key=value` arguments of `--label`.
pub fn parse_labels(args: &[String]) -> Result<Vec<(String, String)>, TargetsError> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(TargetsError::Label(format!(
                "--label `{a}` is not of the form key=value"
            ))),
        })
        .collect()
}

/// Where a problem is, and what it is.
struct Problem {
    message: String,
    help: &'static str,
    span: Option<Range<usize>>,
}

const FORMAT_HELP: &str = "see docs/fleet.md for the format of targets.toml";

fn problem(message: impl Into<String>, span: Option<Range<usize>>) -> Problem {
    Problem {
        message: message.into(),
        help: FORMAT_HELP,
        span,
    }
}

impl TargetsFile {
    /// Reads a targets file and keeps the targets carrying every label of `labels`.
    pub fn load(path: &Path, labels: &[(String, String)]) -> Result<TargetsFile, TargetsError> {
        let text = std::fs::read_to_string(path).map_err(|source| TargetsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        TargetsFile::parse(path, &text, labels, &|name| std::env::var(name).ok())
    }

    /// Parses a targets file's text; `env` reads the variables `url-env` names.
    pub fn parse(
        path: &Path,
        text: &str,
        labels: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<TargetsFile, TargetsError> {
        // Every password in the file is a secret from here on, even in files that fail.
        for p in passwords(text) {
            url::register_secret(&text[p]);
        }
        let invalid = |p: Problem| {
            let masked = mask_passwords(text);
            TargetsError::Invalid(Box::new(Invalid {
                message: format!("{}: {}", path.display(), url::redact(&p.message)),
                help: p.help.to_owned(),
                span: p.span.map(|s| {
                    SourceSpan::from(s.start..s.end.max(s.start + 1).min(masked.len().max(1)))
                }),
                src: NamedSource::new(path.display().to_string(), masked),
            }))
        };
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| invalid(problem(mask_passwords(e.message()), e.span())))?;
        let strategy = strategy(raw.strategy).map_err(invalid)?;
        let total = raw.targets.len();
        if total == 0 {
            return Err(invalid(problem(
                "no targets: add a [[target]] with a name and a url or url-env",
                None,
            )));
        }
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        for t in &raw.targets {
            let name = t.get_ref().name.get_ref().as_str();
            if name.trim().is_empty() {
                return Err(invalid(problem(
                    "a target's name is empty",
                    Some(t.get_ref().name.span()),
                )));
            }
            if seen.insert(name, ()).is_some() {
                return Err(invalid(problem(
                    format!("two targets are named `{name}`"),
                    Some(t.get_ref().name.span()),
                )));
            }
        }
        let mut targets = Vec::new();
        for t in &raw.targets {
            let span = t.span();
            let t = t.get_ref();
            if !labels
                .iter()
                .all(|(k, v)| t.labels.get(k).is_some_and(|have| have == v))
            {
                continue;
            }
            let name = t.name.get_ref().clone();
            let (url_text, url_env) = match (&t.url, &t.url_env) {
                (Some(u), None) => (u.get_ref().clone(), None),
                (None, Some(var)) => match env(var.get_ref()).filter(|v| !v.is_empty()) {
                    Some(u) => (u, Some(var.get_ref().clone())),
                    None => {
                        return Err(invalid(Problem {
                            message: format!(
                                "target `{name}`: the environment variable {} is not set",
                                var.get_ref()
                            ),
                            help: "export it with the target's database URL, or select other targets with --label",
                            span: Some(var.span()),
                        }))
                    }
                },
                (Some(u), Some(_)) => {
                    return Err(invalid(problem(
                        format!("target `{name}` has both url and url-env; keep one"),
                        Some(u.span()),
                    )))
                }
                (None, None) => {
                    return Err(invalid(problem(
                        format!("target `{name}` has neither url nor url-env"),
                        Some(span),
                    )))
                }
            };
            let url = DbUrl::parse(&url_text).map_err(|e| {
                let span = match (&t.url, &url_env) {
                    (Some(u), _) => Some(u.span()),
                    (None, _) => t.url_env.as_ref().map(|v| v.span()),
                };
                invalid(problem(
                    format!(
                        "target `{name}`{}: {e}",
                        url_env
                            .as_deref()
                            .map(|v| format!(" (URL from {v})"))
                            .unwrap_or_default()
                    ),
                    span,
                ))
            })?;
            targets.push(Target {
                name,
                url,
                url_env,
                labels: t.labels.clone(),
            });
        }
        if targets.is_empty() {
            let wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return Err(TargetsError::Label(format!(
                "no target of {} carries {}",
                path.display(),
                wanted.join(" and ")
            )));
        }
        Ok(TargetsFile {
            targets,
            total,
            strategy,
        })
    }
}

fn strategy(raw: Option<RawStrategy>) -> Result<Strategy, Problem> {
    let mut s = Strategy::default();
    let Some(raw) = raw else {
        return Ok(s);
    };
    if let Some(c) = raw.canary {
        s.canary = c;
    }
    if let Some(c) = raw.concurrency {
        if *c.get_ref() == 0 {
            return Err(problem("concurrency must be at least 1", Some(c.span())));
        }
        s.concurrency = Some(*c.get_ref());
    }
    if let Some(p) = raw.pause {
        s.pause_ms = parse_duration_ms(p.get_ref()).ok_or_else(|| Problem {
            message: format!("pause `{}` is not a duration", p.get_ref()),
            help: "write it as 30s, 500ms or 2m",
            span: Some(p.span()),
        })?;
    }
    if let Some(q) = raw.health_query {
        if q.get_ref().trim().is_empty() {
            return Err(problem("health-query is empty", Some(q.span())));
        }
        s.health_query = Some(q.get_ref().clone());
    }
    if let Some(waves) = raw.waves {
        if waves.get_ref().is_empty() {
            return Err(problem(
                "waves is empty; leave it out for the default [\"10%\", \"50%\", \"100%\"]",
                Some(waves.span()),
            ));
        }
        let mut out: Vec<WaveSize> = Vec::new();
        for w in waves.get_ref() {
            let size = wave_size(w.get_ref()).map_err(|m| Problem {
                message: m,
                help: "a wave is a cumulative share of the targets after the canary (\"10%\") or a cumulative count of them (5)",
                span: Some(w.span()),
            })?;
            let smaller = out.iter().rev().find_map(|prev| match (*prev, size) {
                (WaveSize::Percent(a), WaveSize::Percent(b)) if b <= a => Some(prev.to_string()),
                (WaveSize::Count(a), WaveSize::Count(b)) if b <= a => Some(prev.to_string()),
                _ => None,
            });
            if let Some(prev) = smaller {
                return Err(Problem {
                    message: format!(
                        "wave {size} does not grow past the earlier wave {prev}: waves are cumulative"
                    ),
                    help: "list the waves in growing order, e.g. [\"10%\", \"50%\", \"100%\"]",
                    span: Some(w.span()),
                });
            }
            out.push(size);
        }
        s.waves = out;
    }
    Ok(s)
}

fn wave_size(raw: &RawWave) -> Result<WaveSize, String> {
    match raw {
        RawWave::Count(n) if *n >= 1 => Ok(WaveSize::Count(*n as usize)),
        RawWave::Count(n) => Err(format!("wave {n}: a count must be at least 1")),
        RawWave::Text(t) => {
            let t = t.trim();
            let Some(number) = t.strip_suffix('%') else {
                return t
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(WaveSize::Count)
                    .ok_or_else(|| format!("wave `{t}` is neither a share (\"10%\") nor a count"));
            };
            let (whole, frac) = number.trim().split_once('.').unwrap_or((number.trim(), ""));
            let bad = || format!("wave `{t}`: a share is a number from 0.01% to 100%");
            if frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            let whole: u32 = whole.parse().map_err(|_| bad())?;
            let frac: u32 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<2}").parse().map_err(|_| bad())?
            };
            let bp = whole.checked_mul(100).and_then(|w| w.checked_add(frac));
            match bp {
                Some(bp) if (1..=10_000).contains(&bp) => Ok(WaveSize::Percent(bp)),
                _ => Err(bad()),
            }
        }
    }
}

/// The byte ranges of the passwords of every `scheme://user:password@host` in `text`.
fn passwords(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("://") {
        let start = from + at + 3;
        let end = text[start..]
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .map(|e| start + e)
            .unwrap_or(text.len());
        let authority = &text[start..end];
        if let Some(at_sign) = authority.rfind('@') {
            if let Some(colon) = authority[..at_sign].find(':') {
                if colon + 1 < at_sign {
                    out.push(start + colon + 1..start + at_sign);
                }
            }
        }
        from = end.max(start);
    }
    out
}

/// `text` with every URL password replaced by as many `*` (byte offsets stay valid).
fn mask_passwords(text: &str) -> String {
    let mut out = text.to_owned();
    for r in passwords(text) {
        out.replace_range(r.clone(), &"*".repeat(r.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TargetsFile, TargetsError> {
        parse_with(text, &[])
    }

    fn parse_with(text: &str, labels: &[(String, String)]) -> Result<TargetsFile, TargetsError> {
        let env =
            |name: &str| (name == "SHARD_URL").then(|| "postgres://u:envpass@h/db".to_owned());
        TargetsFile::parse(Path::new("targets.toml"), text, labels, &env)
    }

    fn message(e: TargetsError) -> (String, Option<String>) {
        match e {
            TargetsError::Invalid(i) => {
                let text = i.src.inner().clone();
                (
                    i.message,
                    i.span
                        .map(|s| text[s.offset()..s.offset() + s.len()].to_owned()),
                )
            }
            other => (other.to_string(), None),
        }
    }

    const TWO: &str = r#"
[[target]]
name = "a"
url = "postgres://app:s3cret-one@h1/db"
labels = { region = "eu", tier = "gold" }

[[target]]
name = "b"
url-env = "SHARD_URL"
labels = { region = "us" }
"#;

    #[test]
    fn reads_targets_and_defaults() {
        let f = parse(TWO).unwrap();
        assert_eq!(f.total, 2);
        assert_eq!(f.targets[0].name, "a");
        assert_eq!(f.targets[0].labels["tier"], "gold");
        assert_eq!(f.targets[1].url_env.as_deref(), Some("SHARD_URL"));
        assert_eq!(f.targets[1].url.database().as_deref(), Some("db"));
        assert_eq!(f.strategy, Strategy::default());
        assert!(!url::redact("x s3cret-one y").contains("s3cret-one"));
    }

    #[test]
    fn labels_filter() {
        let f = parse_with(TWO, &parse_labels(&["region=us".into()]).unwrap()).unwrap();
        assert_eq!(f.targets.len(), 1);
        assert_eq!(f.targets[0].name, "b");
        let none = parse_with(TWO, &[("region".into(), "ap".into())]).unwrap_err();
        assert!(matches!(none, TargetsError::Label(_)));
        assert!(parse_labels(&["oops".into()]).is_err());
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let text = "[[target]]\nname = \"a\"\nurl = \"postgres://h/db\"\nregion = \"eu\"\n";
        let (m, span) = message(parse(text).unwrap_err());
        assert!(m.contains("region"), "{m}");
        assert_eq!(span.as_deref(), Some("region"));
        let text = "[strategy]\ncanary = 1\nwavez = []\n[[target]]\nname = \"a\"\nurl = \"postgres://h/db\"\n";
        let (m, span) = message(parse(text).unwrap_err());
        assert!(m.contains("wavez"), "{m}");
        assert_eq!(span.as_deref(), Some("wavez"));
    }

    #[test]
    fn url_problems() {
        let (m, _) = message(
            parse("[[target]]\nname = \"a\"\nurl = \"postgres://h/db\"\nurl-env = \"X\"\n")
                .unwrap_err(),
        );
        assert!(m.contains("both url and url-env"), "{m}");
        let (m, _) = message(parse("[[target]]\nname = \"a\"\n").unwrap_err());
        assert!(m.contains("neither url nor url-env"), "{m}");
        let (m, span) =
            message(parse("[[target]]\nname = \"a\"\nurl-env = \"NOPE_URL\"\n").unwrap_err());
        assert!(m.contains("NOPE_URL is not set"), "{m}");
        assert_eq!(span.as_deref(), Some("\"NOPE_URL\""));
        let (m, span) = message(
            parse("[[target]]\nname = \"a\"\nurl = \"sqlite://x:pw-in-file@h/db\"\n").unwrap_err(),
        );
        assert!(m.contains("sqlite"), "{m}");
        // The source shown with the error has the password masked.
        assert_eq!(span.as_deref(), Some("\"sqlite://x:**********@h/db\""));
        let (m, _) = message(
            parse("[[target]]\nname = \"a\"\nurl = \"postgres://h/a\"\n[[target]]\nname = \"a\"\nurl = \"postgres://h/b\"\n")
                .unwrap_err(),
        );
        assert!(m.contains("two targets are named `a`"), "{m}");
        let (m, _) = message(parse("[strategy]\ncanary = 1\n").unwrap_err());
        assert!(m.contains("no targets"), "{m}");
    }

    #[test]
    fn strategy_values() {
        let t = "[[target]]\nname = \"a\"\nurl = \"postgres://h/db\"\n";
        let f = parse(&format!(
            "[strategy]\ncanary = 2\nwaves = [\"12.5%\", 5, \"100%\"]\nconcurrency = 3\npause = \"30s\"\nhealth-query = \"SELECT true\"\n{t}"
        ))
        .unwrap();
        assert_eq!(
            f.strategy,
            Strategy {
                canary: 2,
                waves: vec![
                    WaveSize::Percent(1250),
                    WaveSize::Count(5),
                    WaveSize::Percent(10000)
                ],
                concurrency: Some(3),
                pause_ms: 30_000,
                health_query: Some("SELECT true".into()),
            }
        );
        for (bad, expect) in [
            ("concurrency = 0", "at least 1"),
            ("pause = \"soon\"", "not a duration"),
            ("waves = [\"150%\"]", "0.01% to 100%"),
            ("waves = [\"50%\", \"10%\"]", "does not grow"),
            ("waves = [0]", "at least 1"),
            ("waves = [true]", "a wave is a share"),
            ("waves = []", "waves is empty"),
            ("canary = -1", "usize"),
        ] {
            let (m, span) = message(parse(&format!("[strategy]\n{bad}\n{t}")).unwrap_err());
            assert!(m.contains(expect), "{bad}: {m}");
            assert!(span.is_some(), "{bad}");
        }
    }

    fn sizes(waves: &[Wave]) -> Vec<(usize, Vec<usize>)> {
        waves
            .iter()
            .map(|w| (w.number, w.targets.clone()))
            .collect()
    }

    #[test]
    fn layout_canary_then_growing_waves() {
        let s = Strategy::default();
        // 1 canary; of the 9 left, cumulatively: ceil(0.9) = 1, ceil(4.5) = 5, 9.
        assert_eq!(
            sizes(&s.layout(10)),
            vec![
                (0, vec![0]),
                (1, vec![1]),
                (2, vec![2, 3, 4, 5]),
                (3, vec![6, 7, 8, 9])
            ]
        );
        // One target: the canary alone.
        assert_eq!(sizes(&s.layout(1)), vec![(0, vec![0])]);
        // Two targets: 10% and 50% of one round up to the same target; empty waves vanish.
        assert_eq!(sizes(&s.layout(2)), vec![(0, vec![0]), (1, vec![1])]);
        let s = Strategy {
            canary: 1,
            waves: vec![WaveSize::Percent(5000), WaveSize::Percent(10000)],
            ..Strategy::default()
        };
        assert_eq!(
            sizes(&s.layout(8)),
            vec![(0, vec![0]), (1, vec![1, 2, 3, 4]), (2, vec![5, 6, 7])]
        );
        // Waves that stop short get a last wave with the rest; counts are cumulative.
        let s = Strategy {
            canary: 0,
            waves: vec![WaveSize::Count(2), WaveSize::Count(3)],
            ..Strategy::default()
        };
        assert_eq!(
            sizes(&s.layout(6)),
            vec![(1, vec![0, 1]), (2, vec![2]), (3, vec![3, 4, 5])]
        );
        // A canary larger than the fleet takes it all.
        let s = Strategy {
            canary: 5,
            ..Strategy::default()
        };
        assert_eq!(sizes(&s.layout(3)), vec![(0, vec![0, 1, 2])]);
    }

    #[test]
    fn passwords_are_masked_in_place() {
        let text = "url = \"postgres://u:p%40ss@h:5432/db\"\nother = \"mysql://root@h/x\"\n";
        let masked = mask_passwords(text);
        assert_eq!(masked.len(), text.len());
        assert!(masked.contains("postgres://u:******@h:5432/db"));
        assert!(masked.contains("mysql://root@h/x"));
    }
}
