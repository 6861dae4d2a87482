//! The documents sehat renders, in one place: the generic pieces any document is made of, and
//! the documents built from them.
//!
//! Generic, for the appointment slip, the vaccination certificate and the web app:
//! - [`pdf`]: A4 pages on which text, rules, rectangles and QR codes are placed, and the file
//!   that holds them ([`pdf::Page`], [`pdf::document`]), written with krilla;
//! - [`text`]: text split by script and shaped in the embedded Noto fonts (Latin and nine Indic
//!   scripts), measuring and wrapping with their metrics;
//! - [`qr`]: the QR symbol of a payload ([`qr::QrMatrix`]), drawn by [`pdf::Page::qr`], and as a
//!   PNG ([`qr_png`]);
//! - [`reader`]: QR codes read back from a PNG or from a rendered PDF page, for the offline
//!   verifier ([`read_qr_png`], [`read_qr_pdf`]);
//! - [`svg`]: SVG documents of filled outlines and stroked curves.
//!
//! Documents: [`slip`], the appointment slip (PDF), [`certificate`], the vaccination certificate
//! (PDF), and [`captcha_image`], the captcha's SVG. Each is deterministic given its input (and,
//! for the captcha, its random source); what a document says is chosen by the API family that
//! serves it. This crate depends on no other sehat crate.

/// The captcha image: random text in hand-drawn glyphs, as SVG.
pub mod captcha_image;
/// The vaccination certificate: an A4 PDF with a large QR code.
pub mod certificate;
/// The embedded Noto fonts and which one sets a character.
mod fonts;
/// PDF pages and documents.
pub mod pdf;
/// QR symbols, drawn on pages or as PNG images.
pub mod qr;
/// QR codes read back from PNG images and PDF pages.
pub mod reader;
/// Test tools: the QR code found on a PDF page, checked module by module.
#[cfg(test)]
pub(crate) mod scan;
/// The appointment slip: an A4 PDF with a QR code.
pub mod slip;
/// SVG outlines, curves and documents.
pub mod svg;
/// Text on PDF pages: script runs, shaping, measuring and wrapping.
pub mod text;

pub use certificate::{Certificate, DoseLine, Person, certificate_pdf};
pub use qr::qr_png;
pub use reader::{read_qr_image, read_qr_jpeg, read_qr_pdf, read_qr_png};

/// Why a document or an image could not be made, or a QR code not read.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The payload is longer than any QR code at level M holds (2,331 bytes).
    #[error("a payload of {bytes} bytes is too long for a QR code at error correction level M")]
    PayloadTooLong {
        /// The payload's length.
        bytes: usize,
    },
    /// krilla could not write the PDF.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    /// A PNG image could not be written or read.
    #[error("PNG image: {0}")]
    Image(String),
    /// The input to [`read_qr_pdf`] is not a readable PDF (truncated, damaged, no pages).
    #[error("not a readable PDF: {0}")]
    NotAPdf(String),
    /// No QR code was found.
    #[error("no QR code was found")]
    NoQrCode,
    /// A QR code was found but could not be decoded.
    #[error("the QR code could not be decoded: {0}")]
    QrUnreadable(String),
}
