//! The captcha image: a random text in hand-drawn glyphs, as the SVG that `getRecaptcha`
//! returns (the answer's checking is the family's, in `cowin_v2::captcha`).
//!
//! The image copies the shape of CoWIN v2's (see `getRecaptcha_sample.svg`): a 150×50 SVG whose
//! characters are filled `<path>` outlines in varied colours, plus a few noise curves, with no
//! `<text>` element. There is no font to embed, so the characters come from the small stroke
//! alphabet below: each stroke is wobbled, thickened into filled bands with round joints, and the
//! whole glyph is scaled, sheared and rotated at random.

use super::svg::{self, Curve, Point, Shape};
use rand::Rng;
use rand::seq::SliceRandom;

/// The most characters that still fit legibly in the 150 px wide image; longer requests get this many.
pub const MAX_LEN: usize = 8;

const WIDTH: f64 = 150.0;
const HEIGHT: f64 = 50.0;

/// Glyphs are drawn on a grid `GRID_W` wide and `GRID_H` tall, y pointing down.
const GRID_W: f64 = 4.0;
const GRID_H: f64 = 6.0;

/// One pen stroke: a polyline on the glyph grid.
type Stroke = &'static [(f64, f64)];

/// The alphabet, each character with its strokes.
///
/// Left out because a wobbled, rotated drawing of one could be read as the other: 0 O Q, 1 I L,
/// 2 Z, 5 S, 6 G, 8 B, U V.
#[rustfmt::skip]
const GLYPHS: &[(char, &[Stroke])] = &[
    ('A', &[&[(0.0, 6.0), (2.0, 0.0), (4.0, 6.0)], &[(0.8, 3.8), (3.2, 3.8)]]),
    ('C', &[
        &[(4.0, 1.0), (3.0, 0.0), (1.0, 0.0), (0.0, 1.5), (0.0, 4.5), (1.0, 6.0), (3.0, 6.0),
          (4.0, 5.0)],
    ]),
    ('D', &[&[(0.0, 0.0), (0.0, 6.0), (2.4, 6.0), (4.0, 4.5), (4.0, 1.5), (2.4, 0.0), (0.0, 0.0)]]),
    ('E', &[&[(4.0, 0.0), (0.0, 0.0), (0.0, 6.0), (4.0, 6.0)], &[(0.0, 3.0), (3.0, 3.0)]]),
    ('F', &[&[(4.0, 0.0), (0.0, 0.0), (0.0, 6.0)], &[(0.0, 3.0), (3.0, 3.0)]]),
    ('H', &[&[(0.0, 0.0), (0.0, 6.0)], &[(4.0, 0.0), (4.0, 6.0)], &[(0.0, 3.0), (4.0, 3.0)]]),
    ('J', &[
        &[(1.0, 0.0), (4.0, 0.0)],
        &[(3.0, 0.0), (3.0, 4.8), (2.0, 6.0), (1.0, 6.0), (0.0, 5.0)],
    ]),
    ('K', &[&[(0.0, 0.0), (0.0, 6.0)], &[(4.0, 0.0), (0.0, 3.6)], &[(1.4, 2.4), (4.0, 6.0)]]),
    ('M', &[&[(0.0, 6.0), (0.0, 0.0), (2.0, 3.6), (4.0, 0.0), (4.0, 6.0)]]),
    ('N', &[&[(0.0, 6.0), (0.0, 0.0), (4.0, 6.0), (4.0, 0.0)]]),
    ('P', &[&[(0.0, 6.0), (0.0, 0.0), (3.0, 0.0), (4.0, 0.8), (4.0, 2.4), (3.0, 3.2), (0.0, 3.2)]]),
    ('R', &[
        &[(0.0, 6.0), (0.0, 0.0), (3.0, 0.0), (4.0, 0.8), (4.0, 2.4), (3.0, 3.2), (0.0, 3.2)],
        &[(2.0, 3.2), (4.0, 6.0)],
    ]),
    ('T', &[&[(0.0, 0.0), (4.0, 0.0)], &[(2.0, 0.0), (2.0, 6.0)]]),
    ('U', &[&[(0.0, 0.0), (0.0, 4.6), (1.0, 6.0), (3.0, 6.0), (4.0, 4.6), (4.0, 0.0)]]),
    ('W', &[&[(0.0, 0.0), (1.0, 6.0), (2.0, 2.4), (3.0, 6.0), (4.0, 0.0)]]),
    ('X', &[&[(0.0, 0.0), (4.0, 6.0)], &[(4.0, 0.0), (0.0, 6.0)]]),
    ('Y', &[&[(0.0, 0.0), (2.0, 3.0), (4.0, 0.0)], &[(2.0, 3.0), (2.0, 6.0)]]),
    ('2', &[&[(0.0, 1.2), (1.0, 0.0), (3.0, 0.0), (4.0, 1.2), (4.0, 2.4), (0.0, 6.0), (4.0, 6.0)]]),
    ('3', &[
        &[(0.0, 0.8), (1.0, 0.0), (3.0, 0.0), (4.0, 0.8), (4.0, 2.0), (3.0, 2.8), (1.6, 2.8)],
        &[(3.0, 2.8), (4.0, 3.8), (4.0, 5.2), (3.0, 6.0), (1.0, 6.0), (0.0, 5.2)],
    ]),
    ('4', &[&[(3.0, 6.0), (3.0, 0.0), (0.0, 4.0), (4.0, 4.0)]]),
    ('5', &[
        &[(4.0, 0.0), (0.6, 0.0), (0.2, 2.8), (2.6, 2.5), (4.0, 3.5), (4.0, 5.0), (3.0, 6.0),
          (1.0, 6.0), (0.0, 5.2)],
    ]),
    ('6', &[
        &[(3.6, 0.0), (2.0, 0.0), (0.6, 1.4), (0.0, 3.4), (0.0, 5.0), (1.0, 6.0), (3.0, 6.0),
          (4.0, 5.0), (4.0, 3.8), (3.0, 3.0), (1.0, 3.0), (0.0, 3.8)],
    ]),
    ('7', &[&[(0.0, 0.0), (4.0, 0.0), (1.4, 6.0)]]),
    ('8', &[
        &[(2.0, 2.9), (0.5, 2.2), (0.5, 0.8), (1.3, 0.0), (2.7, 0.0), (3.5, 0.8), (3.5, 2.2),
          (2.0, 2.9), (0.2, 3.8), (0.2, 5.2), (1.0, 6.0), (3.0, 6.0), (3.8, 5.2), (3.8, 3.8),
          (2.0, 2.9)],
    ]),
    ('9', &[
        &[(4.0, 2.2), (3.0, 3.0), (1.0, 3.0), (0.0, 2.2), (0.0, 1.0), (1.0, 0.0), (3.0, 0.0),
          (4.0, 1.0), (4.0, 2.6), (3.4, 4.6), (2.0, 6.0), (0.4, 6.0)],
    ]),
];

