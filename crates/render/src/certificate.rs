//! The vaccination certificate: an A4 PDF laid out like CoWIN's (heading, beneficiary details,
//! the signed QR code large enough to scan, vaccination details per dose, how to verify), with
//! [`crate::pdf`], [`crate::text`] and [`crate::qr`]. The API layer fills a [`Certificate`] with
//! strings it has already formatted; names print in their own script.

use crate::RenderError;
use crate::pdf::{self, PAGE_HEIGHT, PAGE_WIDTH, Page};
use crate::qr::QrMatrix;
use crate::text::{Face, Style, clean, fit, wrap};

/// What the certificate shows, every value already formatted for print.
#[derive(Debug, Clone, Copy)]
pub struct Certificate<'a> {
    /// The heading, e.g. "Certificate for COVID-19 Vaccination".
    pub title: &'a str,
    /// Who issues it, e.g. "Ministry of Health & Family Welfare, Government of India".
    pub issuer: &'a str,
    /// The certificate's id.
    pub certificate_id: &'a str,
    /// When it was issued, as printed.
    pub issued_on: &'a str,
    /// The person vaccinated.
    pub beneficiary: Person<'a>,
    /// The doses, in order; up to three are shown side by side, more continue below.
    pub doses: &'a [DoseLine<'a>],
    /// The bytes the QR code holds, exactly (DIVOC's packed payload: the bytes of a ZIP file).
    pub qr_payload: &'a [u8],
    /// How to verify the certificate, printed under the QR code.
    pub verify: &'a str,
    /// The small print at the bottom of the page.
    pub footer: &'a str,
}

/// The beneficiary, as printed.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// The name as registered, in any script.
    pub name: &'a str,
    /// The age, e.g. "42".
    pub age: &'a str,
    /// The gender, e.g. "Female".
    pub gender: &'a str,
    /// The label of the photo ID line, e.g. "ID Verified".
    pub id_label: &'a str,
    /// The photo ID, masked, e.g. "Aadhaar # XXXXXXXX1234".
    pub masked_id: &'a str,
    /// The beneficiary reference id.
    pub reference_id: &'a str,
}

/// One dose, as printed.
#[derive(Debug, Clone, Copy)]
pub struct DoseLine<'a> {
    /// Which dose, e.g. "Dose 1 of 2".
    pub dose: &'a str,
    /// The vaccine's name, e.g. "COVISHIELD".
    pub vaccine: &'a str,
    /// Its manufacturer.
    pub manufacturer: &'a str,
    /// The batch number.
    pub batch: &'a str,
    /// The date of the dose, e.g. "24 Sep 2021".
    pub date: &'a str,
    /// Who gave it.
    pub vaccinated_by: &'a str,
    /// The centre's name.
    pub centre: &'a str,
    /// The centre's address.
    pub centre_address: &'a str,
}

/// The certificate as a PDF document (A4, one page; a second only for more than three doses).
///
/// The QR code holds exactly `qr_payload`, in byte mode at error correction level M; a payload
/// of 1.5 KB needs version 32 (145 modules), drawn 7.8 cm wide with its quiet zone (modules
/// of about 0.5 mm). A
/// payload longer than level M holds (2,331 bytes) is [`RenderError::PayloadTooLong`].
pub fn certificate_pdf(c: &Certificate<'_>) -> Result<Vec<u8>, RenderError> {
    let matrix = QrMatrix::encode_bytes(c.qr_payload).ok_or(RenderError::PayloadTooLong {
        bytes: c.qr_payload.len(),
    })?;
    let mut pages = vec![Page::new()];
    let mut y = draw_head(last(&mut pages), c);
    let details_bottom = draw_beneficiary(last(&mut pages), y, &c.beneficiary);

    let qr_left = PAGE_WIDTH - MARGIN - QR_SIDE;
    last(&mut pages).qr(&matrix, qr_left, y, QR_SIDE);
    let mut caption_y = y - QR_SIDE - 4.0;
    for line in wrap(&clean(c.verify), CAPTION, QR_SIDE, 3) {
        last(&mut pages).text_centered(qr_left + QR_SIDE / 2.0, caption_y, CAPTION, &line);
        caption_y -= 11.0;
    }

    y = details_bottom.min(caption_y) - 22.0;
    last(&mut pages).text(MARGIN, y, HEADING, "Vaccination Details");
    y -= 10.0;
    for chunk in c.doses.chunks(DOSES_PER_TABLE) {
        let table = DoseTable::new(chunk);
        if y - table.height() < FOOTER_TOP + 8.0 {
            pages.push(Page::new());
            y = TOP - 10.0;
            last(&mut pages).text(MARGIN, y, HEADING, "Vaccination Details (continued)");
            y -= 10.0;
        }
        y = table.draw(last(&mut pages), y) - 14.0;
    }
    if c.doses.is_empty() {
        last(&mut pages).text(MARGIN, y - 12.0, VALUE, "No dose is recorded.");
    }

    let page_count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        draw_footer(page, c, index + 1, page_count);
    }
    let title = format!("{} {}", clean(c.title), clean(c.certificate_id));
    pdf::document(&title, &pages)
}

