//! Text on PDF pages: a string split into runs by Unicode script, each run shaped with
//! rustybuzz in the embedded Noto font for its script (see [`crate::fonts`]), and measuring,
//! cutting and wrapping text to a width with those fonts' real advances.
//!
//! Shaping is what makes Indic text print right: conjuncts, reordered vowel signs (matras) and
//! marks come from the font's OpenType tables, so "सुनीता", "முருகன்" and "অমিত" are set as a
//! reader expects. Characters no embedded font has (CJK, for instance) print as `?`.

use crate::fonts::{FontId, is_neutral, script_of};

/// One of the two weights a document asks for. The Indic fonts are shipped in Regular only, so
/// bold text in those scripts is set in Regular.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Regular weight.
    Regular,
    /// Bold weight.
    Bold,
}

/// A face, a size in points and a grey level (0 is black) for text.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// The face.
    pub face: Face,
    /// The size in points.
    pub size: f32,
    /// The grey level, 0 (black) to 1 (white).
    pub gray: f32,
}

impl Style {
    /// A style; `const`, so that a document's styles can be constants.
    pub const fn new(face: Face, size: f32, gray: f32) -> Self {
        Self { face, size, gray }
    }

    /// How wide `text` is in this style, in points, as shaped.
    pub fn width(self, text: &str) -> f32 {
        ShapedText::new(text, self.face).width_em() * self.size
    }
}

/// One positioned glyph, advances and offsets in ems.
#[derive(Debug, Clone)]
pub(crate) struct ShapedGlyph {
    pub(crate) id: u32,
    pub(crate) x_advance: f32,
    pub(crate) x_offset: f32,
    pub(crate) y_offset: f32,
    pub(crate) y_advance: f32,
    /// The bytes of the run's text this glyph stands for (its cluster).
    pub(crate) range: std::ops::Range<usize>,
}

/// A stretch of text set in one font.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) font: FontId,
    pub(crate) text: String,
    pub(crate) glyphs: Vec<ShapedGlyph>,
}

impl Run {
    fn width_em(&self) -> f32 {
        self.glyphs.iter().map(|glyph| glyph.x_advance).sum()
    }
}

/// A line of text split into runs by script and shaped, ready to be drawn at any size.
#[derive(Debug, Clone)]
pub(crate) struct ShapedText {
    pub(crate) runs: Vec<Run>,
}

impl ShapedText {
    /// Shapes `text` (already cleaned with [`clean`]) in `face`.
    pub(crate) fn new(text: &str, face: Face) -> Self {
        let runs = segment(text, face)
            .into_iter()
            .map(|(font, text)| shape_run(font, text))
            .collect();
        Self { runs }
    }

    /// The advance of the whole line, in ems.
    pub(crate) fn width_em(&self) -> f32 {
        self.runs.iter().map(Run::width_em).sum()
    }
}

/// Splits `text` into runs of one font each: a character of an Indic script goes to its
/// script's font; spaces, digits, punctuation and marks stay with the run they are in when its
/// font has them; everything else goes to Noto Sans in `face`.
fn segment(text: &str, face: Face) -> Vec<(FontId, String)> {
    let sans = match face {
        Face::Regular => FontId::Sans,
        Face::Bold => FontId::SansBold,
    };
    let mut runs: Vec<(FontId, String)> = Vec::new();
    for character in text.chars() {
        let font = if is_neutral(character) {
            match runs.last() {
                Some(&(current, _)) if current.covers(character) => current,
                _ => sans,
            }
        } else {
            FontId::for_script(script_of(character)).unwrap_or(sans)
        };
        match runs.last_mut() {
            Some((current, run)) if *current == font => run.push(character),
            _ => runs.push((font, character.to_string())),
        }
    }
    runs
}

fn shape_run(font: FontId, text: String) -> Run {
    let loaded = font.loaded();
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(&text);
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    if let Some(script) = font.shaping_script() {
        buffer.set_script(script);
    }
    buffer.guess_segment_properties();
    let output = rustybuzz::shape(&loaded.shaper, &[], buffer);
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let em = loaded.units_per_em;
    let glyphs = infos
        .iter()
        .zip(positions)
        .enumerate()
        .map(|(index, (info, position))| {
            let start = info.cluster as usize;
            // Left to right, clusters never decrease: this glyph's cluster ends where the next
            // different cluster starts.
            let end = infos[index..]
                .iter()
                .map(|next| next.cluster as usize)
                .find(|&next| next != start)
                .unwrap_or(text.len());
            ShapedGlyph {
                id: info.glyph_id,
                x_advance: position.x_advance as f32 / em,
                x_offset: position.x_offset as f32 / em,
                y_offset: position.y_offset as f32 / em,
                y_advance: position.y_advance as f32 / em,
                range: start..end.max(start),
            }
        })
        .collect();
    Run { font, text, glyphs }
}