/// A drawn captcha: the SVG to show and the text it shows (kept out of `Debug`).
pub struct CaptchaImage {
    /// The image, a complete `<svg>` document in the shape of CoWIN's `getRecaptcha` sample.
    pub svg: String,
    /// The characters drawn, uppercase, in reading order.
    pub text: String,
}

impl std::fmt::Debug for CaptchaImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptchaImage")
            .field("svg_bytes", &self.svg.len())
            .finish_non_exhaustive()
    }
}

/// Draws `len` random characters (`len` clamped to `1..=MAX_LEN`) from an alphabet without
/// look-alikes (no 0/O, 1/I/l, etc.), with random jitter, rotation, colour and noise, using the
/// given RNG.
pub fn draw(rng: &mut impl Rng, len: usize) -> CaptchaImage {
    let drawing = Drawing::new(rng, len);
    let svg = drawing.to_svg(rng);
    CaptchaImage {
        svg,
        text: drawing.text,
    }
}

/// The geometry of one captcha, before it is written out as SVG.
#[derive(Debug)]
struct Drawing {
    text: String,
    glyphs: Vec<Vec<Shape>>,
    noise: Vec<Curve>,
}

impl Drawing {
    fn new(rng: &mut impl Rng, len: usize) -> Self {
        let len = len.clamp(1, MAX_LEN);
        let margin = 8.0;
        let cell = (WIDTH - 2.0 * margin) / len as f64;
        // 4.4 px per grid unit gives glyphs about 27 px tall; narrow cells shrink them to fit.
        let scale = (cell / 5.6).min(4.4);
        let mut text = String::with_capacity(len);
        let mut glyphs = Vec::with_capacity(len);
        for i in 0..len {
            let (ch, strokes) = GLYPHS[rng.random_range(0..GLYPHS.len())];
            text.push(ch);
            let centre = (
                margin + cell * (i as f64 + 0.5) + cell * rng.random_range(-0.08..=0.08),
                HEIGHT / 2.0 + rng.random_range(-3.0..=3.0),
            );
            glyphs.push(glyph_shapes(rng, strokes, centre, scale));
        }
        let noise = (0..rng.random_range(2..=3))
            .map(|_| noise_curve(rng))
            .collect();
        Self {
            text,
            glyphs,
            noise,
        }
    }

