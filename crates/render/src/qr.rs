//! QR codes: the symbol for a payload as a matrix of modules, which [`super::pdf::Page::qr`]
//! draws on a page.

use qrcode::{Color, EcLevel, QrCode};

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
        let width = code.width();
        let dark = code
            .into_colors()
            .into_iter()
            .map(|color| color == Color::Dark)
            .collect();
        Some(Self { width, dark })
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
}
