//! Test tools for the documents: what a scanner sees of a PDF page's filled rectangles, the QR
//! code found there, and payloads like the signed strings documents carry.

use super::pdf::{PAGE_HEIGHT, PAGE_WIDTH};
use super::qr::QrMatrix;
use lopdf::Document;
use lopdf::content::Content as ParsedContent;

/// A payload like the signed strings documents carry in their QR codes, `length` ASCII
/// characters long.
pub(crate) fn signed_payload(length: usize) -> String {
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

/// Pixels per PDF point when the tests rasterise a page.
const SCAN_SCALE: f32 = 3.0;

/// Paints what a scanner would see of the page's filled rectangles: each `re` in a path that
/// is then filled with a dark colour, placed through the current transformation matrix.
/// Text and strokes are left out. Returns the bitmap, row by row from the top of the page.
pub(crate) fn rasterise_dark_fills(content: &[u8]) -> (usize, usize, Vec<bool>) {
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
/// decodes to `payload` and that its modules are exactly the matrix [`QrMatrix::encode`] builds, the
/// right way round. The symbol, without its quiet zone, must be at least 4 cm wide on paper.
pub(crate) fn assert_page_scans_to(pdf: &[u8], payload: &str) {
    let document = Document::load_mem(pdf).expect("the document should parse as a PDF");
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

    let matrix = QrMatrix::encode(payload).expect("the payload should fit a QR code");
    use rqrr::BitGrid;
    let scanned = &grids[0].grid;
    assert_eq!(scanned.size(), matrix.width());
    for row in 0..matrix.width() {
        for column in 0..matrix.width() {
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