    /// The SVG document: one filled path per glyph and one stroked path per noise curve, in random
    /// order, so the document order says nothing about the reading order.
    fn to_svg(&self, rng: &mut impl Rng) -> String {
        let mut elements: Vec<String> = Vec::with_capacity(self.glyphs.len() + self.noise.len());
        for shapes in &self.glyphs {
            elements.push(svg::filled_path(&dark_colour(rng), shapes));
        }
        for curve in &self.noise {
            elements.push(svg::stroked_curve(&dark_colour(rng), curve));
        }
        elements.shuffle(rng);
        // The root element as in CoWIN's sample: 150×50.
        svg::document(WIDTH as u32, HEIGHT as u32, &elements)
    }
}

/// The outline of one glyph: its strokes wobbled, thickened and placed at `centre` with a random
/// stretch, shear and rotation. `scale` is pixels per grid unit.
fn glyph_shapes(rng: &mut impl Rng, strokes: &[Stroke], centre: Point, scale: f64) -> Vec<Shape> {
    let (sin, cos) = rng.random_range(-0.3_f64..=0.3).sin_cos();
    let sx = scale * rng.random_range(0.85..=1.15);
    let sy = scale * rng.random_range(0.9..=1.05);
    let shear = rng.random_range(-0.2..=0.2);
    let half_width = scale * rng.random_range(0.28..=0.36);
    let to_pixels = |(gx, gy): Point| {
        let v = (gy - GRID_H / 2.0) * sy;
        let u = (gx - GRID_W / 2.0) * sx + shear * v;
        (centre.0 + u * cos - v * sin, centre.1 + u * sin + v * cos)
    };
    let mut shapes = Vec::new();
    for stroke in strokes {
        let joints: Vec<(Point, f64)> = wobble(rng, stroke)
            .into_iter()
            .map(|p| (to_pixels(p), half_width * rng.random_range(0.8..=1.2)))
            .collect();
        for &(centre, radius) in &joints {
            shapes.push(Shape::Disc { centre, radius });
        }
        shapes.extend(
            joints
                .windows(2)
                .filter_map(|pair| Shape::band(pair[0], pair[1])),
        );
    }
    // Shuffled so the order of the pieces does not trace the strokes.
    shapes.shuffle(rng);
    shapes
}

/// A hand-drawn version of a stroke on the grid: every point nudged, and every segment split into
/// one or two pieces with a slight bend, so that two drawings of a glyph seldom have the same
/// number of pieces in the same places.
fn wobble(rng: &mut impl Rng, stroke: &[Point]) -> Vec<Point> {
    const NUDGE: f64 = 0.15;
    const BEND: f64 = 0.2;
    let nudged: Vec<Point> = stroke
        .iter()
        .map(|&(x, y)| {
            (
                x + rng.random_range(-NUDGE..=NUDGE),
                y + rng.random_range(-NUDGE..=NUDGE),
            )
        })
        .collect();
    let mut points = Vec::with_capacity(nudged.len() * 2);
    for (i, &a) in nudged.iter().enumerate() {
        points.push(a);
        let Some(&b) = nudged.get(i + 1) else { break };
        if rng.random_bool(0.5) {
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let bend = rng.random_range(-BEND..=BEND);
            let t = rng.random_range(0.35..=0.65);
            // The new point sits `bend` grid units off the straight line, along (-dy, dx).
            let length = dx.hypot(dy).max(f64::EPSILON);
            points.push((
                a.0 + dx * t - dy / length * bend,
                a.1 + dy * t + dx / length * bend,
            ));
        }
    }
    points
}

