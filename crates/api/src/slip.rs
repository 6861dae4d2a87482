//! The appointment slip (`GET /api/v2/appointment/appointmentslip/download`) as an A4 PDF with a QR code.
//!
//! The PDF is written directly with `pdf-writer`. Text is set in the standard-14 Helvetica faces,
//! so no font file is embedded; those faces only have the WinAnsi (Windows-1252) characters, and
//! any other character prints as `?`. The QR code is drawn as filled rectangles, not as an image.
//! The same [`Slip`] always gives the same bytes: nothing in the file comes from the clock or from
//! a random source.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};

/// One person on the slip.
#[derive(Debug, Clone)]
pub struct SlipPerson {
    /// The beneficiary reference id.
    pub reference_id: i64,
    /// The name as registered.
    pub name: String,
    /// The year of birth.
    pub birth_year: i32,
    /// The gender as registered ("Male", "Female", "Others").
    pub gender: String,
    /// The photo ID, already masked by the caller, e.g. `Aadhaar ********1234`.
    pub photo_id: String,
}

/// What the slip shows.
#[derive(Debug, Clone)]
pub struct Slip {
    /// The 14-digit confirmation number.
    pub appointment_id: i64,
    /// `ACTIVE` or `CANCELLED`.
    pub status: String,
    /// The vaccination centre's id.
    pub center_id: i64,
    /// The vaccination centre's name.
    pub center_name: String,
    /// The centre's street address; may be empty.
    pub center_address: String,
    /// The centre's block.
    pub block_name: String,
    /// The centre's district.
    pub district_name: String,
    /// The centre's state.
    pub state_name: String,
    /// The centre's pincode; 0 leaves it out.
    pub pincode: u32,
    /// The appointment date as `dd-mm-yyyy`.
    pub date: String,
    /// The slot, e.g. `09:30AM-10:30AM`.
    pub slot: String,
    /// The vaccine's name.
    pub vaccine: String,
    /// The dose number.
    pub dose: u8,
    /// The people booked on this appointment.
    pub people: Vec<SlipPerson>,
    /// When the slip was issued, as it should be printed, e.g. `2026-03-01 09:30 IST`.
    pub issued_at: String,
    /// What the QR code encodes, chosen by the caller.
    pub qr_payload: String,
}

/// The slip as a PDF document (A4, one page; more pages only if many people).
///
/// The QR code uses error correction level M (15 %), or L when the payload is too long for M.
/// Up to about 300 ASCII characters the code stays at version 13 or below, which gives modules of
/// about 0.8 mm in the 6 cm square the slip reserves. A payload longer than any QR code holds
/// (2,331 bytes at M, 2,953 at L) is not an error here: the slip is still rendered, with the words
/// "QR code unavailable" where the code would be.
pub fn render_pdf(slip: &Slip) -> Vec<u8> {
    let rows: Vec<TableRow> = if slip.people.is_empty() {
        vec![TableRow::empty()]
    } else {
        slip.people.iter().map(TableRow::new).collect()
    };

    let mut first = Canvas::new();
    let first_table_top = draw_first_page_head(&mut first, slip);
    let pages_of_rows = paginate(&rows, first_table_top);
    let page_count = pages_of_rows.len();

    let mut canvases = Vec::with_capacity(page_count);
    let mut first = Some((first, first_table_top));
    for (index, page_rows) in pages_of_rows.into_iter().enumerate() {
        let (mut canvas, table_top) = first.take().unwrap_or_else(|| {
            let mut canvas = Canvas::new();
            draw_continuation_head(&mut canvas, slip);
            (canvas, CONTINUATION_TABLE_TOP)
        });
        draw_table(&mut canvas, table_top, page_rows);
        draw_footer(&mut canvas, slip, index + 1, page_count);
        canvases.push(canvas);
    }

    write_document(slip, canvases)
}

// ---------------------------------------------------------------------------------------------
// Page geometry, in PDF points (1/72 inch); y grows upwards from the bottom of the page.

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 48.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Side of the square kept for the QR code, quiet zone included: 6 cm.
const QR_SIDE: f32 = 170.0;
/// The quiet zone the QR specification asks for around the symbol, in modules.
const QR_QUIET_MODULES: usize = 4;
/// Width of the details column left of the QR code.
const DETAILS_WIDTH: f32 = CONTENT_WIDTH - QR_SIDE - 16.0;
/// The footer rule; the table stops above it.
const FOOTER_TOP: f32 = MARGIN + 34.0;
const TABLE_BOTTOM: f32 = FOOTER_TOP + 12.0;
/// Where the table starts on the pages after the first.
const CONTINUATION_TABLE_TOP: f32 = TOP - 84.0;

