//! Small value types with rules. Each has a private field and a fallible `parse`, so a value that
//! exists is valid and later code never re-checks it.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// An Indian postal index number: six digits, the first not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pincode(u32);

impl Pincode {
    /// Parses `"110003"` (surrounding spaces allowed).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 6 digits");
        }
        if raw.starts_with('0') {
            return Err("must not start with 0");
        }
        raw.parse().map(Self).map_err(|_| "must be 6 digits")
    }

    /// From a number, as the post-office data and some clients send it.
    pub fn from_number(n: i64) -> Result<Self, &'static str> {
        if (100_000..=999_999).contains(&n) {
            Ok(Self(u32::try_from(n).map_err(|_| "must be 6 digits")?))
        } else {
            Err("must be 6 digits")
        }
    }

    /// The pincode as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Pincode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An Indian mobile number: ten digits starting 6–9. `Debug` and `Display` mask it, so it never
/// reaches a log line in clear.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    /// Parses `"9876543210"`, also with a `+91`/`91`/`0` prefix or spaces.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits.strip_prefix("+91").unwrap_or(&digits);
        let digits = if digits.len() == 12 {
            digits.strip_prefix("91").unwrap_or(digits)
        } else if digits.len() == 11 {
            digits.strip_prefix('0').unwrap_or(digits)
        } else {
            digits
        };
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be a 10-digit mobile number");
        }
        if !matches!(digits.as_bytes()[0], b'6'..=b'9') {
            return Err("must start with 6, 7, 8 or 9");
        }
        Ok(Self(digits.to_owned()))
    }

    /// The ten digits, for storage and delivery only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The masked form every response shows: `*****1403` (spec 000).
    pub fn masked(&self) -> String {
        mask_tail(&self.0)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

/// The last four characters of an identifier.
pub fn last4(value: &str) -> String {
    let skip = value.chars().count().saturating_sub(4);
    value.chars().skip(skip).collect()
}

/// Masks all but the last four characters as spec 000's samples do: `*****1403`.
pub fn mask_tail(value: &str) -> String {
    format!("*****{}", last4(value))
}

/// A point on the map, within India's bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// Checks both coordinates lie within India's extent (6–38° N, 68–98° E).
    pub fn new(lat: f64, lon: f64) -> Result<Self, &'static str> {
        if !(6.0..=38.0).contains(&lat) {
            return Err("latitude must be between 6 and 38 (India)");
        }
        if !(68.0..=98.0).contains(&lon) {
            return Err("longitude must be between 68 and 98 (India)");
        }
        Ok(Self { lat, lon })
    }

    /// Parses textual coordinates, as CSV rows and the v1 spec (`Lat`, `Lang` strings) carry them.
    pub fn parse(lat: &str, lon: &str) -> Result<Self, &'static str> {
        let lat: f64 = lat.trim().parse().map_err(|_| "latitude is not a number")?;
        let lon: f64 = lon
            .trim()
            .parse()
            .map_err(|_| "longitude is not a number")?;
        Self::new(lat, lon)
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres.
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        6371.0 * 2.0 * a.sqrt().asin()
    }
}

/// Parses a CoWIN date, `dd-mm-yyyy` (single-digit day and month accepted, as in `4-5-1995`).
pub fn parse_cowin_date(raw: &str) -> Result<Date, &'static str> {
    const MSG: &str = "must be a date as dd-mm-yyyy";
    let mut parts = raw.trim().split('-');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MSG);
    };
    let num = |s: &str, max_len: usize| -> Result<u32, &'static str> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MSG);
        }
        s.parse().map_err(|_| MSG)
    };
    let (d, m, y) = (num(d, 2)?, num(m, 2)?, num(y, 4)?);
    if y < 1900 {
        return Err(MSG);
    }
    let month = Month::try_from(u8::try_from(m).map_err(|_| MSG)?).map_err(|_| MSG)?;
    Date::from_calendar_date(
        i32::try_from(y).map_err(|_| MSG)?,
        month,
        u8::try_from(d).map_err(|_| MSG)?,
    )
    .map_err(|_| "is not a calendar date")
}

/// Parses an ISO date `yyyy-mm-dd`, or a CoWIN `dd-mm-yyyy` one; from 1900 on, either way.
pub fn parse_any_date(raw: &str) -> Result<Date, &'static str> {
    let raw = raw.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    if raw.len() == 10 && raw.as_bytes()[4] == b'-' {
        return Date::parse(raw, iso)
            .ok()
            .filter(|d| d.year() >= 1900)
            .ok_or("is not a calendar date from 1900 on (yyyy-mm-dd)");
    }
    // Said as the caller of this parser is asked for dates: ISO first.
    parse_cowin_date(raw).map_err(|e| {
        if e == "is not a calendar date" {
            e
        } else {
            "must be a date as yyyy-mm-dd (or dd-mm-yyyy)"
        }
    })
}

