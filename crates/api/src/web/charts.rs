//! SVG charts drawn on the server: no script, no library in the browser, readable on any
//! phone, printable. Each chart is an `<svg role="img">` with a title and a description for
//! screen readers, and every page that shows one also shows its figures as a table.

use std::fmt::Write;

/// Capacity (light) and bookings (dark) of one bar group.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Under the group (a day's weekday: "Mon"), or above its row (a centre's name).
    pub label: String,
    /// A second line under the group (the day: "7 Dec"); empty for none.
    pub note: String,
    /// Seats offered.
    pub capacity: u64,
    /// Seats booked.
    pub booked: u64,
}

/// The words a chart needs, in the page's language.
#[derive(Debug, Clone)]
pub struct Legend {
    /// The chart's title (read out, and shown in the key).
    pub title: String,
    /// What it shows, for screen readers.
    pub description: String,
    /// "Capacity".
    pub capacity: String,
    /// "Booked".
    pub booked: String,
}

const INK: &str = "#1b1f24";
const MUTED: &str = "#4a5361";
const LINE: &str = "#d5dbe3";
// 3.5:1 against the white ground, and the booked bar 4:1 against the capacity bar it stands
// in (WCAG 2.1 1.4.11).
const CAPACITY: &str = "#5b8db8";
const BOOKED: &str = "#062f47";

