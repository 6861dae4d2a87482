//! The documents sehat renders, in one place: the generic pieces any document is made of, and
//! the documents built from them.
//!
//! Generic, for the appointment slip today and the vaccination certificate next:
//! - [`pdf`]: A4 pages on which text, rules, rectangles and QR codes are placed, and the file
//!   that holds them ([`pdf::Page`], [`pdf::document`]);
//! - [`text`]: the two standard Helvetica faces, WinAnsi text, measuring and wrapping;
//! - [`qr`]: the QR symbol of a payload ([`qr::QrMatrix`]), drawn by [`pdf::Page::qr`];
//! - [`svg`]: SVG documents of filled outlines and stroked curves.
//!
//! Documents: [`slip`], the appointment slip (PDF), and [`captcha_image`], the captcha's SVG.
//! Each is deterministic given its input (and, for the captcha, its random source); what a
//! document says is chosen by the API family that serves it.

/// The captcha image: random text in hand-drawn glyphs, as SVG.
pub mod captcha_image;
/// PDF pages and documents.
pub mod pdf;
/// QR symbols.
pub mod qr;
/// Test tools: what a scanner sees of a PDF page, and the QR code found on it.
#[cfg(test)]
pub(crate) mod scan;
/// The appointment slip: an A4 PDF with a QR code.
pub mod slip;
/// SVG outlines, curves and documents.
pub mod svg;
/// Text on PDF pages: faces, WinAnsi encoding, measuring and wrapping.
pub mod text;