const BRAND: Style = Style::new(Face::Bold, 12.0, 0.0);
const TITLE: Style = Style::new(Face::Bold, 22.0, 0.0);
const SUBTITLE: Style = Style::new(Face::Bold, 16.0, 0.0);
const LABEL: Style = Style::new(Face::Regular, 8.0, 0.4);
const VALUE: Style = Style::new(Face::Bold, 12.0, 0.0);
const ID_VALUE: Style = Style::new(Face::Bold, 15.0, 0.0);
const BODY: Style = Style::new(Face::Regular, 10.0, 0.0);
const SMALL: Style = Style::new(Face::Regular, 8.5, 0.3);
const HEADING: Style = Style::new(Face::Bold, 11.0, 0.0);
const TABLE_HEAD: Style = Style::new(Face::Bold, 9.0, 0.0);
const CELL: Style = Style::new(Face::Regular, 9.5, 0.0);
const NOTE: Style = Style::new(Face::Bold, 10.5, 0.0);

/// Draws the brand, title, booking details, centre and QR code; returns where the table starts.
fn draw_first_page_head(canvas: &mut Canvas, slip: &Slip) -> f32 {
    draw_brand_line(canvas, slip);
    canvas.text(MARGIN, TOP - 38.0, TITLE, &win_ansi("Appointment Slip"));
    canvas.rule(MARGIN, PAGE_WIDTH - MARGIN, TOP - 50.0, 1.0, 0.0);

    let body_top = TOP - 66.0;
    let half = DETAILS_WIDTH / 2.0;
    let right = MARGIN + half;
    let fields = [
        [
            ("Appointment ID", slip.appointment_id.to_string(), ID_VALUE),
            ("Status", slip.status.clone(), VALUE),
        ],
        [
            ("Date", slip.date.clone(), VALUE),
            ("Time slot", slip.slot.clone(), VALUE),
        ],
        [
            ("Vaccine", slip.vaccine.clone(), VALUE),
            ("Dose", slip.dose.to_string(), VALUE),
        ],
    ];
    let mut y = body_top - 8.0;
    for [
        (left_label, left_value, left_style),
        (right_label, right_value, right_style),
    ] in fields
    {
        draw_field(
            canvas,
            MARGIN,
            y,
            half - 8.0,
            left_label,
            &left_value,
            left_style,
        );
        draw_field(
            canvas,
            right,
            y,
            half - 8.0,
            right_label,
            &right_value,
            right_style,
        );
        y -= 38.0;
    }

    canvas.text(MARGIN, y, LABEL, &win_ansi("Vaccination centre"));
    y -= 15.0;
    for line in wrap(&win_ansi(&slip.center_name), VALUE, DETAILS_WIDTH, 2) {
        canvas.text(MARGIN, y, VALUE, &line);
        y -= 15.0;
    }
    for line in wrap(&win_ansi(&slip.center_address), BODY, DETAILS_WIDTH, 3) {
        canvas.text(MARGIN, y, BODY, &line);
        y -= 13.0;
    }
    for line in wrap(&win_ansi(&locality(slip)), BODY, DETAILS_WIDTH, 2) {
        canvas.text(MARGIN, y, BODY, &line);
        y -= 13.0;
    }
    canvas.text(
        MARGIN,
        y - 1.0,
        SMALL,
        &win_ansi(&format!("Centre ID {}", slip.center_id)),
    );
    let details_bottom = y - 1.0;

    let qr_left = PAGE_WIDTH - MARGIN - QR_SIDE;
    match qr_matrix(&slip.qr_payload) {
        Some(matrix) => draw_qr(canvas, &matrix, qr_left, body_top, QR_SIDE),
        None => {
            canvas.stroke_rect(qr_left, body_top - QR_SIDE, QR_SIDE, QR_SIDE, 0.6);
            canvas.text_centered(
                qr_left + QR_SIDE / 2.0,
                body_top - QR_SIDE / 2.0,
                BODY,
                &win_ansi("QR code unavailable"),
            );
        }
    }
    let caption_y = body_top - QR_SIDE - 10.0;
    canvas.text_centered(
        qr_left + QR_SIDE / 2.0,
        caption_y,
        SMALL,
        &win_ansi("Scan to verify this appointment"),
    );

    let heading_y = details_bottom.min(caption_y) - 28.0;
    canvas.text(
        MARGIN,
        heading_y,
        HEADING,
        &win_ansi("People on this appointment"),
    );
    heading_y - 8.0
}

