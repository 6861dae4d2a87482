//! QR codes: the symbol for a payload as a matrix of modules, which [`crate::pdf::Page::qr`]
//! draws on a page, and the symbol alone as a PNG image ([`qr_png`]).

use crate::RenderError;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// The quiet zone the QR specification asks for around the symbol, in modules.
pub const QUIET_MODULES: usize = 4;

/// A QR symbol: `width` × `width` modules, row by row from the top, `true` for dark.
#[derive(Debug)]
pub struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// The QR symbol for `payload`, or `None` when no QR version holds it (more than 2,331
    /// bytes at level M and 2,953 at L).
    pub fn encode(payload: &str) -> Option<Self> {
        // Level M (15 % recovery) survives a crease or a smudge on a printed page; L only when M
        // cannot hold the payload at all.
        let code = QrCode::with_error_correction_level(payload, EcLevel::M)
            .or_else(|_| QrCode::with_error_correction_level(payload, EcLevel::L))
            .ok()?;
        Some(Self::from_code(code))
    }

    /// The QR symbol holding exactly the bytes of `payload` in one byte-mode segment, at error
    /// correction level M, in the smallest version that holds it; `None` when none does (more
    /// than 2,331 bytes).
    ///
    /// Byte mode whatever the bytes are: a reader gets back the same bytes, not a re-encoding
    /// of digits or upper-case letters that an optimising encoder would have chosen.
    pub fn encode_bytes(payload: &[u8]) -> Option<Self> {
        (1..=40).find_map(|version| {
            let mut bits = Bits::new(Version::Normal(version));
            bits.push_byte_data(payload).ok()?;
            bits.push_terminator(EcLevel::M).ok()?;
            QrCode::with_bits(bits, EcLevel::M)
                .ok()
                .map(Self::from_code)
        })
    }

    fn from_code(code: QrCode) -> Self {
        let width = code.width();
        let dark = code
            .into_colors()
            .into_iter()
            .map(|color| color == Color::Dark)
            .collect();
        Self { width, dark }
    }

    /// The QR version (1 to 40) of the symbol.
    pub fn version(&self) -> usize {
        (self.width.saturating_sub(17)) / 4
    }

    /// How many modules a side has, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at `row`, `column` (from the top left) is dark.
    pub fn is_dark(&self, row: usize, column: usize) -> bool {
        self.dark
            .get(row * self.width + column)
            .copied()
            .unwrap_or(false)
    }
}

