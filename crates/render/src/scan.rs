//! Test tools for the documents: the QR code a scanner finds on a PDF page (through the
//! product's reader, [`crate::reader`]), checked module by module, and payloads like the signed
//! strings documents carry.

use crate::pdf::{PAGE_HEIGHT, PAGE_WIDTH};
use crate::qr::QrMatrix;
use crate::reader::{rasterise_dark_fills, read_qr_pdf};
use lopdf::Document;
use lopdf::content::Content as ParsedContent;

/// Pixels per PDF point in [`rasterise_dark_fills`].
const SCAN_SCALE: f32 = 3.0;

/// `length` bytes from a fixed seed, every byte value possible.
pub(crate) fn random_bytes(length: usize, seed: u64) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut bytes = vec![0; length];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

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

/// Rasterises the first page's dark fills, finds the one QR code on it with `rqrr`, checks it
/// decodes to `payload` and that its modules are exactly the matrix [`QrMatrix::encode`] builds, the
/// right way round. The symbol, without its quiet zone, must be at least 4 cm wide on paper.
pub(crate) fn assert_page_scans_to(pdf: &[u8], payload: &str) {
    let document = Document::load_mem(pdf).expect("the document should parse as a PDF");
    let page_id = document.get_pages()[&1];
    let content = document.get_page_content(page_id);
    let operations = ParsedContent::decode(&content)
        .expect("the content stream should parse")
        .operations;
    let raster = rasterise_dark_fills(&operations, PAGE_WIDTH, PAGE_HEIGHT);
    let (width, height, bitmap) = (raster.width, raster.height, raster.dark);

    let mut image =
        rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| bitmap[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "the page should hold exactly one QR code");
    let (_, decoded) = grids[0]
        .decode()
        .expect("the QR code on the page should decode");
    assert_eq!(decoded, payload);
    assert_eq!(
        read_qr_pdf(pdf).expect("the reader should find the QR code"),
        payload.as_bytes()
    );

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

/// The text of every page of `pdf` as a reader copying it out gets it: each string decoded
/// through its font's ToUnicode map, or, where krilla marked a cluster with `/ActualText` (Indic
/// conjuncts and reordered vowel signs), that text instead; a line break after each text object.
pub(crate) fn page_text(pdf: &[u8]) -> String {
    let document = Document::load_mem(pdf).expect("the document should parse as a PDF");
    let mut text = String::new();
    for (_, page_id) in document.get_pages() {
        let encodings: std::collections::BTreeMap<Vec<u8>, lopdf::Encoding<'_>> = document
            .get_page_fonts(page_id)
            .expect("the page should list its fonts")
            .into_iter()
            .map(|(name, font)| {
                let encoding = font
                    .get_font_encoding(&document)
                    .expect("the font should have an encoding");
                (name, encoding)
            })
            .collect();
        let content = document.get_page_content(page_id);
        let operations = ParsedContent::decode(&content)
            .expect("the content stream should parse")
            .operations;
        let mut encoding = None;
        let mut actual_text_depth = 0;
        for operation in &operations {
            match operation.operator.as_str() {
                "Tf" => {
                    let name = operation.operands[0].as_name().expect("Tf names a font");
                    encoding = encodings.get(name);
                }
                "BDC" => {
                    let actual = operation
                        .operands
                        .get(1)
                        .and_then(|properties| properties.as_dict().ok())
                        .and_then(|properties| properties.get(b"ActualText").ok())
                        .and_then(|actual| actual.as_str().ok());
                    if let Some(bytes) = actual {
                        let units: Vec<u16> = bytes
                            .chunks_exact(2)
                            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                            .skip_while(|&unit| unit == 0xfeff)
                            .collect();
                        text.push_str(&String::from_utf16_lossy(&units));
                        actual_text_depth += 1;
                    } else if actual_text_depth > 0 {
                        actual_text_depth += 1;
                    }
                }
                "EMC" if actual_text_depth > 0 => actual_text_depth -= 1,
                "Tj" | "TJ" if actual_text_depth == 0 => {
                    let encoding = encoding.expect("text is shown after Tf");
                    let strings = operation.operands.iter().flat_map(|operand| {
                        operand
                            .as_array()
                            .map_or_else(|_| vec![operand], |array| array.iter().collect())
                    });
                    for string in strings {
                        if let Ok(bytes) = string.as_str() {
                            text.push_str(
                                &Document::decode_text(encoding, bytes).expect("text decodes"),
                            );
                        }
                    }
                }
                "ET" if !text.ends_with('\n') => text.push('\n'),
                _ => {}
            }
        }
    }
    text
}

/// Where tests write documents for a person to look at: `SEHAT_RENDER_KEEP` if set, otherwise a
/// directory of this test process under the system's temporary directory.
pub(crate) fn output_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("SEHAT_RENDER_KEEP").map_or_else(
        || std::env::temp_dir().join(format!("sehat-render-{}", std::process::id())),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("the directory should be made");
    dir
}