/// Draws the head of a page after the first; the table follows at [`CONTINUATION_TABLE_TOP`].
fn draw_continuation_head(canvas: &mut Canvas, slip: &Slip) {
    draw_brand_line(canvas, slip);
    canvas.text(
        MARGIN,
        TOP - 34.0,
        SUBTITLE,
        &win_ansi("Appointment Slip (continued)"),
    );
    canvas.text(
        MARGIN,
        TOP - 50.0,
        BODY,
        &win_ansi(&format!("Appointment ID {}", slip.appointment_id)),
    );
    canvas.rule(MARGIN, PAGE_WIDTH - MARGIN, TOP - 60.0, 1.0, 0.0);
}

fn draw_brand_line(canvas: &mut Canvas, slip: &Slip) {
    canvas.text(MARGIN, TOP - 10.0, BRAND, &win_ansi("sehat"));
    let issued = fit(
        &win_ansi(&format!("Issued {}", slip.issued_at)),
        SMALL,
        CONTENT_WIDTH / 2.0,
    );
    canvas.text_right(PAGE_WIDTH - MARGIN, TOP - 10.0, SMALL, &issued);
}

/// A small grey label with its value under it, cut to `width`.
fn draw_field(
    canvas: &mut Canvas,
    x: f32,
    y: f32,
    width: f32,
    label: &str,
    value: &str,
    style: Style,
) {
    canvas.text(x, y, LABEL, &win_ansi(label));
    let value = if value.trim().is_empty() { "-" } else { value };
    canvas.text(x, y - 16.0, style, &fit(&win_ansi(value), style, width));
}

/// "Block, District, State 110001", leaving out the parts that are empty.
fn locality(slip: &Slip) -> String {
    let mut text = [&slip.block_name, &slip.district_name, &slip.state_name]
        .into_iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    if slip.pincode != 0 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&slip.pincode.to_string());
    }
    text
}

fn draw_footer(canvas: &mut Canvas, slip: &Slip, page: usize, page_count: usize) {
    canvas.rule(MARGIN, PAGE_WIDTH - MARGIN, FOOTER_TOP, 0.5, 0.6);
    canvas.text(
        MARGIN,
        FOOTER_TOP - 16.0,
        NOTE,
        &win_ansi("Show this slip and the photo ID at the centre."),
    );
    canvas.text(
        MARGIN,
        FOOTER_TOP - 30.0,
        SMALL,
        &win_ansi(&format!("Appointment {}", slip.appointment_id)),
    );
    canvas.text_right(
        PAGE_WIDTH - MARGIN,
        FOOTER_TOP - 30.0,
        SMALL,
        &win_ansi(&format!("Page {page} of {page_count}")),
    );
}

// ---------------------------------------------------------------------------------------------
// The table of people.

/// The columns: heading and width. The name column takes what the others leave.
const COLUMNS: [(&str, f32); 5] = [
    ("Ref. ID", 88.0),
    ("Name", CONTENT_WIDTH - 88.0 - 56.0 - 50.0 - 140.0),
    ("Birth year", 56.0),
    ("Gender", 50.0),
    ("Photo ID", 140.0),
];
const CELL_PADDING: f32 = 6.0;
const CELL_LINE: f32 = 12.0;
/// A cell shows at most this many lines; longer text ends in an ellipsis.
const CELL_MAX_LINES: usize = 3;
const HEAD_ROW_HEIGHT: f32 = 20.0;

/// One person's row, already encoded and wrapped to the column widths.
#[derive(Debug)]
struct TableRow {
    cells: [Vec<Vec<u8>>; 5],
}

impl TableRow {
    fn new(person: &SlipPerson) -> Self {
        let texts = [
            person.reference_id.to_string(),
            person.name.clone(),
            person.birth_year.to_string(),
            person.gender.clone(),
            person.photo_id.clone(),
        ];
        let cells = std::array::from_fn(|column| {
            let width = COLUMNS[column].1 - 2.0 * CELL_PADDING;
            wrap(&win_ansi(&texts[column]), CELL, width, CELL_MAX_LINES)
        });
        Self { cells }
    }

    /// The row shown when the slip lists nobody.
    fn empty() -> Self {
        let mut cells: [Vec<Vec<u8>>; 5] = Default::default();
        cells[1] = vec![win_ansi("No one is booked on this appointment.")];
        Self { cells }
    }

