//! Reading QR codes back, for the offline verifier: from a PNG image, and from the first page of
//! a PDF that sehat rendered, by painting what a scanner would see of the page's filled
//! rectangles and finding the symbol there. Input may be anything: every failure is a
//! [`RenderError`], never a panic.

use crate::RenderError;
use crate::pdf::{PAGE_HEIGHT, PAGE_WIDTH};
use lopdf::Document;
use lopdf::content::Content;

/// Pixels per PDF point when a page is rasterised: QR modules of a sehat document are at
/// least 1.4 pt wide, so at least 4 pixels.
const SCAN_SCALE: f32 = 3.0;

/// The largest page side, in points, that [`read_qr_pdf`] rasterises (about 60 cm, A2).
const MAX_PAGE_SIDE: f32 = 1_700.0;

/// The most bytes a page's content may decompress to (a sehat certificate's is under 1 MB).
const MAX_CONTENT_BYTES: usize = 32 << 20;

/// The most pixels [`read_qr_png`] accepts (16 megapixels: a phone photo; each pixel costs a few
/// bytes while decoding, and `verify` takes PNGs from anyone).
const MAX_PNG_PIXELS: u64 = 16 << 20;

/// The bytes the one QR code in a PNG image holds, exactly as encoded (byte mode gives back
/// any bytes, UTF-8 or not).
pub fn read_qr_png(png: &[u8]) -> Result<Vec<u8>, RenderError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|error| RenderError::Image(error.to_string()))?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if u64::from(width) * u64::from(height) > MAX_PNG_PIXELS {
        return Err(RenderError::Image(format!(
            "the image is {width}x{height} pixels, too large to scan"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| RenderError::Image("the image is too large".to_owned()))?;
    let mut buffer = vec![0; size];
    let frame = reader
        .next_frame(&mut buffer)
        .map_err(|error| RenderError::Image(error.to_string()))?;
    let channels = frame.color_type.samples();
    let stride = frame.line_size;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let start = y * stride + x * channels;
        let pixel = buffer.get(start..start + channels).unwrap_or(&[255]);
        match pixel {
            [r, g, b, ..] if channels >= 3 => {
                ((u32::from(*r) * 30 + u32::from(*g) * 59 + u32::from(*b) * 11) / 100) as u8
            }
            [gray, ..] => *gray,
            [] => 255,
        }
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    decode_one(&image.detect_grids())
}

/// The bytes the one QR code in a JPEG photo holds (a phone's picture of a certificate).
pub fn read_qr_jpeg(jpeg: &[u8]) -> Result<Vec<u8>, RenderError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    // 16 megapixels at most, as for PNG; decoded straight to grey.
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(1 << 14)
        .set_max_height(1 << 14);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder
        .decode_headers()
        .map_err(|error| RenderError::Image(error.to_string()))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| RenderError::Image("the image has no size".to_owned()))?;
    if (width as u64) * (height as u64) > MAX_PNG_PIXELS {
        return Err(RenderError::Image(format!(
            "the image is {width}x{height} pixels, too large to scan"
        )));
    }
    let luma = decoder
        .decode()
        .map_err(|error| RenderError::Image(error.to_string()))?;
    let (width, height) = decoder.dimensions().unwrap_or((width, height));
    if luma.len() < width * height {
        return Err(RenderError::Image("the image is truncated".to_owned()));
    }
    let pixel = |x: usize, y: usize| luma[y * width + x];
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    match decode_one(&image.detect_grids()) {
        Ok(bytes) => Ok(bytes),
        // JPEG's ringing around the modules' edges defeats rqrr's local threshold at lower
        // qualities; one threshold for the whole picture (Otsu's) still finds the symbol.
        Err(first) => {
            let cut = otsu(&luma[..width * height]);
            let mut image =
                rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| pixel(x, y) < cut);
            decode_one(&image.detect_grids()).map_err(|_| first)
        }
    }
}

/// The grey level that best splits `pixels` into dark and light (Otsu's method: the largest
/// variance between the two classes).
fn otsu(pixels: &[u8]) -> u8 {
    let mut histogram = [0u64; 256];
    for p in pixels {
        histogram[usize::from(*p)] += 1;
    }
    let total = pixels.len() as f64;
    let sum: f64 = histogram
        .iter()
        .enumerate()
        .map(|(level, n)| level as f64 * *n as f64)
        .sum();
    let (mut dark_n, mut dark_sum, mut best, mut cut) = (0.0, 0.0, -1.0, 128u8);
    for (level, n) in histogram.iter().enumerate() {
        dark_n += *n as f64;
        dark_sum += level as f64 * *n as f64;
        let light_n = total - dark_n;
        if dark_n == 0.0 || light_n == 0.0 {
            continue;
        }
        let between = dark_n * light_n * (dark_sum / dark_n - (sum - dark_sum) / light_n).powi(2);
        if between > best {
            best = between;
            // Dark is `< cut`: the levels up to and including this one.
            cut = u8::try_from(level + 1).unwrap_or(u8::MAX);
        }
    }
    cut
}