/// Text made safe inside SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round top for the value axis, at least `max` (10 for nothing), whose quarters are round
/// too: 10, 12, 16, 20, 24, 32, 40, 48, 60, 80 times a power of ten.
fn nice_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [10, 12, 16, 20, 24, 32, 40, 48, 60, 80] {
            let top = step.saturating_mul(m);
            if top >= max.max(10) || top == u64::MAX {
                return top;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The largest figure of `bars`: the value the axis must reach.
fn tallest(bars: &[Bar]) -> u64 {
    bars.iter()
        .map(|b| b.capacity.max(b.booked))
        .max()
        .unwrap_or(0)
}

/// `value` in pixels, when `top` (never 0) spans `span` pixels; at most `span`.
fn to_scale(value: u64, top: u64, span: u32) -> u32 {
    u32::try_from(u128::from(value.min(top)) * u128::from(span) / u128::from(top.max(1)))
        .unwrap_or(span)
}

/// The opening of a chart: its size, title, description and key.
fn open(out: &mut String, id: &str, width: u32, height: u32, legend: &Legend) {
    let _ = write!(
        out,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-t" aria-describedby="{id}-d" font-family="system-ui,sans-serif" font-size="12"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(&legend.title),
        escape(&legend.description)
    );
    let _ = write!(
        out,
        r#"<g aria-hidden="true"><rect x="8" y="8" width="12" height="12" fill="{CAPACITY}"/><text x="26" y="18" fill="{INK}">{}</text><rect x="130" y="8" width="12" height="12" fill="{BOOKED}"/><text x="148" y="18" fill="{INK}">{}</text></g>"#,
        escape(&legend.capacity),
        escape(&legend.booked)
    );
}

/// Bookings against capacity per day: for each day a capacity bar with the booked bar in
/// front of it, a value axis on the left and the day under the bars.
pub fn daily(id: &str, days: &[Bar], legend: &Legend) -> String {
    let (left, top, plot_h, bottom) = (48u32, 36u32, 180u32, 40u32);
    let group = 40u32;
    let count = u32::try_from(days.len().max(1)).unwrap_or(1);
    let width = left + group * count + 16;
    let height = top + plot_h + bottom;
    let axis_top = nice_top(tallest(days));
    let scale = |v: u64| to_scale(v, axis_top, plot_h);
    let mut out = String::new();
    open(&mut out, id, width, height, legend);
    out.push_str(r#"<g aria-hidden="true">"#);
    for i in 0..=4u64 {
        let value = axis_top * i / 4;
        let y = top + plot_h - scale(value);
        let _ = write!(
            out,
            r#"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="{LINE}"/><text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{}</text>"#,
            width - 8,
            left - 6,
            y + 4,
            super::i18n::indian_grouping(i64::try_from(value).unwrap_or(i64::MAX))
        );
    }
    for (i, day) in days.iter().enumerate() {
        let x = left + group * u32::try_from(i).unwrap_or(0) + 6;
        let (cap_h, booked_h) = (scale(day.capacity), scale(day.booked));
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{}" width="28" height="{cap_h}" fill="{CAPACITY}"/><rect x="{}" y="{}" width="18" height="{booked_h}" fill="{BOOKED}"/><text x="{}" y="{}" text-anchor="middle" fill="{INK}">{}</text><text x="{}" y="{}" text-anchor="middle" fill="{MUTED}" font-size="11">{}</text>"#,
            top + plot_h - cap_h,
            x + 5,
            top + plot_h - booked_h,
            x + 14,
            top + plot_h + 16,
            escape(&day.label),
            x + 14,
            top + plot_h + 31,
            escape(&day.note)
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="{MUTED}"/></g></svg>"#,
        width - 8,
        top + plot_h,
        top + plot_h
    );
    out
}

/// Centres side by side: one row per centre, its capacity bar with the booked bar over it,
/// the name above the row and the figures at its end.
pub fn side_by_side(id: &str, centres: &[Bar], legend: &Legend) -> String {
    let (left, top, row, plot_w) = (8u32, 36u32, 40u32, 520u32);
    let count = u32::try_from(centres.len().max(1)).unwrap_or(1);
    let width = left + plot_w + 140;
    let height = top + row * count + 8;
    // No value axis here: the longest bar spans the plot.
    let axis_top = tallest(centres).max(1);
    let scale = |v: u64| to_scale(v, axis_top, plot_w);
    let mut out = String::new();
    open(&mut out, id, width, height, legend);
    out.push_str(r#"<g aria-hidden="true">"#);
    for (i, c) in centres.iter().enumerate() {
        let y = top + row * u32::try_from(i).unwrap_or(0);
        let _ = write!(
            out,
            r#"<text x="{left}" y="{}" fill="{INK}">{}</text><rect x="{left}" y="{}" width="{}" height="14" fill="{CAPACITY}"/><rect x="{left}" y="{}" width="{}" height="8" fill="{BOOKED}"/><text x="{}" y="{}" fill="{MUTED}">{} / {}</text>"#,
            y + 12,
            escape(&c.label),
            y + 18,
            scale(c.capacity),
            y + 21,
            scale(c.booked),
            left + scale(c.capacity.max(c.booked)).min(plot_w) + 6,
            y + 30,
            super::i18n::indian_grouping(i64::try_from(c.booked).unwrap_or(i64::MAX)),
            super::i18n::indian_grouping(i64::try_from(c.capacity).unwrap_or(i64::MAX)),
        );
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legend() -> Legend {
        Legend {
            title: "Bookings & capacity".into(),
            description: "per day".into(),
            capacity: "Capacity".into(),
            booked: "Booked".into(),
        }
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_top(0), 10);
        assert_eq!(nice_top(11), 12);
        assert_eq!(nice_top(120), 120);
        assert_eq!(nice_top(201), 240);
        assert_eq!(nice_top(2_240), 2_400);
        assert_eq!(nice_top(4_001), 4_800);
        assert_eq!(nice_top(u64::MAX), u64::MAX);
    }

    #[test]
    fn bars_are_to_scale_and_text_is_escaped() {
        let days = [
            Bar {
                label: "Mon".into(),
                note: "7 Dec".into(),
                capacity: 100,
                booked: 25,
            },
            Bar {
                label: "<Tue>".into(),
                note: String::new(),
                capacity: 50,
                booked: 50,
            },
        ];
        let svg = daily("u", &days, &legend());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"u-t\">Bookings &amp; capacity</title>"));
        assert!(svg.contains("&lt;Tue&gt;") && !svg.contains("<Tue>"));
        assert!(svg.contains(">7 Dec</text>"));
        // Axis top 100 over 180 px: capacity 100 → 180, booked 25 → 45, 50 → 90.
        assert!(svg.contains(r##"height="180" fill="#5b8db8""##), "{svg}");
        assert!(svg.contains(r##"height="45" fill="#062f47""##), "{svg}");
        assert_eq!(svg.matches(r#"height="90" fill"#).count(), 2, "{svg}");
        let centres = side_by_side("d", &days, &legend());
        assert!(centres.contains("25 / 100") && centres.contains("50 / 50"));
        // The longest bar spans the plot (520 px); the others in proportion.
        assert!(
            centres.contains(r##"width="520" height="14""##),
            "{centres}"
        );
        assert!(
            centres.contains(r##"width="260" height="14""##),
            "{centres}"
        );
        // An empty chart still draws its axis, without dividing by zero.
        assert!(daily("e", &[], &legend()).contains("</svg>"));
    }
}