    fn height(&self) -> f32 {
        let lines = self.cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        8.0 + CELL_LINE * lines as f32
    }
}

/// Splits the rows into pages: the first page's table starts at `first_top`, the others at the
/// top of a continuation page. Every page gets at least one row.
fn paginate(rows: &[TableRow], first_top: f32) -> Vec<&[TableRow]> {
    let mut pages = Vec::new();
    let mut start = 0;
    let mut top = first_top;
    while start < rows.len() {
        let mut y = top - HEAD_ROW_HEIGHT;
        let mut end = start;
        while end < rows.len() && (end == start || y - rows[end].height() >= TABLE_BOTTOM) {
            y -= rows[end].height();
            end += 1;
        }
        pages.push(&rows[start..end]);
        start = end;
        top = CONTINUATION_TABLE_TOP;
    }
    pages
}

fn draw_table(canvas: &mut Canvas, top: f32, rows: &[TableRow]) {
    let right = PAGE_WIDTH - MARGIN;
    canvas.fill_rect(
        MARGIN,
        top - HEAD_ROW_HEIGHT,
        CONTENT_WIDTH,
        HEAD_ROW_HEIGHT,
        0.9,
    );
    let mut x = MARGIN;
    for (heading, width) in COLUMNS {
        canvas.text(x + CELL_PADDING, top - 13.5, TABLE_HEAD, &win_ansi(heading));
        x += width;
    }
    canvas.rule(MARGIN, right, top - HEAD_ROW_HEIGHT, 0.75, 0.0);

    let mut y = top - HEAD_ROW_HEIGHT;
    for row in rows {
        let mut x = MARGIN;
        for (cell, (_, width)) in row.cells.iter().zip(COLUMNS) {
            let mut baseline = y - 13.5;
            for line in cell {
                canvas.text(x + CELL_PADDING, baseline, CELL, line);
                baseline -= CELL_LINE;
            }
            x += width;
        }
        y -= row.height();
        canvas.rule(MARGIN, right, y, 0.5, 0.6);
    }
}

// ---------------------------------------------------------------------------------------------
// The QR code.

/// A QR symbol: `width` × `width` modules, row by row from the top, `true` for dark.
#[derive(Debug)]
struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    fn is_dark(&self, row: usize, column: usize) -> bool {
        self.dark
            .get(row * self.width + column)
            .copied()
            .unwrap_or(false)
    }
}

/// The QR symbol for `payload`, or `None` when no QR version holds it.
fn qr_matrix(payload: &str) -> Option<QrMatrix> {
    // Level M (15 % recovery) survives a crease or a smudge on a printed slip; L only when M
    // cannot hold the payload at all.
    let code = QrCode::with_error_correction_level(payload, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(payload, EcLevel::L))
        .ok()?;
    let width = code.width();
    let dark = code
        .into_colors()
        .into_iter()
        .map(|color| color == Color::Dark)
        .collect();
    Some(QrMatrix { width, dark })
}

/// Draws `matrix` in the square whose top-left corner is (`left`, `top`), with the quiet zone
/// inside the square.
///
/// Each row's runs of dark modules become one rectangle, and all of them are filled as one path,
/// so viewers don't show hairline seams between neighbouring modules. Coordinates are multiples
/// of 1/32 pt, which `f32` holds exactly, so neighbouring rectangles meet exactly.
fn draw_qr(canvas: &mut Canvas, matrix: &QrMatrix, left: f32, top: f32, side: f32) {
    let modules = (matrix.width + 2 * QR_QUIET_MODULES) as f32;
    let module = (side / modules * 32.0).floor() / 32.0;
    let inset = snap((side - module * modules) / 2.0) + module * QR_QUIET_MODULES as f32;
    let origin_x = snap(left) + inset;
    let origin_y = snap(top) - inset;

    let content = &mut canvas.content;
    content.save_state();
    content.set_fill_gray(0.0);
    for row in 0..matrix.width {
        let y = origin_y - module * (row + 1) as f32;
        let mut column = 0;
        while column < matrix.width {
            if !matrix.is_dark(row, column) {
                column += 1;
                continue;
            }
            let start = column;
            while column < matrix.width && matrix.is_dark(row, column) {
                column += 1;
            }
            content.rect(
                origin_x + module * start as f32,
                y,
                module * (column - start) as f32,
                module,
            );
        }
    }
    content.fill_nonzero();
    content.restore_state();
}

