//! SVG images written as compact text: filled outlines built from discs and bands (segments
//! thickened to a width), thin stroked curves, and the document around them. Coordinates are
//! written with one decimal to keep documents small; y points down, as on screen.

use std::fmt::Write as _;

/// A point in image pixels.
pub type Point = (f64, f64);

/// One filled piece of an outline, in image pixels.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A round joint or end of a stroke.
    Disc {
        /// Its centre.
        centre: Point,
        /// Its radius.
        radius: f64,
    },
    /// A thickened segment of a stroke, corners clockwise on screen.
    Band([Point; 4]),
}

impl Shape {
    /// The segment from `a` to `b` thickened to each end's half-width, or `None` if it has no
    /// length.
    pub fn band((a, wa): (Point, f64), (b, wb): (Point, f64)) -> Option<Self> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = dx.hypot(dy);
        if length < 0.01 {
            return None;
        }
        let (nx, ny) = (-dy / length, dx / length);
        let mut corners = [
            (a.0 + nx * wa, a.1 + ny * wa),
            (b.0 + nx * wb, b.1 + ny * wb),
            (b.0 - nx * wb, b.1 - ny * wb),
            (a.0 - nx * wa, a.1 - ny * wa),
        ];
        // All pieces of an outline share one path under the default nonzero fill rule; where two
        // overlap they must wind the same way, or the overlap would be cut out as a hole.
        if signed_area(&corners) < 0.0 {
            corners.reverse();
        }
        Some(Self::Band(corners))
    }
}

/// Twice the signed area of a polygon; positive when its corners run clockwise on screen (y down).
pub fn signed_area(corners: &[Point]) -> f64 {
    corners
        .iter()
        .zip(corners.iter().cycle().skip(1))
        .map(|(p, q)| p.0 * q.1 - q.0 * p.1)
        .sum()
}

/// A cubic Bézier curve stroked thinly.
#[derive(Debug, Clone, Copy)]
pub struct Curve {
    /// Start, the two control points, end.
    pub points: [Point; 4],
    /// The stroke's width in pixels.
    pub width: f64,
}

/// One `<path>` filled with `fill` (any SVG colour), drawing all of `shapes` as one outline.
pub fn filled_path(fill: &str, shapes: &[Shape]) -> String {
    let mut d = String::new();
    for shape in shapes {
        push_shape(&mut d, shape);
    }
    format!(r#"<path fill="{fill}" d="{d}"/>"#)
}

/// One `<path>` stroking `curve` in `stroke` (any SVG colour), unfilled.
pub fn stroked_curve(stroke: &str, curve: &Curve) -> String {
    let [a, b, c, e] = curve.points;
    format!(
        r#"<path fill="none" stroke="{}" stroke-width="{:.1}" d="M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}"/>"#,
        stroke, curve.width, a.0, a.1, b.0, b.1, c.0, c.1, e.0, e.1
    )
}

/// A whole SVG document `width` × `height` pixels holding `elements` in order. The root element
/// reads `<svg xmlns="http://www.w3.org/2000/svg" width="…" height="…" viewBox="0,0,…,…">`, in the
/// shape of CoWIN's `getRecaptcha` sample, so clients that size the image from it keep working.
pub fn document(width: u32, height: u32, elements: &[String]) -> String {
    let open = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0,0,{width},{height}">"#
    );
    let mut svg =
        String::with_capacity(open.len() + elements.iter().map(String::len).sum::<usize>() + 6);
    svg.push_str(&open);
    for element in elements {
        svg.push_str(element);
    }
    svg.push_str("</svg>");
    svg
}

/// Appends one shape as a closed subpath.
fn push_shape(d: &mut String, shape: &Shape) {
    // Writing to a `String` cannot fail.
    let _ = match *shape {
        // Two half-circle arcs with sweep-flag 1, so clockwise like the bands.
        Shape::Disc {
            centre: (x, y),
            radius: r,
        } => write!(
            d,
            "M{:.1} {y:.1}a{r:.1} {r:.1} 0 1 1 {:.1} 0a{r:.1} {r:.1} 0 1 1 {:.1} 0Z",
            x - r,
            2.0 * r,
            -2.0 * r
        ),
        Shape::Band([a, b, c, e]) => write!(
            d,
            "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
            a.0, a.1, b.0, b.1, c.0, c.1, e.0, e.1
        ),
    };
}