fn last(pages: &mut Vec<Page>) -> &mut Page {
    if pages.is_empty() {
        pages.push(Page::new());
    }
    let index = pages.len() - 1;
    &mut pages[index]
}

// ---------------------------------------------------------------------------------------------
// Page geometry, in PDF points (1/72 inch); y grows upwards from the bottom of the page.

const MARGIN: f32 = 48.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Side of the QR code's square, quiet zone included: 7.8 cm.
const QR_SIDE: f32 = 220.0;
/// The beneficiary table, left of the QR code.
const DETAILS_WIDTH: f32 = CONTENT_WIDTH - QR_SIDE - 18.0;
const LABEL_WIDTH: f32 = 104.0;
const FOOTER_TOP: f32 = MARGIN + 30.0;
const DOSES_PER_TABLE: usize = 3;

const ISSUER: Style = Style::new(Face::Bold, 10.0, 0.25);
const TITLE: Style = Style::new(Face::Bold, 20.0, 0.0);
const META: Style = Style::new(Face::Regular, 9.5, 0.2);
const HEADING: Style = Style::new(Face::Bold, 12.5, 0.0);
const LABEL: Style = Style::new(Face::Regular, 9.0, 0.35);
const VALUE: Style = Style::new(Face::Regular, 10.5, 0.0);
const NAME: Style = Style::new(Face::Bold, 12.0, 0.0);
const DOSE_HEAD: Style = Style::new(Face::Bold, 10.0, 0.0);
const CAPTION: Style = Style::new(Face::Regular, 8.5, 0.25);
const SMALL: Style = Style::new(Face::Regular, 7.5, 0.35);

/// Draws the issuer, title, certificate id and date; returns where the body starts.
fn draw_head(page: &mut Page, c: &Certificate<'_>) -> f32 {
    page.text(
        MARGIN,
        TOP - 8.0,
        ISSUER,
        &fit(&clean(c.issuer), ISSUER, CONTENT_WIDTH),
    );
    page.text(
        MARGIN,
        TOP - 36.0,
        TITLE,
        &fit(&clean(c.title), TITLE, CONTENT_WIDTH),
    );
    let id = fit(
        &clean(&format!("Certificate ID: {}", c.certificate_id)),
        META,
        CONTENT_WIDTH * 0.6,
    );
    page.text(MARGIN, TOP - 54.0, META, &id);
    let issued = fit(
        &clean(&format!("Issued on: {}", c.issued_on)),
        META,
        CONTENT_WIDTH * 0.38,
    );
    page.text_right(PAGE_WIDTH - MARGIN, TOP - 54.0, META, &issued);
    page.rule(MARGIN, PAGE_WIDTH - MARGIN, TOP - 63.0, 1.5, 0.0);
    page.text(MARGIN, TOP - 86.0, HEADING, "Beneficiary Details");
    TOP - 94.0
}