/// Rounds to the nearest 1/32 pt.
fn snap(value: f32) -> f32 {
    (value * 32.0).round() / 32.0
}

// ---------------------------------------------------------------------------------------------
// Text: the two Helvetica faces, WinAnsi encoding, measuring, cutting and wrapping.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    /// The name the pages' resource dictionaries give the font.
    fn resource(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
        }
    }

    fn base_font(self) -> Name<'static> {
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
struct Style {
    face: Face,
    size: f32,
    gray: f32,
}

impl Style {
    const fn new(face: Face, size: f32, gray: f32) -> Self {
        Self { face, size, gray }
    }

    fn width(self, text: &[u8]) -> f32 {
        let units: u32 = text
            .iter()
            .map(|&byte| u32::from(self.face.advance(byte)))
            .sum();
        units as f32 * self.size / 1000.0
    }
}

/// The WinAnsi byte for "…".
const ELLIPSIS: u8 = 0x85;

/// Encodes `text` in WinAnsi, the encoding the slip's fonts use.
///
/// Whitespace becomes a space; control characters, invisible format characters and combining
/// accents are dropped (so a decomposed "é" still prints as "e"); any other character WinAnsi
/// lacks becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
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
fn fit(text: &[u8], style: Style, max_width: f32) -> Vec<u8> {
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
fn wrap(text: &[u8], style: Style, max_width: f32, max_lines: usize) -> Vec<Vec<u8>> {
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

// ---------------------------------------------------------------------------------------------
// Writing the PDF.

/// One page's content stream, with the few drawing steps the slip uses.
struct Canvas {
    content: Content,
}

impl Canvas {
    fn new() -> Self {
        Self {
            content: Content::new(),
        }
    }

    /// Shows WinAnsi `text` with its baseline starting at (`x`, `y`).
    fn text(&mut self, x: f32, y: f32, style: Style, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let content = &mut self.content;
        content.set_fill_gray(style.gray);
        content.begin_text();
        content.set_font(style.face.resource(), style.size);
        content.next_line(x, y);
        // `Str` escapes parentheses and backslashes, and writes bytes above 0x7F as a hex string.
        content.show(Str(text));
        content.end_text();
        if style.gray != 0.0 {
            content.set_fill_gray(0.0);
        }
    }

    fn text_right(&mut self, right: f32, y: f32, style: Style, text: &[u8]) {
        self.text(right - style.width(text), y, style, text);
    }

    fn text_centered(&mut self, center: f32, y: f32, style: Style, text: &[u8]) {
        self.text(center - style.width(text) / 2.0, y, style, text);
    }

    /// A horizontal line from `x1` to `x2` at height `y`.
    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_line_width(width);
        content.set_stroke_gray(gray);
        content.move_to(x1, y);
        content.line_to(x2, y);
        content.stroke();
        content.restore_state();
    }

    fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_fill_gray(gray);
        content.rect(x, y, width, height);
        content.fill_nonzero();
        content.restore_state();
    }

    fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_line_width(0.75);
        content.set_stroke_gray(gray);
        content.rect(x, y, width, height);
        content.stroke();
        content.restore_state();
    }
}

