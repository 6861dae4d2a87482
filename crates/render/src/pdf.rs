//! PDF documents written directly with `pdf-writer`: A4 pages on which a document places text
//! (see [`super::text`]), rules, rectangles and QR codes, put together into one file.
//!
//! Text is set in the standard-14 Helvetica faces, so no font file is embedded. QR codes are
//! drawn as filled rectangles, not as images. Nothing in the file comes from the clock or from a
//! random source: the same pages always give the same bytes.

use super::qr::{QUIET_MODULES, QrMatrix};
use super::text::{Face, Style};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// The width of an A4 page, in PDF points (1/72 inch).
pub const PAGE_WIDTH: f32 = 595.28;
/// The height of an A4 page, in PDF points; y grows upwards from the bottom of the page.
pub const PAGE_HEIGHT: f32 = 841.89;

/// One A4 page's content stream, with the drawing steps documents use.
pub struct Page {
    content: Content,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page").finish_non_exhaustive()
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new()
    }
}

impl Page {
    /// An empty page.
    pub fn new() -> Self {
        Self {
            content: Content::new(),
        }
    }

    /// Shows WinAnsi `text` with its baseline starting at (`x`, `y`).
    pub fn text(&mut self, x: f32, y: f32, style: Style, text: &[u8]) {
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

    /// Shows WinAnsi `text` ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, style: Style, text: &[u8]) {
        self.text(right - style.width(text), y, style, text);
    }

    /// Shows WinAnsi `text` centred on `center`.
    pub fn text_centered(&mut self, center: f32, y: f32, style: Style, text: &[u8]) {
        self.text(center - style.width(text) / 2.0, y, style, text);
    }

    /// A horizontal line from `x1` to `x2` at height `y`.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_line_width(width);
        content.set_stroke_gray(gray);
        content.move_to(x1, y);
        content.line_to(x2, y);
        content.stroke();
        content.restore_state();
    }

    /// A filled rectangle whose bottom-left corner is (`x`, `y`).
    pub fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_fill_gray(gray);
        content.rect(x, y, width, height);
        content.fill_nonzero();
        content.restore_state();
    }

    /// The outline of a rectangle whose bottom-left corner is (`x`, `y`).
    pub fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let content = &mut self.content;
        content.save_state();
        content.set_line_width(0.75);
        content.set_stroke_gray(gray);
        content.rect(x, y, width, height);
        content.stroke();
        content.restore_state();
    }

    /// Draws `matrix` in the square of `side` points whose top-left corner is (`left`, `top`),
    /// with the quiet zone inside the square.
    ///
    /// Each row's runs of dark modules become one rectangle, and all of them are filled as one
    /// path, so viewers don't show hairline seams between neighbouring modules. Coordinates are
    /// multiples of 1/32 pt, which `f32` holds exactly, so neighbouring rectangles meet exactly.
    pub fn qr(&mut self, matrix: &QrMatrix, left: f32, top: f32, side: f32) {
        let width = matrix.width();
        let modules = (width + 2 * QUIET_MODULES) as f32;
        let module = (side / modules * 32.0).floor() / 32.0;
        let inset = snap((side - module * modules) / 2.0) + module * QUIET_MODULES as f32;
        let origin_x = snap(left) + inset;
        let origin_y = snap(top) - inset;

        let content = &mut self.content;
        content.save_state();
        content.set_fill_gray(0.0);
        for row in 0..width {
            let y = origin_y - module * (row + 1) as f32;
            let mut column = 0;
            while column < width {
                if !matrix.is_dark(row, column) {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < width && matrix.is_dark(row, column) {
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
}

/// Rounds to the nearest 1/32 pt.
fn snap(value: f32) -> f32 {
    (value * 32.0).round() / 32.0
}

/// Puts the pages together into a PDF file titled `title`: catalog, page tree, the two fonts,
/// document information, and each page with its content stream.
pub fn document(title: &str, pages: Vec<Page>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let font_ids = [(Face::Regular, Ref::new(4)), (Face::Bold, Ref::new(5))];
    let first_page_ref = 6;
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
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
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("sehat"));
    for (face, id) in font_ids {
        pdf.type1_font(id)
            .base_font(face.base_font())
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    for (page_content, &(page_id, content_id)) in pages.into_iter().zip(&page_ids) {
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
        pdf.stream(content_id, &page_content.content.finish());
    }
    pdf.finish()
}