/// The beneficiary's table of labels and values from `top`; returns its bottom.
fn draw_beneficiary(page: &mut Page, top: f32, person: &Person<'_>) -> f32 {
    let rows = [
        ("Beneficiary Name", person.name, NAME, 3),
        ("Age", person.age, VALUE, 1),
        ("Gender", person.gender, VALUE, 1),
        (person.id_label, person.masked_id, VALUE, 2),
        ("Beneficiary Reference ID", person.reference_id, VALUE, 1),
    ];
    let value_width = DETAILS_WIDTH - LABEL_WIDTH - 6.0;
    let mut y = top;
    for (label, value, style, max_lines) in rows {
        let value = if value.trim().is_empty() { "-" } else { value };
        let lines = wrap(&clean(value), style, value_width, max_lines);
        let labels = wrap(&clean(label), LABEL, LABEL_WIDTH - 6.0, 2);
        let line_height = style.size + 4.5;
        let height = 12.0 + line_height * lines.len().max(labels.len()).max(1) as f32;
        let mut baseline = y - 6.0 - style.size;
        for line in &labels {
            page.text(MARGIN, baseline, LABEL, line);
            baseline -= line_height;
        }
        let mut baseline = y - 6.0 - style.size;
        for line in &lines {
            page.text(MARGIN + LABEL_WIDTH, baseline, style, line);
            baseline -= line_height;
        }
        y -= height;
        page.rule(MARGIN, MARGIN + DETAILS_WIDTH, y, 0.5, 0.75);
    }
    y
}