/// `text` as documents print it: trimmed, each whitespace character a space, control and
/// invisible format characters dropped (the zero-width joiners that Indic spellings use are
/// kept), and a character no embedded font has replaced by `?`.
pub fn clean(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for character in text.trim().chars() {
        if character.is_whitespace() {
            cleaned.push(' ');
        } else if character.is_control()
            || matches!(
                character,
                '\u{00ad}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{2060}' | '\u{feff}'
            )
        {
            continue;
        } else if matches!(character, '\u{200c}' | '\u{200d}') || printable(character) {
            cleaned.push(character);
        } else {
            cleaned.push('?');
        }
    }
    cleaned
}

/// Whether an embedded font has `character`.
fn printable(character: char) -> bool {
    FontId::for_script(script_of(character)).is_some_and(|font| font.covers(character))
        || FontId::Sans.covers(character)
}

/// The ellipsis put where text was cut.
pub const ELLIPSIS: &str = "…";

/// `text` if it fits in `max_width`, otherwise as much of it as fits followed by "…".
pub fn fit(text: &str, style: Style, max_width: f32) -> String {
    if style.width(text) <= max_width {
        text.to_owned()
    } else {
        with_ellipsis(text, style, max_width)
    }
}

/// The longest start of `text` that fits in `max_width` with "…" after it, and the "…"; cut
/// only where a break cannot split a syllable.
fn with_ellipsis(text: &str, style: Style, max_width: f32) -> String {
    let room = max_width - style.width(ELLIPSIS);
    let mut end = text.len();
    while end > 0 && style.width(&text[..end]) > room {
        end = previous_break(text, end);
    }
    let mut line = text[..end].trim_end().to_owned();
    line.push_str(ELLIPSIS);
    line
}

/// The offset of the last place before `end` where a word may be broken (0 if none).
fn previous_break(text: &str, end: usize) -> usize {
    text[..end]
        .char_indices()
        .rev()
        .map(|(index, _)| index)
        .find(|&index| index == 0 || may_break_before(text, index))
        .unwrap_or(0)
}

/// Whether a long word may be broken before the character at byte `index` of `text` without
/// splitting an Indic syllable: not before a vowel sign or other mark, and not after a virama
/// or a joiner. The nine Indic blocks share one layout (inherited from ISCII), so the offsets
/// within a block say what a character is.
fn may_break_before(text: &str, index: usize) -> bool {
    let Some(next) = text[index..].chars().next() else {
        return true;
    };
    let previous = text[..index].chars().next_back();
    let indic_offset = |character: char| {
        let code = u32::from(character);
        (0x0900..=0x0d7f).contains(&code).then_some(code & 0x7f)
    };
    let is_mark = |character: char| {
        matches!(character, '\u{200c}' | '\u{200d}')
            || ('\u{0300}'..='\u{036f}').contains(&character)
            || indic_offset(character).is_some_and(
                |offset| matches!(offset, 0x00..=0x03 | 0x3c | 0x3e..=0x57 | 0x62..=0x63),
            )
    };
    let joins_next = |character: char| {
        matches!(character, '\u{200c}' | '\u{200d}') || indic_offset(character) == Some(0x4d)
    };
    !is_mark(next) && !previous.is_some_and(joins_next)
}

