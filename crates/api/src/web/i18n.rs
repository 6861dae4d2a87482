//! The web app's languages: Fluent messages compiled into the binary from
//! `crates/api/locales/<language>/main.ftl` (adding a language is adding that one file), the
//! language chosen from the `lang` cookie or `Accept-Language`, and dates and numbers in the
//! Indian style (`7 Dec 2026`, `1,23,456`).

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en-IN",
        // No Unicode isolation marks around arguments: they show as boxes on older phones.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages the binary carries, English first, each with its name in itself.
fn available() -> &'static [Lang] {
    static LANGS: OnceLock<Vec<Lang>> = OnceLock::new();
    LANGS.get_or_init(|| {
        let mut langs: Vec<Lang> = LOCALES.locales().map(|id| Lang { id }).collect();
        langs.sort_by_key(|l| (l.code() != "en", l.code().to_owned()));
        langs
    })
}

/// One of the languages the binary carries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Lang {
    id: &'static LanguageIdentifier,
}

impl std::fmt::Debug for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.id)
    }
}

impl Lang {
    /// English, the fallback.
    pub fn english() -> Self {
        available()
            .iter()
            .copied()
            .find(|l| l.code() == "en")
            .unwrap_or_else(|| available()[0])
    }

    /// The short code the switch and the `lang` cookie use (`en`, `hi`).
    pub fn code(self) -> &'static str {
        self.id.language.as_str()
    }

    /// The full tag, for `<html lang>` and `Content-Language` (`en-IN`).
    pub fn tag(self) -> String {
        self.id.to_string()
    }

    /// Every language, for the switch.
    pub fn all() -> &'static [Lang] {
        available()
    }

    /// The language with this short code or tag, if the binary carries it.
    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        available().iter().copied().find(|l| l.code() == primary)
    }

    /// The best of `Accept-Language` (`hi-IN,hi;q=0.9,en;q=0.8`), else English.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut wanted: Vec<(f32, &str)> = accept_language
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty() && q > 0.0).then_some((q, tag))
            })
            .collect();
        // Stable: among equal weights the first listed wins.
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted
            .iter()
            .find_map(|(_, tag)| Self::from_code(tag))
            .unwrap_or_else(Self::english)
    }
}

/// Messages and formats in one language: what templates call as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

/// Shown where a message is missing from every language (the browser tests look for it).
pub const MISSING: &str = "⟦missing⟧";

impl Tr {
    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang.id, key)
            .unwrap_or_else(|| format!("{MISSING}{key}"))
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.ta(key, &[(name, value.to_string())])
    }

    /// The message `key` with arguments (all given as text; numbers already formatted).
    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang.id, key, &args)
            .unwrap_or_else(|| format!("{MISSING}{key}"))
    }

    /// A whole number with Indian grouping: `1,23,456`.
    pub fn num(&self, n: impl Into<i64>) -> String {
        indian_grouping(n.into())
    }

    /// A date as people in India write it: `Mon, 7 Dec 2026` (names in the language).
    pub fn date(&self, d: time::Date) -> String {
        format!(
            "{}, {} {} {}",
            self.t(&format!("weekday-{}", d.weekday().number_from_monday())),
            d.day(),
            self.t(&format!("month-{}", u8::from(d.month()))),
            d.year()
        )
    }

    /// A short date for calendar columns: `Mon 7 Dec`.
    pub fn day(&self, d: time::Date) -> String {
        format!(
            "{} {} {}",
            self.t(&format!("weekday-{}", d.weekday().number_from_monday())),
            d.day(),
            self.t(&format!("month-{}", u8::from(d.month())))
        )
    }
}

/// `1234567` → `12,34,567`: the last three digits, then groups of two.
pub fn indian_grouping(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let (head, tail) = digits.split_at(digits.len().saturating_sub(3));
    let mut out = String::new();
    let head: Vec<char> = head.chars().collect();
    let first = head.len() % 2;
    for (i, c) in head.iter().enumerate() {
        if i > 0 && (i + 2 - first).is_multiple_of(2) {
            out.push(',');
        }
        out.push(*c);
    }
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(tail);
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_in_lakhs_and_crores() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (12_345, "12,345"),
            (123_456, "1,23,456"),
            (1_234_567, "12,34,567"),
            (25_000_000, "2,50,00,000"),
            (-1_234_567, "-12,34,567"),
        ];
        for (n, want) in cases {
            assert_eq!(indian_grouping(n), want, "{n}");
        }
    }

    #[test]
    fn accept_language_picks_the_best_carried_language() {
        assert_eq!(Lang::negotiate("hi-IN,hi;q=0.9,en;q=0.8").code(), "hi");
        assert_eq!(Lang::negotiate("ta-IN,en;q=0.5,hi;q=0.7").code(), "hi");
        assert_eq!(Lang::negotiate("fr").code(), "en");
        assert_eq!(Lang::negotiate("").code(), "en");
        assert_eq!(Lang::negotiate("hi;q=0").code(), "en");
    }

    /// Every message of a language, by id, from its `.ftl` files themselves.
    fn message_ids(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
        let mut ids = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ftl") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    if line.starts_with(|c: char| c.is_ascii_alphabetic())
                        && let Some((id, _)) = line.split_once('=')
                    {
                        assert!(
                            ids.insert(id.trim().to_owned()),
                            "{} twice in {lang}",
                            id.trim()
                        );
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn every_language_has_every_message_and_nothing_else() {
        let english = message_ids("en-IN");
        assert!(english.len() > 100, "{}", english.len());
        for lang in Lang::all() {
            let ids = message_ids(&lang.tag());
            let missing: Vec<_> = english.difference(&ids).collect();
            let extra: Vec<_> = ids.difference(&english).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang:?} has unknown {extra:?}");
        }
    }

    #[test]
    fn hindi_dates_and_messages_come_from_the_hindi_file() {
        let hi = Tr {
            lang: Lang::from_code("hi").unwrap(),
        };
        let en = Tr {
            lang: Lang::english(),
        };
        let day = time::macros::date!(2026 - 12 - 07);
        assert_eq!(en.date(day), "Mon, 7 Dec 2026");
        assert_ne!(hi.date(day), en.date(day));
        assert!(!hi.date(day).contains(MISSING));
        assert!(hi.t("missing-key-for-test").starts_with(MISSING));
    }
}