/// Puts the pages together: catalog, page tree, the two fonts, document information, and each
/// page with its content stream.
fn write_document(slip: &Slip, canvases: Vec<Canvas>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let font_ids = [(Face::Regular, Ref::new(4)), (Face::Bold, Ref::new(5))];
    let first_page_ref = 6;
    let page_ids: Vec<(Ref, Ref)> = (0..canvases.len())
        .map(|index| {
            let page = first_page_ref + 2 * index as i32;
            (Ref::new(page), Ref::new(page + 1))
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id)
        .pages(page_tree_id)
        .lang(TextStr("en"));
    pdf.pages(page_tree_id)
        .kids(page_ids.iter().map(|&(page, _)| page))
        .count(page_ids.len() as i32);
    let title = format!("Appointment slip {}", slip.appointment_id);
    pdf.document_info(info_id)
        .title(TextStr(&title))
        .producer(TextStr("sehat"));
    for (face, id) in font_ids {
        pdf.type1_font(id)
            .base_font(face.base_font())
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    for (canvas, &(page_id, content_id)) in canvases.into_iter().zip(&page_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(page_tree_id);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        for (face, id) in font_ids {
            fonts.pair(face.resource(), id);
        }
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &canvas.content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::Document;
    use lopdf::content::Content as ParsedContent;

    fn person(reference_id: i64, name: &str) -> SlipPerson {
        SlipPerson {
            reference_id,
            name: name.to_owned(),
            birth_year: 1984,
            gender: "Female".to_owned(),
            photo_id: "Aadhaar ********1234".to_owned(),
        }
    }

    fn sample_slip() -> Slip {
        Slip {
            appointment_id: 40_123_456_789_012,
            status: "ACTIVE".to_owned(),
            center_id: 561_023,
            center_name: "PHC Mehrauli".to_owned(),
            center_address: "Near Qutub Minar, Mehrauli-Badarpur Road".to_owned(),
            block_name: "Mehrauli".to_owned(),
            district_name: "South West Delhi".to_owned(),
            state_name: "Delhi".to_owned(),
            pincode: 110_030,
            date: "24-09-2021".to_owned(),
            slot: "09:30AM-10:30AM".to_owned(),
            vaccine: "COVISHIELD".to_owned(),
            dose: 1,
            people: vec![
                person(12_345_678_901_234, "Asha Verma"),
                person(12_345_678_901_235, "Rohan Verma"),
            ],
            issued_at: "2026-03-01 09:30 IST".to_owned(),
            qr_payload: "sehat:slip:v1:40123456789012:ACTIVE:sig=Zm9vYmFy".to_owned(),
        }
    }

    /// A payload like the signed string the caller will use, `length` ASCII characters long.
    fn signed_payload(length: usize) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:";
        let mut state: u32 = 0x9e37_79b9;
        (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                char::from(alphabet[state as usize % alphabet.len()])
            })
            .collect()
    }

    fn load(pdf: &[u8]) -> Document {
        Document::load_mem(pdf).expect("the slip should parse as a PDF")
    }

    fn all_text(document: &Document) -> String {
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        document
            .extract_text(&pages)
            .expect("text should be extractable")
    }

    #[test]
    fn the_slip_shows_the_booking_and_everyone_on_it() {
        let slip = sample_slip();
        let document = load(&render_pdf(&slip));

        assert_eq!(document.get_pages().len(), 1);
        let text = all_text(&document);
        for expected in [
            "Appointment Slip",
            "40123456789012",
            "ACTIVE",
            "PHC Mehrauli",
            "Near Qutub Minar, Mehrauli-Badarpur Road",
            "Mehrauli, South West Delhi, Delhi 110030",
            "Centre ID 561023",
            "24-09-2021",
            "09:30AM-10:30AM",
            "COVISHIELD",
            "Asha Verma",
            "Rohan Verma",
            "12345678901234",
            "12345678901235",
            "1984",
            "Aadhaar ********1234",
            "Show this slip and the photo ID at the centre.",
            "Issued 2026-03-01 09:30 IST",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} is missing from the slip's text:\n{text}"
            );
        }
    }

    #[test]
    fn the_fonts_are_standard_helvetica_and_not_embedded() {
        let document = load(&render_pdf(&sample_slip()));
        let page_id = document.get_pages()[&1];
        let fonts = document
            .get_page_fonts(page_id)
            .expect("the page should list its fonts");
        let mut base_fonts: Vec<String> = fonts
            .values()
            .map(|font| {
                assert!(
                    font.get(b"FontDescriptor").is_err(),
                    "a standard-14 font needs no descriptor or file"
                );
                let encoding = font
                    .get(b"Encoding")
                    .and_then(|e| e.as_name())
                    .expect("fonts should name their encoding");
                assert_eq!(encoding, b"WinAnsiEncoding");
                let name = font
                    .get(b"BaseFont")
                    .and_then(|name| name.as_name())
                    .expect("fonts should have a BaseFont");
                String::from_utf8_lossy(name).into_owned()
            })
            .collect();
        base_fonts.sort();
        assert_eq!(base_fonts, ["Helvetica", "Helvetica-Bold"]);
    }

    #[test]
    fn the_qr_matrix_decodes_to_the_payload() {
        for payload in [sample_slip().qr_payload, signed_payload(300)] {
            let matrix = qr_matrix(&payload).expect("the payload should fit a QR code");
            let grid = rqrr::SimpleGrid::from_func(matrix.width, |x, y| matrix.is_dark(y, x));
            let (_, decoded) = rqrr::Grid::new(grid)
                .decode()
                .expect("the matrix should decode");
            assert_eq!(decoded, payload);
        }
    }

    /// Pixels per PDF point when the tests rasterise a page.
    const SCAN_SCALE: f32 = 3.0;

    /// Paints what a scanner would see of the page's filled rectangles: each `re` in a path that
    /// is then filled with a dark colour, placed through the current transformation matrix.
    /// Text and strokes are left out. Returns the bitmap, row by row from the top of the page.
    fn rasterise_dark_fills(content: &[u8]) -> (usize, usize, Vec<bool>) {
        let width = (PAGE_WIDTH * SCAN_SCALE).ceil() as usize;
        let height = (PAGE_HEIGHT * SCAN_SCALE).ceil() as usize;
        let mut bitmap = vec![false; width * height];

        #[derive(Clone, Copy)]
        struct State {
            ctm: [f32; 6],
            dark_fill: bool,
        }
        let mut state = State {
            ctm: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            dark_fill: true,
        };
        let mut saved = Vec::new();
        let mut path: Vec<[f32; 4]> = Vec::new();

        let operations = ParsedContent::decode(content)
            .expect("the content stream should parse")
            .operations;
        for operation in operations {
            let numbers: Vec<f32> = operation
                .operands
                .iter()
                .filter_map(|operand| operand.as_float().ok())
                .collect();
            match operation.operator.as_str() {
                "q" => saved.push(state),
                "Q" => state = saved.pop().expect("Q should match a q"),
                "cm" => {
                    let [a, b, c, d, e, f] = numbers[..] else {
                        panic!("cm takes six numbers")
                    };
                    let m = state.ctm;
                    state.ctm = [
                        a * m[0] + b * m[2],
                        a * m[1] + b * m[3],
                        c * m[0] + d * m[2],
                        c * m[1] + d * m[3],
                        e * m[0] + f * m[2] + m[4],
                        e * m[1] + f * m[3] + m[5],
                    ];
                }
                "g" => state.dark_fill = numbers[0] < 0.5,
                "rg" => {
                    state.dark_fill = 0.3 * numbers[0] + 0.59 * numbers[1] + 0.11 * numbers[2] < 0.5
                }
                "re" => {
                    let [x, y, w, h] = numbers[..] else {
                        panic!("re takes four numbers")
                    };
                    let m = state.ctm;
                    assert!(
                        m[1] == 0.0 && m[2] == 0.0,
                        "the slip draws no rotated rectangles"
                    );
                    let (x0, y0) = (m[0] * x + m[4], m[3] * y + m[5]);
                    let (x1, y1) = (m[0] * (x + w) + m[4], m[3] * (y + h) + m[5]);
                    path.push([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]);
                }
                "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    if state.dark_fill {
                        for [x0, y0, x1, y1] in path.drain(..) {
                            // A pixel is painted when its centre lies inside the rectangle.
                            let columns = ((x0 * SCAN_SCALE - 0.5).ceil().max(0.0) as usize)
                                ..((x1 * SCAN_SCALE - 0.5).ceil().max(0.0) as usize).min(width);
                            let top = (PAGE_HEIGHT - y1) * SCAN_SCALE;
                            let bottom = (PAGE_HEIGHT - y0) * SCAN_SCALE;
                            let rows = ((top - 0.5).ceil().max(0.0) as usize)
                                ..((bottom - 0.5).ceil().max(0.0) as usize).min(height);
                            for row in rows {
                                for column in columns.clone() {
                                    bitmap[row * width + column] = true;
                                }
                            }
                        }
                    }
                    path.clear();
                }
                "S" | "s" | "n" => path.clear(),
                _ => {}
            }
        }
        (width, height, bitmap)
    }

    /// Rasterises the first page's dark fills, finds the one QR code on it with `rqrr`, checks it
    /// decodes to `payload` and that its modules are exactly the matrix the module builds, the
    /// right way round.
    fn assert_page_scans_to(pdf: &[u8], payload: &str) {
        let document = load(pdf);
        let page_id = document.get_pages()[&1];
        let content = document.get_page_content(page_id);
        let (width, height, bitmap) = rasterise_dark_fills(&content);

        let mut image =
            rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| bitmap[y * width + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "the page should hold exactly one QR code");
        let (_, decoded) = grids[0]
            .decode()
            .expect("the QR code on the page should decode");
        assert_eq!(decoded, payload);

        let matrix = qr_matrix(payload).expect("the payload should fit a QR code");
        use rqrr::BitGrid;
        let scanned = &grids[0].grid;
        assert_eq!(scanned.size(), matrix.width);
        for row in 0..matrix.width {
            for column in 0..matrix.width {
                assert_eq!(
                    scanned.bit(row, column),
                    matrix.is_dark(row, column),
                    "module at row {row}, column {column} differs from the matrix"
                );
            }
        }

        // The symbol, without its quiet zone, is at least 4 cm wide on paper.
        let [top_left, top_right, ..] = grids[0].bounds;
        let width_points = f64::from(top_right.x - top_left.x) / f64::from(SCAN_SCALE);
        assert!(
            width_points >= 4.0 / 2.54 * 72.0,
            "the QR code is only {width_points} pt wide"
        );
    }

    #[test]
    fn the_qr_code_drawn_on_the_page_scans_to_the_payload() {
        let slip = sample_slip();
        assert_page_scans_to(&render_pdf(&slip), &slip.qr_payload);
    }

    #[test]
    fn a_300_character_payload_still_scans_from_the_page() {
        let slip = Slip {
            qr_payload: signed_payload(300),
            ..sample_slip()
        };
        let matrix = qr_matrix(&slip.qr_payload).expect("300 characters should fit a QR code");
        assert!(
            matrix.width <= 69,
            "300 characters should need version 13 at most, got width {}",
            matrix.width
        );
        assert_page_scans_to(&render_pdf(&slip), &slip.qr_payload);
    }

    #[test]
    fn special_characters_do_not_break_the_pdf() {
        let mut slip = sample_slip();
        slip.people = vec![
            person(1, "O'Brien (Jr) \\ test"),
            person(2, "Zoë"),
            person(3, "अमित"),
            person(4, "Unbalanced ) ( ((paren"),
        ];
        slip.center_name = "Centre (North) \\ Block 2 – “A”".to_owned();
        slip.center_address = "Line one\nline two\ttabbed\r".to_owned();
        let pdf = render_pdf(&slip);

        let document = load(&pdf);
        let page_id = document.get_pages()[&1];
        ParsedContent::decode(&document.get_page_content(page_id))
            .expect("the content stream should parse");
        let text = all_text(&document);
        for expected in [
            "O'Brien (Jr) \\ test",
            "Zoë",
            "????",
            "Unbalanced ) ( ((paren",
            "Centre (North) \\ Block 2 – “A”",
            "Line one line two tabbed",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} is missing from the slip's text:\n{text}"
            );
        }
        assert_page_scans_to(&pdf, &slip.qr_payload);
    }

    #[test]
    fn the_same_slip_gives_the_same_bytes() {
        let slip = sample_slip();
        let first = render_pdf(&slip);
        assert_eq!(first, render_pdf(&slip));
        let raw = String::from_utf8_lossy(&first);
        assert!(
            !raw.contains("/CreationDate") && !raw.contains("/ModDate") && !raw.contains("/ID")
        );
    }

    #[test]
    fn many_people_continue_on_more_pages() {
        let mut slip = sample_slip();
        slip.people = (0..60)
            .map(|index| {
                person(
                    10_000_000_000_000 + index,
                    &format!("Person Number {index}"),
                )
            })
            .collect();
        let pdf = render_pdf(&slip);
        let document = load(&pdf);

        let pages = document.get_pages();
        assert!(pages.len() >= 2, "60 people should not fit on one page");
        let text = all_text(&document);
        for index in 0..60 {
            let name = format!("Person Number {index}\n");
            assert!(text.contains(&name), "{name:?} is missing");
        }
        for page in 1..=pages.len() {
            let page_text = document
                .extract_text(&[page as u32])
                .expect("text should be extractable");
            assert!(page_text.contains(&format!("Page {page} of {}", pages.len())));
            assert!(page_text.contains("40123456789012"));
        }
        assert_page_scans_to(&pdf, &slip.qr_payload);
    }

    #[test]
    fn a_slip_with_nobody_and_empty_fields_still_renders() {
        let mut slip = sample_slip();
        slip.people.clear();
        slip.center_address.clear();
        slip.block_name.clear();
        slip.pincode = 0;
        slip.slot.clear();
        let text = all_text(&load(&render_pdf(&slip)));
        assert!(text.contains("No one is booked on this appointment."));
        assert!(text.contains("South West Delhi, Delhi"));
    }

    #[test]
    fn a_payload_too_long_for_any_qr_code_leaves_a_note_instead() {
        let slip = Slip {
            qr_payload: "x".repeat(3_000),
            ..sample_slip()
        };
        assert!(qr_matrix(&slip.qr_payload).is_none());
        let text = all_text(&load(&render_pdf(&slip)));
        assert!(text.contains("QR code unavailable"));
        assert!(text.contains("PHC Mehrauli"));
    }

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