/// The bytes of the one QR code in a picture: PNG or JPEG, told apart by their first bytes.
pub fn read_qr_image(image: &[u8]) -> Result<Vec<u8>, RenderError> {
    if image.starts_with(&[0xFF, 0xD8, 0xFF]) {
        read_qr_jpeg(image)
    } else {
        read_qr_png(image)
    }
}

/// The bytes the QR code on the first page of `pdf` holds, exactly as encoded.
///
/// Reads the page's content streams and paints each rectangle that is filled with a dark colour
/// (`re`, or a closed four-corner `m`/`l` path, as krilla writes rectangles), through the current
/// transformation matrix; text, strokes and images are left out. A sehat document draws its
/// QR code that way, as vector squares.
pub fn read_qr_pdf(pdf: &[u8]) -> Result<Vec<u8>, RenderError> {
    let document =
        Document::load_mem(pdf).map_err(|error| RenderError::NotAPdf(error.to_string()))?;
    let page_id = *document
        .get_pages()
        .get(&1)
        .ok_or_else(|| RenderError::NotAPdf("the document has no pages".to_owned()))?;
    let (page_width, page_height) = media_box(&document, page_id);
    let unreadable = |error: lopdf::Error| {
        RenderError::NotAPdf(format!("the page content is unreadable: {error}"))
    };
    let content = document
        .get_page_content_with_limit(page_id, MAX_CONTENT_BYTES)
        .map_err(unreadable)?;
    let operations = Content::decode(&content).map_err(unreadable)?.operations;
    let raster = rasterise_dark_fills(&operations, page_width, page_height);
    let mut image =
        rqrr::PreparedImage::prepare_from_bitmap(raster.width, raster.height, |x, y| {
            raster.dark[y * raster.width + x]
        });
    decode_one(&image.detect_grids())
}

/// Decodes the first of the QR codes found in an image that decodes.
fn decode_one<G: rqrr::BitGrid>(grids: &[rqrr::Grid<G>]) -> Result<Vec<u8>, RenderError> {
    if grids.is_empty() {
        return Err(RenderError::NoQrCode);
    }
    let mut last_error = None;
    for grid in grids {
        let mut bytes = Vec::new();
        match grid.decode_to(&mut bytes) {
            Ok(_) => return Ok(bytes),
            Err(error) => last_error = Some(error.to_string()),
        }
    }
    Err(RenderError::QrUnreadable(last_error.unwrap_or_default()))
}

/// The page's size in points from its MediaBox (A4 when it has none), capped at
/// [`MAX_PAGE_SIDE`].
fn media_box(document: &Document, page_id: lopdf::ObjectId) -> (f32, f32) {
    let size = document
        .get_dictionary(page_id)
        .and_then(|page| page.get(b"MediaBox"))
        .and_then(lopdf::Object::as_array)
        .ok()
        .and_then(|corners| {
            let numbers: Vec<f32> = corners.iter().filter_map(|n| n.as_float().ok()).collect();
            match numbers[..] {
                [x0, y0, x1, y1] => Some(((x1 - x0).abs(), (y1 - y0).abs())),
                _ => None,
            }
        })
        .unwrap_or((PAGE_WIDTH, PAGE_HEIGHT));
    (
        size.0.clamp(1.0, MAX_PAGE_SIDE),
        size.1.clamp(1.0, MAX_PAGE_SIDE),
    )
}

/// A page painted black and white, row by row from the top.
#[derive(Debug)]
pub(crate) struct Raster {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) dark: Vec<bool>,
}

