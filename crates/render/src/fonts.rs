//! The Noto fonts compiled into the crate (see `fonts/README.md`), and which of them sets a
//! character: each Indic script has its own font, everything else is set in Noto Sans.

use std::sync::LazyLock;
use unicode_script::{Script, UnicodeScript};

/// One of the embedded fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FontId {
    /// Noto Sans Regular: Latin, Greek, Cyrillic, digits and punctuation.
    Sans,
    /// Noto Sans Bold.
    SansBold,
    /// Noto Sans Devanagari (Hindi, Marathi, Nepali, Sanskrit, …).
    Devanagari,
    /// Noto Sans Bengali (Bengali, Assamese).
    Bengali,
    /// Noto Sans Tamil.
    Tamil,
    /// Noto Sans Telugu.
    Telugu,
    /// Noto Sans Gujarati.
    Gujarati,
    /// Noto Sans Kannada.
    Kannada,
    /// Noto Sans Malayalam.
    Malayalam,
    /// Noto Sans Gurmukhi (Punjabi).
    Gurmukhi,
    /// Noto Sans Oriya (Odia).
    Oriya,
}

/// Every font, in the order of [`FONT_FILES`].
const ALL: [FontId; 11] = [
    FontId::Sans,
    FontId::SansBold,
    FontId::Devanagari,
    FontId::Bengali,
    FontId::Tamil,
    FontId::Telugu,
    FontId::Gujarati,
    FontId::Kannada,
    FontId::Malayalam,
    FontId::Gurmukhi,
    FontId::Oriya,
];

/// The font files, in the order of [`ALL`].
const FONT_FILES: [&[u8]; 11] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf"),
    include_bytes!("../fonts/NotoSansBengali-Regular.ttf"),
    include_bytes!("../fonts/NotoSansTamil-Regular.ttf"),
    include_bytes!("../fonts/NotoSansTelugu-Regular.ttf"),
    include_bytes!("../fonts/NotoSansGujarati-Regular.ttf"),
    include_bytes!("../fonts/NotoSansKannada-Regular.ttf"),
    include_bytes!("../fonts/NotoSansMalayalam-Regular.ttf"),
    include_bytes!("../fonts/NotoSansGurmukhi-Regular.ttf"),
    include_bytes!("../fonts/NotoSansOriya-Regular.ttf"),
];

/// A font parsed once: for shaping (rustybuzz) and for embedding (krilla).
pub(crate) struct LoadedFont {
    /// The face rustybuzz shapes with.
    pub(crate) shaper: rustybuzz::Face<'static>,
    /// The font krilla embeds (a subset of) in a PDF.
    pub(crate) pdf: krilla::text::Font,
    /// Font units per em, to turn advances into ems.
    pub(crate) units_per_em: f32,
}

impl std::fmt::Debug for LoadedFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFont")
            .field("units_per_em", &self.units_per_em)
            .finish_non_exhaustive()
    }
}

static LOADED: LazyLock<Vec<LoadedFont>> = LazyLock::new(|| {
    FONT_FILES
        .iter()
        .map(|&data| {
            // The files are compiled in and checked by a test, so they always parse.
            let shaper = rustybuzz::Face::from_slice(data, 0).expect("an embedded font parses");
            let pdf = krilla::text::Font::new(data.into(), 0).expect("an embedded font loads");
            let units_per_em = shaper.units_per_em() as f32;
            LoadedFont {
                shaper,
                pdf,
                units_per_em,
            }
        })
        .collect()
});

impl FontId {
    /// The parsed font.
    pub(crate) fn loaded(self) -> &'static LoadedFont {
        let index = ALL.iter().position(|&id| id == self).unwrap_or(0);
        &LOADED[index]
    }

    /// Whether the font has a glyph for `character`.
    pub(crate) fn covers(self, character: char) -> bool {
        self.loaded().shaper.glyph_index(character).is_some()
    }

    /// The font for text in `script`, if the script has one of its own; `None` for the scripts
    /// Noto Sans sets (Latin, Greek, Cyrillic) and for those no embedded font has.
    pub(crate) fn for_script(script: Script) -> Option<Self> {
        Some(match script {
            Script::Devanagari => FontId::Devanagari,
            Script::Bengali => FontId::Bengali,
            Script::Tamil => FontId::Tamil,
            Script::Telugu => FontId::Telugu,
            Script::Gujarati => FontId::Gujarati,
            Script::Kannada => FontId::Kannada,
            Script::Malayalam => FontId::Malayalam,
            Script::Gurmukhi => FontId::Gurmukhi,
            Script::Oriya => FontId::Oriya,
            _ => return None,
        })
    }

    /// The script rustybuzz should shape a run in this font as; `None` lets it guess (Latin).
    pub(crate) fn shaping_script(self) -> Option<rustybuzz::Script> {
        use rustybuzz::script;
        Some(match self {
            FontId::Sans | FontId::SansBold => return None,
            FontId::Devanagari => script::DEVANAGARI,
            FontId::Bengali => script::BENGALI,
            FontId::Tamil => script::TAMIL,
            FontId::Telugu => script::TELUGU,
            FontId::Gujarati => script::GUJARATI,
            FontId::Kannada => script::KANNADA,
            FontId::Malayalam => script::MALAYALAM,
            FontId::Gurmukhi => script::GURMUKHI,
            FontId::Oriya => script::ORIYA,
        })
    }
}

/// Whether `character` takes the script of the text around it (spaces, digits, punctuation,
/// joiners and combining marks) rather than having one of its own.
pub(crate) fn is_neutral(character: char) -> bool {
    matches!(
        character.script(),
        Script::Common | Script::Inherited | Script::Unknown
    )
}

/// The script of `character`, for picking its font.
pub(crate) fn script_of(character: char) -> Script {
    character.script()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_font_parses_and_covers_its_script() {
        for (id, sample) in [
            (FontId::Sans, 'A'),
            (FontId::SansBold, 'A'),
            (FontId::Devanagari, 'स'),
            (FontId::Bengali, 'অ'),
            (FontId::Tamil, 'ம'),
            (FontId::Telugu, 'త'),
            (FontId::Gujarati, 'ગ'),
            (FontId::Kannada, 'ಕ'),
            (FontId::Malayalam, 'മ'),
            (FontId::Gurmukhi, 'ਪ'),
            (FontId::Oriya, 'ଓ'),
        ] {
            assert!(id.covers(sample), "{id:?} should cover {sample}");
            assert!(id.loaded().units_per_em > 0.0);
        }
        assert_eq!(FontId::for_script(script_of('स')), Some(FontId::Devanagari));
        assert_eq!(FontId::for_script(script_of('A')), None);
        assert!(is_neutral(' ') && is_neutral('1') && is_neutral('\u{200d}'));
    }
}