/// A thin curve from the left edge to the right edge, wandering up and down on the way.
fn noise_curve(rng: &mut impl Rng) -> Curve {
    let mut y = || rng.random_range(6.0..=HEIGHT - 6.0);
    let (y0, y1, y2, y3) = (y(), y(), y(), y());
    Curve {
        points: [
            (rng.random_range(0.0..=15.0), y0),
            (rng.random_range(30.0..=70.0), y1),
            (rng.random_range(80.0..=120.0), y2),
            (rng.random_range(WIDTH - 15.0..=WIDTH), y3),
        ],
        width: rng.random_range(0.8..=1.6),
    }
}

/// A random colour dark enough to read on CoWIN's white background. Written as `rgb(…)` rather
/// than hex so no run of letters and digits in the document can spell out an answer.
fn dark_colour(rng: &mut impl Rng) -> String {
    let mut channel = || rng.random_range(0..=150_u8);
    let (r, g, b) = (channel(), channel(), channel());
    format!("rgb({r},{g},{b})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::signed_area;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// The length the API's captchas have (`cowin_v2::captcha::DEFAULT_LEN` in sehat-api).
    const DEFAULT_LEN: usize = 5;

    #[test]
    fn answer_has_the_requested_length_and_only_alphabet_characters() {
        for len in 1..=MAX_LEN {
            for seed in 0..20 {
                let image = draw(&mut StdRng::seed_from_u64(seed), len);
                assert_eq!(image.text.chars().count(), len);
                assert!(
                    image
                        .text
                        .chars()
                        .all(|c| GLYPHS.iter().any(|(g, _)| *g == c)),
                    "{}",
                    image.text
                );
            }
        }
    }

    #[test]
    fn every_character_is_drawn_inside_the_image() {
        for len in [1, DEFAULT_LEN, MAX_LEN] {
            for seed in 0..200 {
                let drawing = Drawing::new(&mut StdRng::seed_from_u64(seed), len);
                for shape in drawing.glyphs.iter().flatten() {
                    let (min, max) = match *shape {
                        Shape::Disc {
                            centre: (x, y),
                            radius: r,
                        } => ((x - r, y - r), (x + r, y + r)),
                        Shape::Band(corners) => corners.iter().fold(
                            ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN)),
                            |((x0, y0), (x1, y1)), &(x, y)| {
                                ((x0.min(x), y0.min(y)), (x1.max(x), y1.max(y)))
                            },
                        ),
                    };
                    assert!(
                        min.0 >= 0.0 && min.1 >= 0.0,
                        "len {len} seed {seed}: {shape:?}"
                    );
                    assert!(
                        max.0 <= WIDTH && max.1 <= HEIGHT,
                        "len {len} seed {seed}: {shape:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bands_wind_the_same_way_as_discs() {
        let drawing = Drawing::new(&mut StdRng::seed_from_u64(3), MAX_LEN);
        for shape in drawing.glyphs.iter().flatten() {
            if let Shape::Band(corners) = shape {
                assert!(signed_area(corners) > 0.0, "{shape:?}");
            }
        }
    }

    #[test]
    fn every_glyph_has_a_path_on_the_grid() {
        for (ch, strokes) in GLYPHS {
            assert!(!strokes.is_empty(), "{ch}");
            for stroke in *strokes {
                assert!(stroke.len() >= 2, "{ch}: a stroke needs two points");
                assert!(
                    stroke
                        .iter()
                        .all(|&(x, y)| (0.0..=GRID_W).contains(&x) && (0.0..=GRID_H).contains(&y)),
                    "{ch}: off the grid"
                );
            }
            let shapes = glyph_shapes(&mut StdRng::seed_from_u64(0), strokes, (75.0, 25.0), 4.0);
            assert!(shapes.iter().any(|s| matches!(s, Shape::Band(_))), "{ch}");
        }
    }

    #[test]
    fn alphabet_is_uppercase_unique_and_free_of_look_alikes() {
        let chars: Vec<char> = GLYPHS.iter().map(|(c, _)| *c).collect();
        assert!(
            chars
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        for (i, c) in chars.iter().enumerate() {
            assert!(!chars[i + 1..].contains(c), "{c} twice");
        }
        // Of each group that can be read as one another, at most one is in the alphabet.
        for group in ["0OQD", "1IL", "2Z", "5S", "6G", "8B", "UV"] {
            let present = group.chars().filter(|c| chars.contains(c)).count();
            assert!(present <= 1, "{group}");
        }
    }
}