/// Paints what a scanner would see of the page's filled rectangles: each rectangle in a path
/// that is then filled with a dark colour, placed through the current transformation matrix.
pub(crate) fn rasterise_dark_fills(
    operations: &[lopdf::content::Operation],
    page_width: f32,
    page_height: f32,
) -> Raster {
    let width = (page_width * SCAN_SCALE).ceil() as usize;
    let height = (page_height * SCAN_SCALE).ceil() as usize;
    let mut dark = vec![false; width * height];

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
    // Rectangles of the current path in page space, and the subpath being built (user space).
    let mut path: Vec<[f32; 4]> = Vec::new();
    let mut subpath: Vec<(f32, f32)> = Vec::new();
    let transform =
        |m: [f32; 6], (x, y): (f32, f32)| (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]);
    let close = |subpath: &mut Vec<(f32, f32)>, path: &mut Vec<[f32; 4]>, m: [f32; 6]| {
        if let Some(rect) = as_rectangle(subpath) {
            let (x0, y0) = transform(m, (rect[0], rect[1]));
            let (x1, y1) = transform(m, (rect[2], rect[3]));
            if m[1] == 0.0 && m[2] == 0.0 {
                path.push([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]);
            }
        }
        subpath.clear();
    };

    for operation in operations {
        let numbers: Vec<f32> = operation
            .operands
            .iter()
            .filter_map(|operand| operand.as_float().ok())
            .collect();
        match (operation.operator.as_str(), &numbers[..]) {
            ("q", _) => saved.push(state),
            ("Q", _) => state = saved.pop().unwrap_or(state),
            ("cm", &[a, b, c, d, e, f]) => {
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
            ("g" | "sc" | "scn", &[gray]) => state.dark_fill = gray < 0.5,
            ("rg" | "sc" | "scn", &[r, g, b]) => {
                state.dark_fill = 0.3 * r + 0.59 * g + 0.11 * b < 0.5;
            }
            ("k", &[c, m, y, k]) => state.dark_fill = (1.0 - c.max(m).max(y)) * (1.0 - k) < 0.5,
            ("re", &[x, y, w, h]) => {
                close(&mut subpath, &mut path, state.ctm);
                subpath.extend([(x, y), (x + w, y), (x + w, y + h), (x, y + h)]);
                close(&mut subpath, &mut path, state.ctm);
            }
            ("m", &[x, y]) => {
                close(&mut subpath, &mut path, state.ctm);
                subpath.push((x, y));
            }
            ("l", &[x, y]) => subpath.push((x, y)),
            ("h", _) => close(&mut subpath, &mut path, state.ctm),
            ("f" | "F" | "f*" | "B" | "B*" | "b" | "b*", _) => {
                close(&mut subpath, &mut path, state.ctm);
                if state.dark_fill {
                    for rect in path.drain(..) {
                        paint(&mut dark, width, height, page_height, rect);
                    }
                }
                path.clear();
            }
            ("S" | "s" | "n", _) => {
                subpath.clear();
                path.clear();
            }
            _ => {}
        }
    }
    Raster {
        width,
        height,
        dark,
    }
}

/// The corners `[x0, y0, x1, y1]` of `points` if they outline an axis-aligned rectangle
/// (four corners, perhaps with the first repeated at the end).
fn as_rectangle(points: &[(f32, f32)]) -> Option<[f32; 4]> {
    let corners = match points {
        [first, rest @ .., last] if rest.len() == 3 && first == last => &points[..4],
        _ if points.len() == 4 => points,
        _ => return None,
    };
    let xs = corners.iter().map(|p| p.0);
    let ys = corners.iter().map(|p| p.1);
    let (x0, x1) = xs.fold((f32::MAX, f32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (y0, y1) = ys.fold((f32::MAX, f32::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let on_corner = corners
        .iter()
        .all(|&(x, y)| (x == x0 || x == x1) && (y == y0 || y == y1));
    // Consecutive corners share an x or a y: a rectangle, not a bow tie.
    let edges_straight = (0..4).all(|i| {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        a.0 == b.0 || a.1 == b.1
    });
    (on_corner && edges_straight && x1 > x0 && y1 > y0).then_some([x0, y0, x1, y1])
}

/// Paints the pixels whose centres lie inside `[x0, y0, x1, y1]` (page space, y up).
fn paint(dark: &mut [bool], width: usize, height: usize, page_height: f32, rect: [f32; 4]) {
    let [x0, y0, x1, y1] = rect;
    let pixel = |value: f32, limit: usize| ((value - 0.5).ceil().max(0.0) as usize).min(limit);
    let columns = pixel(x0 * SCAN_SCALE, width)..pixel(x1 * SCAN_SCALE, width);
    let rows = pixel((page_height - y1) * SCAN_SCALE, height)
        ..pixel((page_height - y0) * SCAN_SCALE, height);
    for row in rows {
        if let Some(line) = dark.get_mut(row * width..(row + 1) * width)
            && let Some(cells) = line.get_mut(columns.clone())
        {
            cells.fill(true);
        }
    }
}