/// `payload` as a QR code alone in a PNG image: byte mode, error correction level M, a quiet
/// zone of [`QUIET_MODULES`] modules, each module `module_px` pixels square (8-bit greyscale).
pub fn qr_png(payload: &[u8], module_px: u32) -> Result<Vec<u8>, RenderError> {
    let matrix = QrMatrix::encode_bytes(payload).ok_or(RenderError::PayloadTooLong {
        bytes: payload.len(),
    })?;
    let module_px = module_px.clamp(1, 64) as usize;
    let side_modules = matrix.width() + 2 * QUIET_MODULES;
    let side = side_modules * module_px;
    let mut pixels = vec![255u8; side * side];
    for row in 0..matrix.width() {
        for column in 0..matrix.width() {
            if !matrix.is_dark(row, column) {
                continue;
            }
            let top = (row + QUIET_MODULES) * module_px;
            let left = (column + QUIET_MODULES) * module_px;
            for y in top..top + module_px {
                pixels[y * side + left..y * side + left + module_px].fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| RenderError::Image("too large".to_owned()))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let image_error = |error: png::EncodingError| RenderError::Image(error.to_string());
    let mut writer = encoder.write_header().map_err(image_error)?;
    writer.write_image_data(&pixels).map_err(image_error)?;
    writer.finish().map_err(image_error)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::signed_payload;

    #[test]
    fn the_qr_matrix_decodes_to_the_payload() {
        let slip_payload = "sehat:slip:v1:40123456789012:ACTIVE:sig=Zm9vYmFy".to_owned();
        for payload in [slip_payload, signed_payload(300)] {
            let matrix = QrMatrix::encode(&payload).expect("the payload should fit a QR code");
            let grid = rqrr::SimpleGrid::from_func(matrix.width(), |x, y| matrix.is_dark(y, x));
            let (_, decoded) = rqrr::Grid::new(grid)
                .decode()
                .expect("the matrix should decode");
            assert_eq!(decoded, payload);
        }
    }

    #[test]
    fn binary_payloads_go_in_one_byte_segment_at_level_m() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(1_500).collect();
        let matrix = QrMatrix::encode_bytes(&payload).expect("1,500 bytes fit at level M");
        // 1,500 bytes in byte mode need version 32 at level M (version 31 holds about 1,430).
        assert_eq!(matrix.version(), 32);
        let grid = rqrr::SimpleGrid::from_func(matrix.width(), |x, y| matrix.is_dark(y, x));
        let mut decoded = Vec::new();
        let meta = rqrr::Grid::new(grid)
            .decode_to(&mut decoded)
            .expect("the matrix should decode");
        assert_eq!(meta.ecc_level, 0, "rqrr numbers level M as 0");
        assert_eq!(decoded, payload);
        assert!(QrMatrix::encode_bytes(&vec![0; 2_332]).is_none());
        assert!(QrMatrix::encode_bytes(&vec![0; 2_331]).is_some());
    }

    #[test]
    fn a_png_of_a_binary_payload_reads_back_to_the_same_bytes() {
        // Like DIVOC's payload: the bytes of a ZIP file, not text.
        let payload = crate::scan::random_bytes(1_536, 7);
        let png = qr_png(&payload, 4).expect("1.5 KB fits a QR code");
        assert_eq!(
            crate::read_qr_png(&png).expect("the PNG should scan"),
            payload
        );
        let text = "सुनीता देवी · முருகன் · অমিত".as_bytes();
        assert_eq!(
            crate::read_qr_png(&qr_png(text, 3).expect("fits")).expect("scans"),
            text
        );
        assert!(matches!(
            qr_png(&vec![1; 3_000], 4),
            Err(RenderError::PayloadTooLong { bytes: 3_000 })
        ));
        assert!(crate::read_qr_png(b"not a png").is_err());
        assert!(crate::read_qr_png(&png[..png.len() / 2]).is_err());
    }

    #[test]
    fn a_jpeg_photo_of_a_binary_payload_reads_back_to_the_same_bytes() {
        let payload = crate::scan::random_bytes(1_200, 11);
        let matrix = QrMatrix::encode_bytes(&payload).expect("fits");
        // A photo: grey paper, dark grey ink, 5 pixels a module, 4 modules of quiet zone, saved
        // as a lossy JPEG by an encoder that is not sehat's.
        let (scale, quiet) = (5, 4);
        let side = (matrix.width() + 2 * quiet) * scale;
        let mut pixels = vec![225u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (
                    (x / scale).wrapping_sub(quiet),
                    (y / scale).wrapping_sub(quiet),
                );
                if mx < matrix.width() && my < matrix.width() && matrix.is_dark(my, mx) {
                    pixels[y * side + x] = 40;
                }
            }
        }
        let mut jpeg = Vec::new();
        let side16 = u16::try_from(side).expect("small");
        jpeg_encoder::Encoder::new(&mut jpeg, 75)
            .encode(&pixels, side16, side16, jpeg_encoder::ColorType::Luma)
            .expect("encodes");
        assert_eq!(
            crate::read_qr_image(&jpeg).expect("the photo should scan"),
            payload
        );
        assert!(crate::read_qr_image(&jpeg[..jpeg.len() / 3]).is_err());
        assert!(crate::read_qr_jpeg(b"\xFF\xD8\xFF not a jpeg").is_err());
    }
}