/// Formats a date the CoWIN way, `dd-mm-yyyy`.
pub fn format_cowin_date(date: Date) -> String {
    format!(
        "{:02}-{:02}-{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// A time window inside a day, e.g. `09:00AM-11:00AM`; minutes since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotTimings {
    start: u16,
    end: u16,
}

impl SlotTimings {
    /// A window from `start` to `end` minutes since midnight; `start` must be before `end`.
    pub fn new(start: u16, end: u16) -> Result<Self, &'static str> {
        if start >= end || end > 24 * 60 {
            return Err("start must be before end, within one day");
        }
        Ok(Self { start, end })
    }

    /// Parses `09:00AM-11:00AM`, `9AM-11AM`, `9:30 am - 11 am` or 24-hour `09:00-11:00`. An
    /// end at midnight (`12:00AM`, `00:00`) is the end of the day, as [`Self::to_cowin_v2`]
    /// writes it.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let (a, b) = raw
            .split_once('-')
            .ok_or("must be a range like 09:00AM-11:00AM")?;
        let end = match parse_clock(b)? {
            0 => 24 * 60,
            minute => minute,
        };
        Self::new(parse_clock(a)?, end)
    }

    /// Minutes since midnight at which the window opens.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Minutes since midnight at which the window closes.
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// The v2 API's form: `09:00AM-11:00AM`.
    pub fn to_cowin_v2(self) -> String {
        format!("{}-{}", clock12(self.start, true), clock12(self.end, true))
    }

    /// The v1 API's short form: `9AM-11AM` (minutes shown only when not on the hour).
    pub fn to_cowin_v1(self) -> String {
        format!(
            "{}-{}",
            clock12(self.start, false),
            clock12(self.end, false)
        )
    }
}

fn clock12(minute: u16, padded: bool) -> String {
    let (h, m) = (minute / 60, minute % 60);
    let suffix = if h < 12 || h == 24 { "AM" } else { "PM" };
    let h12 = match h % 12 {
        0 => 12,
        h => h,
    };
    match (padded, m) {
        (true, _) => format!("{h12:02}:{m:02}{suffix}"),
        (false, 0) => format!("{h12}{suffix}"),
        (false, m) => format!("{h12}:{m:02}{suffix}"),
    }
}

fn parse_clock(raw: &str) -> Result<u16, &'static str> {
    const MSG: &str = "times must look like 09:00AM or 13:30";
    let s = raw.trim().to_ascii_uppercase().replace(' ', "");
    let (body, meridiem) = if let Some(b) = s.strip_suffix("AM") {
        (b, Some(false))
    } else if let Some(b) = s.strip_suffix("PM") {
        (b, Some(true))
    } else {
        (s.as_str(), None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None => (body, "0"),
    };
    let valid = |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
    if !valid(h) || !valid(m) {
        return Err(MSG);
    }
    let (mut h, m): (u16, u16) = (h.parse().map_err(|_| MSG)?, m.parse().map_err(|_| MSG)?);
    if m > 59 {
        return Err(MSG);
    }
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return Err(MSG);
            }
            h %= 12;
            if pm {
                h += 12;
            }
        }
        None if h > 24 || (h == 24 && m > 0) => return Err(MSG),
        None => {}
    }
    Ok(h * 60 + m)
}

/// A person's or facility's name: trimmed, 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Trims and checks a name.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err("must not be empty");
        }
        if collapsed.chars().count() > 200 {
            return Err("must be at most 200 characters");
        }
        if collapsed.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        Ok(Self(collapsed))
    }

    /// The name as given (whitespace collapsed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to recognise the same name again: lower case, single spaces.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Wraps a parse failure of a named field into a [`DomainError::Invalid`].
