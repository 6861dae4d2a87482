//! The appointment slip (`GET /api/v2/appointment/appointmentslip/download`): what it shows
//! and where, as an A4 PDF with a QR code, laid out with [`crate::pdf`], [`crate::text`] and
//! [`crate::qr`]. The caller fills a [`Slip`]; the same [`Slip`] always gives the same bytes.

use crate::RenderError;
use crate::pdf::{self, PAGE_HEIGHT, PAGE_WIDTH, Page};
use crate::qr::QrMatrix;
use crate::text::{Face, Style, clean, fit, wrap};

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
pub fn render_pdf(slip: &Slip) -> Result<Vec<u8>, RenderError> {
    let rows: Vec<TableRow> = if slip.people.is_empty() {
        vec![TableRow::empty()]
    } else {
        slip.people.iter().map(TableRow::new).collect()
    };

    let mut first = Page::new();
    let first_table_top = draw_first_page_head(&mut first, slip);
    let pages_of_rows = paginate(&rows, first_table_top);
    let page_count = pages_of_rows.len();

    let mut canvases = Vec::with_capacity(page_count);
    let mut first = Some((first, first_table_top));
    for (index, page_rows) in pages_of_rows.into_iter().enumerate() {
        let (mut canvas, table_top) = first.take().unwrap_or_else(|| {
            let mut canvas = Page::new();
            draw_continuation_head(&mut canvas, slip);
            (canvas, CONTINUATION_TABLE_TOP)
        });
        draw_table(&mut canvas, table_top, page_rows);
        draw_footer(&mut canvas, slip, index + 1, page_count);
        canvases.push(canvas);
    }

    let title = format!("Appointment slip {}", slip.appointment_id);
    pdf::document(&title, &canvases)
}

// ---------------------------------------------------------------------------------------------
// Page geometry, in PDF points (1/72 inch); y grows upwards from the bottom of the page.

const MARGIN: f32 = 48.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Side of the square kept for the QR code, quiet zone included: 6 cm.
const QR_SIDE: f32 = 170.0;
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
fn draw_first_page_head(canvas: &mut Page, slip: &Slip) -> f32 {
    draw_brand_line(canvas, slip);
    canvas.text(MARGIN, TOP - 38.0, TITLE, "Appointment Slip");
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

    canvas.text(MARGIN, y, LABEL, "Vaccination centre");
    y -= 15.0;
    for line in wrap(&clean(&slip.center_name), VALUE, DETAILS_WIDTH, 2) {
        canvas.text(MARGIN, y, VALUE, &line);
        y -= 15.0;
    }
    for line in wrap(&clean(&slip.center_address), BODY, DETAILS_WIDTH, 3) {
        canvas.text(MARGIN, y, BODY, &line);
        y -= 13.0;
    }
    for line in wrap(&clean(&locality(slip)), BODY, DETAILS_WIDTH, 2) {
        canvas.text(MARGIN, y, BODY, &line);
        y -= 13.0;
    }
    canvas.text(
        MARGIN,
        y - 1.0,
        SMALL,
        &format!("Centre ID {}", slip.center_id),
    );
    let details_bottom = y - 1.0;

    let qr_left = PAGE_WIDTH - MARGIN - QR_SIDE;
    match QrMatrix::encode(&slip.qr_payload) {
        Some(matrix) => canvas.qr(&matrix, qr_left, body_top, QR_SIDE),
        None => {
            canvas.stroke_rect(qr_left, body_top - QR_SIDE, QR_SIDE, QR_SIDE, 0.6);
            canvas.text_centered(
                qr_left + QR_SIDE / 2.0,
                body_top - QR_SIDE / 2.0,
                BODY,
                "QR code unavailable",
            );
        }
    }
    let caption_y = body_top - QR_SIDE - 10.0;
    canvas.text_centered(
        qr_left + QR_SIDE / 2.0,
        caption_y,
        SMALL,
        "Scan to verify this appointment",
    );

    let heading_y = details_bottom.min(caption_y) - 28.0;
    canvas.text(MARGIN, heading_y, HEADING, "People on this appointment");
    heading_y - 8.0
}

/// Draws the head of a page after the first; the table follows at [`CONTINUATION_TABLE_TOP`].
fn draw_continuation_head(canvas: &mut Page, slip: &Slip) {
    draw_brand_line(canvas, slip);
    canvas.text(MARGIN, TOP - 34.0, SUBTITLE, "Appointment Slip (continued)");
    canvas.text(
        MARGIN,
        TOP - 50.0,
        BODY,
        &format!("Appointment ID {}", slip.appointment_id),
    );
    canvas.rule(MARGIN, PAGE_WIDTH - MARGIN, TOP - 60.0, 1.0, 0.0);
}

