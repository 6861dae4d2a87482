//! PDF documents written with krilla: A4 pages on which a document places text (shaped by
//! [`crate::text`] in the embedded Noto fonts, of which krilla embeds subsets), rules, rectangles
//! and QR codes, put together into one file.
//!
//! A [`Page`] records its drawing steps in PDF coordinates (points, y up from the bottom);
//! [`document`] replays them onto krilla's surfaces. QR codes are drawn as filled rectangles,
//! not as images, so they stay crisp at any zoom. Nothing in the file comes from the clock or
//! from a random source: the same pages always give the same bytes.

use crate::RenderError;
use crate::qr::{QUIET_MODULES, QrMatrix};
use crate::text::{ShapedText, Style, clean};
use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

/// The width of an A4 page, in PDF points (1/72 inch).
pub const PAGE_WIDTH: f32 = 595.28;
/// The height of an A4 page, in PDF points; y grows upwards from the bottom of the page.
pub const PAGE_HEIGHT: f32 = 841.89;

/// One drawing step.
#[derive(Debug)]
enum Step {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: ShapedText,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        gray: f32,
    },
    FillRect {
        rect: [f32; 4],
        gray: f32,
    },
    StrokeRect {
        rect: [f32; 4],
        gray: f32,
    },
    /// Black rectangles filled as one path: `[x, y, width, height]` each.
    Rects(Vec<[f32; 4]>),
}

/// One A4 page: the drawing steps documents use, recorded in order.
#[derive(Debug, Default)]
pub struct Page {
    steps: Vec<Step>,
}

impl Page {
    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `text` (cleaned with [`clean`]) with its baseline starting at (`x`, `y`).
    pub fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        let text = clean(text);
        if text.is_empty() {
            return;
        }
        self.steps.push(Step::Text {
            x,
            y,
            style,
            text: ShapedText::new(&text, style.face),
        });
    }

    /// Shows `text` ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, style: Style, text: &str) {
        self.text(right - style.width(&clean(text)), y, style, text);
    }

    /// Shows `text` centred on `center`.
    pub fn text_centered(&mut self, center: f32, y: f32, style: Style, text: &str) {
        self.text(center - style.width(&clean(text)) / 2.0, y, style, text);
    }

    /// A horizontal line from `x1` to `x2` at height `y`.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        self.steps.push(Step::Rule {
            x1,
            x2,
            y,
            width,
            gray,
        });
    }

    /// A filled rectangle whose bottom-left corner is (`x`, `y`).
    pub fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        self.steps.push(Step::FillRect {
            rect: [x, y, width, height],
            gray,
        });
    }

    /// The outline of a rectangle whose bottom-left corner is (`x`, `y`).
    pub fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        self.steps.push(Step::StrokeRect {
            rect: [x, y, width, height],
            gray,
        });
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

        let mut rects = Vec::new();
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
                rects.push([
                    origin_x + module * start as f32,
                    y,
                    module * (column - start) as f32,
                    module,
                ]);
            }
        }
        self.steps.push(Step::Rects(rects));
    }

    /// Replays the steps onto a krilla surface, turning y around (krilla's y grows downwards).
    fn draw(&self, surface: &mut Surface<'_>) {
        let flip = |y: f32| PAGE_HEIGHT - y;
        for step in &self.steps {
            match step {
                Step::Text { x, y, style, text } => {
                    surface.set_fill(Some(gray_fill(style.gray)));
                    surface.set_stroke(None);
                    let mut pen = *x;
                    for run in &text.runs {
                        let glyphs: Vec<KrillaGlyph> = run
                            .glyphs
                            .iter()
                            .map(|glyph| {
                                KrillaGlyph::new(
                                    GlyphId::new(glyph.id),
                                    glyph.x_advance,
                                    glyph.x_offset,
                                    glyph.y_offset,
                                    glyph.y_advance,
                                    glyph.range.clone(),
                                    None,
                                )
                            })
                            .collect();
                        surface.draw_glyphs(
                            Point::from_xy(pen, flip(*y)),
                            &glyphs,
                            run.font.loaded().pdf.clone(),
                            &run.text,
                            style.size,
                            false,
                        );
                        pen += run.glyphs.iter().map(|g| g.x_advance).sum::<f32>() * style.size;
                    }
                }
                Step::Rule {
                    x1,
                    x2,
                    y,
                    width,
                    gray,
                } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, flip(*y));
                    path.line_to(*x2, flip(*y));
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(gray_stroke(*gray, *width)));
                        surface.draw_path(&path);
                    }
                }
                Step::FillRect { rect, gray } => {
                    if let Some(path) = rect_path(std::slice::from_ref(rect)) {
                        surface.set_stroke(None);
                        surface.set_fill(Some(gray_fill(*gray)));
                        surface.draw_path(&path);
                    }
                }
                Step::StrokeRect { rect, gray } => {
                    if let Some(path) = rect_path(std::slice::from_ref(rect)) {
                        surface.set_fill(None);
                        surface.set_stroke(Some(gray_stroke(*gray, 0.75)));
                        surface.draw_path(&path);
                    }
                }
                Step::Rects(rects) => {
                    if let Some(path) = rect_path(rects) {
                        surface.set_stroke(None);
                        surface.set_fill(Some(gray_fill(0.0)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
    }
}

/// A path of rectangles given in PDF coordinates (`[x, y, width, height]`, y up).
fn rect_path(rects: &[[f32; 4]]) -> Option<krilla::geom::Path> {
    let mut path = PathBuilder::new();
    for &[x, y, width, height] in rects {
        if let Some(rect) = Rect::from_xywh(x, PAGE_HEIGHT - y - height, width, height) {
            path.push_rect(rect);
        }
    }
    path.finish()
}

fn luma(gray: f32) -> luma::Color {
    luma::Color::new((gray.clamp(0.0, 1.0) * 255.0).round() as u8)
}

fn gray_fill(gray: f32) -> Fill {
    Fill {
        paint: luma(gray).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn gray_stroke(gray: f32, width: f32) -> Stroke {
    Stroke {
        paint: luma(gray).into(),
        width,
        ..Stroke::default()
    }
}

/// Rounds to the nearest 1/32 pt.
fn snap(value: f32) -> f32 {
    (value * 32.0).round() / 32.0
}

/// Puts the pages together into a PDF file titled `title`, with subsets of the fonts used.
pub fn document(title: &str, pages: &[Page]) -> Result<Vec<u8>, RenderError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .producer("sehat".to_owned())
            .language("en".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| RenderError::Pdf("the A4 page size is invalid".to_owned()))?;
    for page in pages {
        let mut krilla_page = document.start_page_with(settings.clone());
        let mut surface = krilla_page.surface();
        page.draw(&mut surface);
        surface.finish();
        krilla_page.finish();
    }
    document
        .finish()
        .map_err(|error| RenderError::Pdf(format!("{error:?}")))
}