/// The doses side by side: a label column, then one column per dose.
#[derive(Debug)]
struct DoseTable {
    heads: Vec<String>,
    /// Per row: the label, and per dose the wrapped lines.
    rows: Vec<(&'static str, Vec<Vec<String>>)>,
}

const DOSE_LABEL_WIDTH: f32 = 110.0;
const CELL_PADDING: f32 = 6.0;
const CELL_LINE: f32 = 13.0;
const HEAD_ROW: f32 = 20.0;

impl DoseTable {
    fn new(doses: &[DoseLine<'_>]) -> Self {
        let width = Self::column_width(doses.len()) - 2.0 * CELL_PADDING;
        let cell = |text: &str, lines: usize| {
            let text = if text.trim().is_empty() { "-" } else { text };
            wrap(&clean(text), VALUE, width, lines)
        };
        let row = |label: &'static str, pick: &dyn Fn(&DoseLine<'_>) -> String, lines: usize| {
            (label, doses.iter().map(|d| cell(&pick(d), lines)).collect())
        };
        let rows = vec![
            row("Vaccine Name", &|d| d.vaccine.to_owned(), 2),
            row("Manufacturer", &|d| d.manufacturer.to_owned(), 2),
            row("Batch Number", &|d| d.batch.to_owned(), 1),
            row("Date of Dose", &|d| d.date.to_owned(), 1),
            row("Vaccinated by", &|d| d.vaccinated_by.to_owned(), 2),
            row(
                "Vaccination at",
                &|d| {
                    [d.centre.trim(), d.centre_address.trim()]
                        .into_iter()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                5,
            ),
        ];
        let heads = doses
            .iter()
            .map(|d| fit(&clean(d.dose), DOSE_HEAD, width))
            .collect();
        Self { heads, rows }
    }

    fn column_width(doses: usize) -> f32 {
        (CONTENT_WIDTH - DOSE_LABEL_WIDTH) / doses.clamp(1, DOSES_PER_TABLE) as f32
    }

    fn row_height(cells: &[Vec<String>]) -> f32 {
        10.0 + CELL_LINE * cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32
    }

    fn height(&self) -> f32 {
        HEAD_ROW
            + self
                .rows
                .iter()
                .map(|(_, cells)| Self::row_height(cells))
                .sum::<f32>()
    }

    /// Draws the table from `top`; returns its bottom.
    fn draw(&self, page: &mut Page, top: f32) -> f32 {
        let right = PAGE_WIDTH - MARGIN;
        let column = Self::column_width(self.heads.len());
        page.fill_rect(MARGIN, top - HEAD_ROW, CONTENT_WIDTH, HEAD_ROW, 0.9);
        for (index, head) in self.heads.iter().enumerate() {
            let x = MARGIN + DOSE_LABEL_WIDTH + column * index as f32 + CELL_PADDING;
            page.text(x, top - 13.5, DOSE_HEAD, head);
        }
        let mut y = top - HEAD_ROW;
        page.rule(MARGIN, right, y, 0.75, 0.0);
        for (label, cells) in &self.rows {
            let baseline = y - 5.0 - VALUE.size;
            page.text(MARGIN + CELL_PADDING, baseline, LABEL, label);
            for (index, lines) in cells.iter().enumerate() {
                let x = MARGIN + DOSE_LABEL_WIDTH + column * index as f32 + CELL_PADDING;
                let mut line_y = baseline;
                for line in lines {
                    page.text(x, line_y, VALUE, line);
                    line_y -= CELL_LINE;
                }
            }
            y -= Self::row_height(cells);
            page.rule(MARGIN, right, y, 0.5, 0.75);
        }
        y
    }
}

fn draw_footer(page: &mut Page, c: &Certificate<'_>, number: usize, count: usize) {
    page.rule(MARGIN, PAGE_WIDTH - MARGIN, FOOTER_TOP, 0.5, 0.6);
    let mut y = FOOTER_TOP - 11.0;
    for line in wrap(&clean(c.footer), SMALL, CONTENT_WIDTH - 70.0, 2) {
        page.text(MARGIN, y, SMALL, &line);
        y -= 9.5;
    }
    if count > 1 {
        page.text_right(
            PAGE_WIDTH - MARGIN,
            FOOTER_TOP - 11.0,
            SMALL,
            &format!("Page {number} of {count}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_qr_pdf;
    use crate::scan::random_bytes;
    use lopdf::Document;

    fn dose<'a>(dose: &'a str, date: &'a str) -> DoseLine<'a> {
        DoseLine {
            dose,
            vaccine: "COVISHIELD",
            manufacturer: "Serum Institute of India Pvt. Ltd.",
            batch: "4121Z025",
            date,
            vaccinated_by: "Kavita Sharma",
            centre: "PHC Mehrauli",
            centre_address: "Near Qutub Minar, Mehrauli-Badarpur Road, South West Delhi, Delhi 110030",
        }
    }

    const DOSES: [DoseLine<'static>; 2] = [
        DoseLine {
            dose: "Dose 1 of 2",
            vaccine: "COVISHIELD",
            manufacturer: "Serum Institute of India Pvt. Ltd.",
            batch: "4121Z025",
            date: "24 Sep 2021",
            vaccinated_by: "Kavita Sharma",
            centre: "PHC Mehrauli",
            centre_address: "Near Qutub Minar, Mehrauli-Badarpur Road, South West Delhi, Delhi 110030",
        },
        DoseLine {
            dose: "Dose 2 of 2",
            vaccine: "COVISHIELD",
            manufacturer: "Serum Institute of India Pvt. Ltd.",
            batch: "4121Z077",
            date: "17 Dec 2021",
            vaccinated_by: "रमेश कुमार",
            centre: "UPHC साकेत",
            centre_address: "Saket, South Delhi, Delhi 110017",
        },
    ];

    fn certificate<'a>(
        name: &'a str,
        payload: &'a [u8],
        doses: &'a [DoseLine<'a>],
    ) -> Certificate<'a> {
        Certificate {
            title: "Certificate for COVID-19 Vaccination",
            issuer: "Ministry of Health & Family Welfare, Government of India",
            certificate_id: "84753627184",
            issued_on: "18 Dec 2021",
            beneficiary: Person {
                name,
                age: "42",
                gender: "Female",
                id_label: "ID Verified",
                masked_id: "Aadhaar # XXXXXXXX1234",
                reference_id: "12345678901234",
            },
            doses,
            qr_payload: payload,
            verify: "Scan the QR code with the verifier app, or at verify.sehat.example, to check that this certificate is genuine.",
            footer: "This certificate is issued under the national COVID-19 vaccination programme. Keep it with your photo ID.",
        }
    }

    fn text_of(pdf: &[u8]) -> String {
        crate::scan::page_text(pdf)
    }

    /// `text` without whitespace: a name set in several script runs is several text objects.
    fn squeezed(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn the_qr_code_on_the_certificate_reads_back_to_the_exact_payload() {
        let payload = random_bytes(1_536, 42);
        let pdf = certificate_pdf(&certificate("Asha Verma", &payload, &DOSES))
            .expect("the certificate should render");
        assert_eq!(read_qr_pdf(&pdf).expect("the QR code should scan"), payload);
        assert_eq!(
            QrMatrix::encode_bytes(&payload).map(|m| m.version()),
            Some(32)
        );
    }

    #[test]
    fn names_in_indian_scripts_print_as_text() {
        let payload = b"sehat-test";
        for name in ["सुनीता देवी", "முருகன் செல்வம்", "অমিত দাস"]
        {
            let pdf = certificate_pdf(&certificate(name, payload, &DOSES)).expect("renders");
            let text = text_of(&pdf);
            assert!(text.contains(name), "{name:?} is missing from:\n{text}");
            assert!(text.contains("रमेश कुमार"), "{text}");
            assert!(squeezed(&text).contains("UPHCसाकेत"), "{text}");
        }
    }

    #[test]
    fn the_certificate_shows_every_detail() {
        let pdf = certificate_pdf(&certificate("Asha Verma", b"payload", &DOSES)).expect("renders");
        let text = text_of(&pdf);
        for expected in [
            "Certificate for COVID-19 Vaccination",
            "Ministry of Health & Family Welfare, Government of India",
            "Certificate ID: 84753627184",
            "Issued on: 18 Dec 2021",
            "Beneficiary Details",
            "Asha Verma",
            "Aadhaar # XXXXXXXX1234",
            "12345678901234",
            "Vaccination Details",
            "Dose 1 of 2",
            "Dose 2 of 2",
            "4121Z025",
            "17 Dec 2021",
            "PHC Mehrauli",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} is missing from:\n{text}"
            );
        }
        let document = Document::load_mem(&pdf).expect("parses");
        assert_eq!(document.get_pages().len(), 1);
        assert_eq!(
            pdf,
            certificate_pdf(&certificate("Asha Verma", b"payload", &DOSES)).expect("renders")
        );
    }

