//! Text on PDF pages: the two standard-14 Helvetica faces, the WinAnsi (Windows-1252) encoding
//! they use, and measuring, cutting and wrapping text to a width by their metrics.
//!
//! No font file is embedded, so the faces only have the WinAnsi characters: any other character
//! prints as `?`. Text is handled as WinAnsi bytes from [`win_ansi`] on.

use pdf_writer::Name;

/// One of the two faces: standard-14 Helvetica and Helvetica-Bold, which every PDF viewer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

impl Face {
    /// The name the pages' resource dictionaries give the font.
    pub(super) fn resource(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
        }
    }

    /// The font's PostScript name, as the document's font dictionary gives it.
    pub(super) fn base_font(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"Helvetica"),
            Face::Bold => Name(b"Helvetica-Bold"),
        }
    }

    /// Advance width of a WinAnsi byte in 1/1000 em.
    fn advance(self, byte: u8) -> u16 {
        let widths = match self {
            Face::Regular => &HELVETICA_WIDTHS,
            Face::Bold => &HELVETICA_BOLD_WIDTHS,
        };
        byte.checked_sub(32)
            .and_then(|index| widths.get(usize::from(index)))
            .copied()
            .unwrap_or(0)
    }
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

    /// How wide WinAnsi `text` is in this style, in points.
    pub fn width(self, text: &[u8]) -> f32 {
        let units: u32 = text
            .iter()
            .map(|&byte| u32::from(self.face.advance(byte)))
            .sum();
        units as f32 * self.size / 1000.0
    }
}

/// The WinAnsi byte for "…".
pub const ELLIPSIS: u8 = 0x85;

/// Encodes `text` in WinAnsi, the encoding the two faces use.
///
/// Whitespace becomes a space; control characters, invisible format characters and combining
/// accents are dropped (so a decomposed "é" still prints as "e"); any other character WinAnsi
/// lacks becomes `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    for character in text.trim().chars() {
        if character.is_whitespace() {
            bytes.push(b' ');
        } else if character.is_control()
            || matches!(
                character,
                '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}'
            )
            || ('\u{0300}'..='\u{036f}').contains(&character)
        {
            continue;
        } else {
            bytes.push(win_ansi_byte(character).unwrap_or(b'?'));
        }
    }
    bytes
}

/// The WinAnsi code of `character`, if it has one.
fn win_ansi_byte(character: char) -> Option<u8> {
    let code = u32::from(character);
    // WinAnsi agrees with Latin-1 from 0xA0 up, and with ASCII below 0x7F.
    if (0x20..0x7f).contains(&code) || (0xa0..=0xff).contains(&code) {
        return u8::try_from(code).ok();
    }
    let byte = match character {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    };
    Some(byte)
}

/// `text` if it fits in `max_width`, otherwise as much of it as fits followed by "…".
pub fn fit(text: &[u8], style: Style, max_width: f32) -> Vec<u8> {
    if style.width(text) <= max_width {
        text.to_vec()
    } else {
        with_ellipsis(text, style, max_width)
    }
}

/// The longest start of `text` that fits in `max_width` with "…" after it, and the "…".
fn with_ellipsis(text: &[u8], style: Style, max_width: f32) -> Vec<u8> {
    let room = max_width - style.width(&[ELLIPSIS]);
    let mut line = text.to_vec();
    while !line.is_empty() && style.width(&line) > room {
        line.pop();
    }
    while line.last() == Some(&b' ') {
        line.pop();
    }
    line.push(ELLIPSIS);
    line
}

/// Breaks `text` into lines no wider than `max_width`, between words where it can; a word longer
/// than a line is broken inside. Gives at most `max_lines` lines, the last ending in "…" when
/// text was left out, and none for empty text.
pub fn wrap(text: &[u8], style: Style, max_width: f32, max_lines: usize) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty())
    {
        if !line.is_empty() {
            let mut candidate = line.clone();
            candidate.push(b' ');
            candidate.extend_from_slice(word);
            if style.width(&candidate) <= max_width {
                line = candidate;
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while style.width(rest) > max_width && rest.len() > 1 {
            let mut split = rest.len() - 1;
            while split > 1 && style.width(&rest[..split]) > max_width {
                split -= 1;
            }
            lines.push(rest[..split].to_vec());
            rest = &rest[split..];
        }
        line = rest.to_vec();
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

/// Helvetica's advance widths (1/1000 em) for WinAnsi codes 32 to 255, from Adobe's font metrics
/// for the standard-14 fonts; codes WinAnsi leaves unassigned are 0.
#[rustfmt::skip]
const HELVETICA_WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold's advance widths, laid out like [`HELVETICA_WIDTHS`].
#[rustfmt::skip]
const HELVETICA_BOLD_WIDTHS: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The styles of the appointment slip's values and table cells.
    const VALUE: Style = Style::new(Face::Bold, 12.0, 0.0);
    const CELL: Style = Style::new(Face::Regular, 9.5, 0.0);

    #[test]
    fn win_ansi_keeps_latin_1_and_replaces_the_rest() {
        assert_eq!(win_ansi("Zoë"), b"Zo\xeb");
        assert_eq!(win_ansi("€5 – “ok”"), b"\x805 \x96 \x93ok\x94");
        assert_eq!(win_ansi("अमित"), b"????");
        assert_eq!(win_ansi("Jose\u{301}"), b"Jose");
        assert_eq!(win_ansi(" a\tb\nc\u{7}\u{200b}d "), b"a b cd");
        assert_eq!(win_ansi("日本"), b"??");
    }

    #[test]
    fn widths_follow_the_helvetica_metrics() {
        let regular = Style::new(Face::Regular, 1000.0, 0.0);
        let bold = Style::new(Face::Bold, 1000.0, 0.0);
        assert_eq!(regular.width(b"Hi!"), 722.0 + 222.0 + 278.0);
        assert_eq!(bold.width(b"Hi!"), 722.0 + 278.0 + 333.0);
        assert_eq!(regular.width(&[0xeb]), 556.0);
        assert_eq!(regular.width(&[ELLIPSIS]), 1000.0);
    }

    #[test]
    fn long_text_wraps_within_the_width_and_ends_in_an_ellipsis() {
        let text =
            win_ansi("Venkata Satya Sai Lakshmi Narasimha Rao Pothuraju Kondapalli Srinivasa");
        let lines = wrap(&text, CELL, 150.0, 2);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert!(
                CELL.width(line) <= 150.0,
                "{:?} is too wide",
                String::from_utf8_lossy(line)
            );
        }
        assert!(lines[0].starts_with(b"Venkata Satya"));
        assert_eq!(lines[1].last(), Some(&ELLIPSIS));

        let unbroken = win_ansi(&"W".repeat(60));
        let lines = wrap(&unbroken, CELL, 100.0, 10);
        assert!(lines.len() > 1 && lines.iter().all(|line| CELL.width(line) <= 100.0));
        assert_eq!(lines.concat(), unbroken);

        assert_eq!(wrap(b"short", CELL, 100.0, 2), vec![b"short".to_vec()]);
        assert!(wrap(b"", CELL, 100.0, 2).is_empty());
        assert_eq!(fit(b"fits", VALUE, 100.0), b"fits");
    }
}