/// Breaks `text` into lines no wider than `max_width`, between words where it can; a word longer
/// than a line is broken inside (never inside a syllable). Gives at most `max_lines` lines, the
/// last ending in "…" when text was left out, and none for empty text.
pub fn wrap(text: &str, style: Style, max_width: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        if !line.is_empty() {
            let candidate = format!("{line} {word}");
            if style.width(&candidate) <= max_width {
                line = candidate;
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while style.width(rest) > max_width {
            let mut split = previous_break(rest, rest.len());
            while split > 0 && style.width(&rest[..split]) > max_width {
                split = previous_break(rest, split);
            }
            if split == 0 {
                // Not even one syllable fits: put the first one on a line of its own.
                split = rest
                    .char_indices()
                    .map(|(index, _)| index)
                    .skip(1)
                    .find(|&index| may_break_before(rest, index))
                    .unwrap_or(rest.len());
            }
            if split >= rest.len() {
                break;
            }
            lines.push(rest[..split].to_owned());
            rest = &rest[split..];
        }
        line = rest.to_owned();
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(last, style, max_width);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The styles of the appointment slip's values and table cells.
    const VALUE: Style = Style::new(Face::Bold, 12.0, 0.0);
    const CELL: Style = Style::new(Face::Regular, 9.5, 0.0);

    #[test]
    fn clean_keeps_what_the_fonts_have_and_replaces_the_rest() {
        assert_eq!(clean("Zoë"), "Zoë");
        assert_eq!(clean("सुनीता देवी"), "सुनीता देवी");
        assert_eq!(clean(" a\tb\nc\u{7}\u{200b}d "), "a b cd");
        assert_eq!(clean("ক্\u{200d}ষ"), "ক্\u{200d}ষ");
        assert_eq!(clean("日本"), "??");
    }

    #[test]
    fn runs_follow_the_script_of_their_characters() {
        let shaped = ShapedText::new("Sunita (सुनीता देवी) 42 முருகன்", Face::Regular);
        let fonts: Vec<(FontId, &str)> = shaped
            .runs
            .iter()
            .map(|run| (run.font, run.text.as_str()))
            .collect();
        assert_eq!(
            fonts,
            [
                (FontId::Sans, "Sunita ("),
                (FontId::Devanagari, "सुनीता देवी) 42 "),
                (FontId::Tamil, "முருகன்"),
            ]
        );
        assert!(
            shaped
                .runs
                .iter()
                .all(|run| run.glyphs.iter().all(|g| g.id != 0)),
            "no character should fall back to .notdef"
        );
    }

    #[test]
    fn shaping_forms_conjuncts() {
        // क् + ष is one conjunct glyph (क्ष) in Noto Sans Devanagari: fewer glyphs than characters.
        let shaped = ShapedText::new("क्ष", Face::Regular);
        assert_eq!(shaped.runs.len(), 1);
        assert!(shaped.runs[0].glyphs.len() < 3);
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        let regular = Style::new(Face::Regular, 1000.0, 0.0);
        let bold = Style::new(Face::Bold, 1000.0, 0.0);
        let advances = |font: FontId, text: &str| -> f32 {
            let face = &font.loaded().shaper;
            text.chars()
                .filter_map(|c| face.glyph_index(c))
                .filter_map(|glyph| face.glyph_hor_advance(glyph))
                .map(|advance| f32::from(advance) * 1000.0 / font.loaded().units_per_em)
                .sum()
        };
        assert!((regular.width("Hi!") - advances(FontId::Sans, "Hi!")).abs() < 0.01);
        assert!((bold.width("Hi!") - advances(FontId::SansBold, "Hi!")).abs() < 0.01);
        assert!(bold.width("Hi!") > regular.width("Hi!"));
        assert_eq!(regular.width(""), 0.0);
        assert!(regular.width("सुनीता") > 0.0);
    }

    #[test]
    fn long_text_wraps_within_the_width_and_ends_in_an_ellipsis() {
        let text = clean("Venkata Satya Sai Lakshmi Narasimha Rao Pothuraju Kondapalli Srinivasa");
        let lines = wrap(&text, CELL, 150.0, 2);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert!(CELL.width(line) <= 150.0, "{line:?} is too wide");
        }
        assert!(lines[0].starts_with("Venkata Satya"));
        assert!(lines[1].ends_with(ELLIPSIS));

        let unbroken = "W".repeat(60);
        let lines = wrap(&unbroken, CELL, 100.0, 10);
        assert!(lines.len() > 1 && lines.iter().all(|line| CELL.width(line) <= 100.0));
        assert_eq!(lines.concat(), unbroken);

        assert_eq!(wrap("short", CELL, 100.0, 2), vec!["short".to_owned()]);
        assert!(wrap("", CELL, 100.0, 2).is_empty());
        assert_eq!(fit("fits", VALUE, 100.0), "fits");
    }

    #[test]
    fn indic_words_break_between_syllables_only() {
        let word = "सुनीतादेवीक्षत्रियकुमारीशर्मा".repeat(2);
        let lines = wrap(&word, CELL, 60.0, 20);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
        for line in &lines {
            let first = line.chars().next().unwrap_or(' ');
            assert!(
                !matches!(u32::from(first), 0x093e..=0x094d),
                "{line:?} starts with a vowel sign or virama"
            );
        }
        let cut = fit(&word, CELL, 60.0);
        assert!(cut.ends_with(ELLIPSIS) && CELL.width(&cut) <= 60.0);
    }
}