    #[test]
    fn many_doses_and_long_values_still_render() {
        let doses = [
            dose("Dose 1 of 3", "01 Jan 2021"),
            dose("Dose 2 of 3", "01 Mar 2021"),
            dose("Precaution Dose", "01 Jan 2022"),
            dose("Dose 4", "01 Jan 2023"),
            dose("Dose 5", "01 Jan 2024"),
            dose("Dose 6", "01 Jan 2025"),
            dose("Dose 7", "01 Jan 2026"),
        ];
        let long_name =
            "Venkata Satya Sai Lakshmi Narasimha Rao Pothuraju Kondapalli Srinivasa ".repeat(4);
        let payload = random_bytes(2_000, 1);
        let pdf = certificate_pdf(&certificate(&long_name, &payload, &doses)).expect("renders");
        assert_eq!(read_qr_pdf(&pdf).expect("scans"), payload);
        let text = text_of(&pdf);
        assert!(text.contains("Dose 7") && text.contains("Precaution Dose"));
        let none = certificate_pdf(&certificate("X", b"p", &[])).expect("renders");
        assert!(text_of(&none).contains("No dose is recorded."));
    }

    #[test]
    fn a_payload_too_long_for_level_m_is_an_error() {
        let payload = vec![0u8; 2_400];
        assert!(matches!(
            certificate_pdf(&certificate("X", &payload, &DOSES)),
            Err(RenderError::PayloadTooLong { bytes: 2_400 })
        ));
    }

    #[test]
    fn a_damaged_pdf_is_a_clear_error_not_a_panic() {
        let pdf = certificate_pdf(&certificate("X", b"payload", &DOSES)).expect("renders");
        for cut in [0, 10, pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
            let result = read_qr_pdf(&pdf[..cut]);
            assert!(result.is_err() || result.as_deref().ok() == Some(b"payload".as_slice()));
        }
        assert!(matches!(
            read_qr_pdf(&pdf[..pdf.len() / 2]),
            Err(RenderError::NotAPdf(_))
        ));
        assert!(matches!(
            read_qr_pdf(b"hello"),
            Err(RenderError::NotAPdf(_))
        ));
        let no_qr = crate::pdf::document("blank", &[Page::new()]).expect("renders");
        assert!(matches!(read_qr_pdf(&no_qr), Err(RenderError::NoQrCode)));
    }

    /// Writes the certificate with names in three scripts to a temporary directory (set
    /// `SEHAT_RENDER_KEEP` to a directory to keep it there instead), for a person to look at.
    #[test]
    fn a_mixed_script_certificate_is_written_for_viewing() {
        let payload = random_bytes(1_536, 3);
        let name = "सुनीता देवी · முருகன் செல்வம் · অমিত দাস";
        let pdf = certificate_pdf(&certificate(name, &payload, &DOSES)).expect("renders");
        let dir = crate::scan::output_dir();
        let path = dir.join("certificate.pdf");
        std::fs::write(&path, &pdf).expect("the PDF should be written");
        assert_eq!(
            read_qr_pdf(&std::fs::read(&path).expect("reads")).expect("scans"),
            payload
        );
    }
}