fn draw_brand_line(canvas: &mut Page, slip: &Slip) {
    canvas.text(MARGIN, TOP - 10.0, BRAND, "sehat");
    let issued = fit(
        &clean(&format!("Issued {}", slip.issued_at)),
        SMALL,
        CONTENT_WIDTH / 2.0,
    );
    canvas.text_right(PAGE_WIDTH - MARGIN, TOP - 10.0, SMALL, &issued);
}

/// A small grey label with its value under it, cut to `width`.
fn draw_field(
    canvas: &mut Page,
    x: f32,
    y: f32,
    width: f32,
    label: &str,
    value: &str,
    style: Style,
) {
    canvas.text(x, y, LABEL, label);
    let value = if value.trim().is_empty() { "-" } else { value };
    canvas.text(x, y - 16.0, style, &fit(&clean(value), style, width));
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

fn draw_footer(canvas: &mut Page, slip: &Slip, page: usize, page_count: usize) {
    canvas.rule(MARGIN, PAGE_WIDTH - MARGIN, FOOTER_TOP, 0.5, 0.6);
    canvas.text(
        MARGIN,
        FOOTER_TOP - 16.0,
        NOTE,
        "Show this slip and the photo ID at the centre.",
    );
    canvas.text(
        MARGIN,
        FOOTER_TOP - 30.0,
        SMALL,
        &format!("Appointment {}", slip.appointment_id),
    );
    canvas.text_right(
        PAGE_WIDTH - MARGIN,
        FOOTER_TOP - 30.0,
        SMALL,
        &format!("Page {page} of {page_count}"),
    );
}

// ---------------------------------------------------------------------------------------------
// The table of people.

/// The columns: heading and width. The name column takes what the others leave.
const COLUMNS: [(&str, f32); 5] = [
    ("Ref. ID", 94.0),
    ("Name", CONTENT_WIDTH - 94.0 - 56.0 - 50.0 - 140.0),
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
    cells: [Vec<String>; 5],
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
            wrap(&clean(&texts[column]), CELL, width, CELL_MAX_LINES)
        });
        Self { cells }
    }

    /// The row shown when the slip lists nobody.
    fn empty() -> Self {
        let mut cells: [Vec<String>; 5] = Default::default();
        cells[1] = vec![clean("No one is booked on this appointment.")];
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

fn draw_table(canvas: &mut Page, top: f32, rows: &[TableRow]) {
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
        canvas.text(x + CELL_PADDING, top - 13.5, TABLE_HEAD, heading);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{assert_page_scans_to, page_text, signed_payload};
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

    fn render(slip: &Slip) -> Vec<u8> {
        render_pdf(slip).expect("the slip should render")
    }

    fn load(pdf: &[u8]) -> Document {
        Document::load_mem(pdf).expect("the slip should parse as a PDF")
    }

    fn all_text(pdf: &[u8]) -> String {
        page_text(pdf)
    }

    #[test]
    fn the_slip_shows_the_booking_and_everyone_on_it() {
        let slip = sample_slip();
        let pdf = render(&slip);
        let document = load(&pdf);

        assert_eq!(document.get_pages().len(), 1);
        let text = all_text(&pdf);
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

    /// The names of the fonts the first page uses, as embedded (subset tag stripped).
    fn embedded_fonts(pdf: &[u8]) -> Vec<String> {
        let document = load(pdf);
        let page_id = document.get_pages()[&1];
        let fonts = document
            .get_page_fonts(page_id)
            .expect("the page should list its fonts");
        let mut names: Vec<String> = fonts
            .values()
            .map(|font| {
                let descendant = font
                    .get(b"DescendantFonts")
                    .and_then(|d| d.as_array())
                    .ok()
                    .and_then(|d| d.first())
                    .and_then(|d| d.as_reference().ok())
                    .and_then(|id| document.get_dictionary(id).ok())
                    .expect("an embedded CID font has a descendant font");
                let descriptor = descendant
                    .get(b"FontDescriptor")
                    .and_then(|d| d.as_reference())
                    .and_then(|id| document.get_dictionary(id))
                    .expect("an embedded font has a descriptor");
                assert!(
                    descriptor.get(b"FontFile2").is_ok(),
                    "the font program is embedded"
                );
                assert!(font.get(b"ToUnicode").is_ok(), "text can be copied out");
                let name = font
                    .get(b"BaseFont")
                    .and_then(|name| name.as_name())
                    .expect("fonts should have a BaseFont");
                let name = String::from_utf8_lossy(name).into_owned();
                // A subset is named "ABCDEF+NotoSans-Regular".
                name.split_once('+')
                    .map_or(name.clone(), |(_, n)| n.to_owned())
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn the_fonts_are_embedded_noto_subsets() {
        assert_eq!(
            embedded_fonts(&render(&sample_slip())),
            ["NotoSans-Bold", "NotoSans-Regular"]
        );
        let mut slip = sample_slip();
        slip.people[0].name = "सुनीता देवी".to_owned();
        slip.people[1].name = "முருகன் செல்வம்".to_owned();
        assert_eq!(
            embedded_fonts(&render(&slip)),
            [
                "NotoSans-Bold",
                "NotoSans-Regular",
                "NotoSansDevanagari-Regular",
                "NotoSansTamil-Regular"
            ]
        );
    }

    #[test]
    fn the_qr_code_drawn_on_the_page_scans_to_the_payload() {
        let slip = sample_slip();
        assert_page_scans_to(&render(&slip), &slip.qr_payload);
    }

    #[test]
    fn a_300_character_payload_still_scans_from_the_page() {
        let slip = Slip {
            qr_payload: signed_payload(300),
            ..sample_slip()
        };
        let matrix =
            QrMatrix::encode(&slip.qr_payload).expect("300 characters should fit a QR code");
        assert!(
            matrix.width() <= 69,
            "300 characters should need version 13 at most, got width {}",
            matrix.width()
        );
        assert_page_scans_to(&render(&slip), &slip.qr_payload);
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
        let pdf = render(&slip);

        let document = load(&pdf);
        let page_id = document.get_pages()[&1];
        ParsedContent::decode(&document.get_page_content(page_id))
            .expect("the content stream should parse");
        let text = all_text(&pdf);
        for expected in [
            "O'Brien (Jr) \\ test",
            "Zoë",
            "अमित",
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
        let first = render(&slip);
        assert_eq!(first, render(&slip));
        let raw = String::from_utf8_lossy(&first);
        // krilla's file /ID is a hash of the content, not a random number.
        assert!(!raw.contains("/CreationDate") && !raw.contains("/ModDate"));
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
        let pdf = render(&slip);
        let document = load(&pdf);

        let pages = document.get_pages();
        assert!(pages.len() >= 2, "60 people should not fit on one page");
        let text = all_text(&pdf);
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
        let text = all_text(&render(&slip));
        assert!(text.contains("No one is booked on this appointment."));
        assert!(text.contains("South West Delhi, Delhi"));
    }

    #[test]
    fn a_payload_too_long_for_any_qr_code_leaves_a_note_instead() {
        let slip = Slip {
            qr_payload: "x".repeat(3_000),
            ..sample_slip()
        };
        assert!(QrMatrix::encode(&slip.qr_payload).is_none());
        let text = all_text(&render(&slip));
        assert!(text.contains("QR code unavailable"));
        assert!(text.contains("PHC Mehrauli"));
    }

    /// Writes a slip with names in all ten scripts the fonts cover, for a person to look at
    /// (see [`crate::scan::output_dir`]).
    #[test]
    fn a_slip_with_names_in_every_script_is_written_for_viewing() {
        let mut slip = sample_slip();
        slip.people = [
            "क्षितिज श्रीवास्तव",
            "முருகன் செல்வம்",
            "অমিত দাস",
            "శ్రీనివాస్ రెడ్డి",
            "ગીતા પટેલ",
            "ಕೃಷ್ಣ ಮೂರ್ತಿ",
            "ശ്രീലക്ഷ്മി നായർ",
            "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",
            "ପ୍ରିୟଙ୍କା ମହାନ୍ତି",
            "Zoë D'Souza",
        ]
        .iter()
        .zip(1..)
        .map(|(name, index)| person(12_345_678_901_200 + index, name))
        .collect();
        slip.center_name = "प्राथमिक स्वास्थ्य केंद्र मेहरौली (PHC Mehrauli)".to_owned();
        let pdf = render(&slip);
        std::fs::write(crate::scan::output_dir().join("slip.pdf"), &pdf)
            .expect("the PDF should be written");
        let text = all_text(&pdf);
        for person in &slip.people {
            assert!(text.contains(&person.name), "{:?} is missing", person.name);
        }
        assert_page_scans_to(&pdf, &slip.qr_payload);
    }
}
