//! `declare_rule!`: one rule's declaration, docs included, in the clippy manner.

/// Declares a rule type and its [`RuleMeta`](crate::rules::RuleMeta). The doc comment is the
/// rule's page (`## What it does`, `## Why is this bad?`, …).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $ty:ident {
            name: $name:literal,
            category: $cat:ident,
            severity: $sev:ident,
            dialects: $dia:ident,
            concern: $concern:ident,
            default: $enabled:literal,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $ty;

        impl $ty {
            pub const META: &'static $crate::rules::RuleMeta = &$crate::rules::RuleMeta {
                name: $name,
                category: $crate::rules::Category::$cat,
                severity: $crate::rules::Severity::$sev,
                dialects: $crate::rules::Dialects::$dia,
                concern: $crate::rules::Concern::$concern,
                enabled_by_default: $enabled,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}