pub fn field<T>(name: &'static str, result: Result<T, &'static str>) -> Result<T, DomainError> {
    result.map_err(|reason| DomainError::invalid(name, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn pincodes_are_six_digits_not_starting_with_zero() {
        assert_eq!(Pincode::parse(" 110003 ").map(Pincode::get), Ok(110003));
        assert!(Pincode::parse("011000").is_err());
        assert!(Pincode::parse("11000").is_err());
        assert!(Pincode::parse("11000a").is_err());
        assert!(Pincode::from_number(99_999).is_err());
    }

    #[test]
    fn mobiles_accept_country_prefixes_and_are_masked_in_debug() {
        let m = Mobile::parse("+91 98765 43210").unwrap();
        assert_eq!(m.expose(), "9876543210");
        assert_eq!(m.masked(), "*****3210");
        assert_eq!(format!("{m:?}"), "Mobile(*****3210)");
        assert_eq!(Mobile::parse("09876543210").unwrap().expose(), "9876543210");
        assert!(Mobile::parse("5876543210").is_err());
        assert!(Mobile::parse("987654321").is_err());
    }

    #[test]
    fn cowin_dates_are_day_first() {
        assert_eq!(parse_cowin_date("31-03-2021"), Ok(date!(2021 - 03 - 31)));
        assert_eq!(parse_cowin_date("4-5-1995"), Ok(date!(1995 - 05 - 04)));
        assert!(parse_cowin_date("31-02-2021").is_err());
        assert!(parse_cowin_date("2021-03-31").is_err());
        assert!(parse_cowin_date("31-03-2021-1").is_err());
        assert_eq!(parse_any_date("2021-03-31"), Ok(date!(2021 - 03 - 31)));
        assert_eq!(format_cowin_date(date!(2021 - 03 - 01)), "01-03-2021");
    }

    #[test]
    fn a_date_is_valid_in_both_spellings_or_in_neither() {
        // Found by the schedule_values fuzz target: `1860-09-21` was accepted while its CoWIN
        // spelling `21-09-1860` was refused.
        assert!(parse_any_date("1860-09-21").is_err());
        assert!(parse_any_date("21-09-1860").is_err());
        assert_eq!(parse_any_date("1900-01-01"), parse_any_date("01-01-1900"));
        assert!(parse_any_date("1900-01-01").is_ok());
        assert_eq!(
            parse_any_date("tomorrow"),
            Err("must be a date as yyyy-mm-dd (or dd-mm-yyyy)")
        );
        assert_eq!(parse_any_date("31-02-2021"), Err("is not a calendar date"));
    }

    #[test]
    fn slot_timings_read_the_spec_forms() {
        let t = SlotTimings::parse("9AM-11AM").unwrap();
        assert_eq!((t.start_minute(), t.end_minute()), (540, 660));
        assert_eq!(t.to_cowin_v2(), "09:00AM-11:00AM");
        assert_eq!(t.to_cowin_v1(), "9AM-11AM");
        let t = SlotTimings::parse("01:00PM-03:00PM").unwrap();
        assert_eq!(t.to_cowin_v1(), "1PM-3PM");
        assert_eq!(
            SlotTimings::parse("12:30PM-13:00").unwrap().start_minute(),
            750
        );
        assert_eq!(SlotTimings::parse("12AM-1AM").unwrap().start_minute(), 0);
        assert!(SlotTimings::parse("11AM-9AM").is_err());
        assert!(SlotTimings::parse("13PM-14PM").is_err());
        assert!(SlotTimings::parse("morning").is_err());
    }

    #[test]
    fn a_window_ending_at_midnight_reads_back_as_written() {
        // Found by the schedule_values fuzz target: `00-24` was written `12:00AM-12:00AM`, which
        // did not parse again, so a v2 client could not book the slot it was shown.
        let late = SlotTimings::parse("00-24").unwrap();
        assert_eq!((late.start_minute(), late.end_minute()), (0, 24 * 60));
        assert_eq!(late.to_cowin_v2(), "12:00AM-12:00AM");
        assert_eq!(SlotTimings::parse(&late.to_cowin_v2()), Ok(late));
        assert_eq!(SlotTimings::parse(&late.to_cowin_v1()), Ok(late));
        let evening = SlotTimings::parse("06:00PM-12:00AM").unwrap();
        assert_eq!(evening.end_minute(), 24 * 60);
        assert_eq!(
            SlotTimings::parse("22:00-00:00"),
            SlotTimings::new(22 * 60, 24 * 60)
        );
    }

    #[test]
    fn geo_points_must_lie_in_india_and_measure_distance() {
        assert!(GeoPoint::new(51.5, -0.1).is_err());
        let delhi = GeoPoint::parse("28.6139", "77.2090").unwrap();
        let mumbai = GeoPoint::new(19.0760, 72.8777).unwrap();
        let d = delhi.distance_km(mumbai);
        assert!((1140.0..1160.0).contains(&d), "{d}");
    }

    #[test]
    fn names_are_trimmed_and_keyed() {
        let n = Name::parse("  District   General Hospital ").unwrap();
        assert_eq!(n.as_str(), "District General Hospital");
        assert_eq!(n.key(), "district general hospital");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse("a\u{7}b").is_err());
    }
}
