//! The text formats the APIs share — CoWIN dates, ISO dates, pincodes — as OpenAPI schemas
//! with the exact pattern their parser accepts, so that a client (or a contract fuzzer) knows
//! from the document which values are valid. Parameters refer to them with
//! `#[param(value_type = …)]`; a unit test holds each pattern to its parser.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// `dd-mm-yyyy` (one-digit day and month accepted), a calendar date from 1900 on: the dates
/// [`sehat_domain::values::parse_cowin_date`] accepts (leap years included).
pub const COWIN_DATE_PATTERN: &str = r"^(((0?[1-9]|1[0-9]|2[0-8])-(0?[1-9]|1[0-2])|(29|30)-(0?[13-9]|1[0-2])|31-(0?[13578]|1[02]))-(19[0-9]{2}|[2-9][0-9]{3})|29-0?2-(19(0[48]|[2468][048]|[13579][26])|[2-9][0-9](0[48]|[2468][048]|[13579][26])|(2[048]|3[26]|4[048]|5[26]|6[048]|7[26]|8[048]|9[26])00))$";

/// `yyyy-mm-dd`, a calendar date from 1900 on.
const ISO_DATE_PATTERN: &str = r"^((19[0-9]{2}|[2-9][0-9]{3})-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|(19(0[48]|[2468][048]|[13579][26])|[2-9][0-9](0[48]|[2468][048]|[13579][26])|(2[048]|3[26]|4[048]|5[26]|6[048]|7[26]|8[048]|9[26])00)-02-29)$";

/// Six digits, not starting with 0.
pub const PINCODE_PATTERN: &str = r"^[1-9][0-9]{5}$";

fn text(pattern: &str, example: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
        .into()
}

/// A CoWIN date, `dd-mm-yyyy`.
#[derive(Debug)]
pub struct CowinDate;

impl PartialSchema for CowinDate {
    fn schema() -> RefOr<Schema> {
        text(
            COWIN_DATE_PATTERN,
            "31-03-2021",
            "A date as CoWIN writes it, `dd-mm-yyyy` (one-digit day and month accepted), from 1900 on.",
        )
    }
}

impl ToSchema for CowinDate {}

/// An ISO `yyyy-mm-dd` date, or a CoWIN `dd-mm-yyyy` one (the admin API takes both).
#[derive(Debug)]
pub struct AnyDate;

impl PartialSchema for AnyDate {
    fn schema() -> RefOr<Schema> {
        let bare = |p: &'static str| p.trim_start_matches('^').trim_end_matches('$');
        let either = format!(
            "^({}|{})$",
            bare(ISO_DATE_PATTERN),
            bare(COWIN_DATE_PATTERN)
        );
        text(
            &either,
            "2026-12-01",
            "A date, ISO `yyyy-mm-dd` or CoWIN `dd-mm-yyyy` (from 1900 on).",
        )
    }
}

impl ToSchema for AnyDate {}

/// A six-digit Indian pincode.
#[derive(Debug)]
pub struct PincodeText;

impl PartialSchema for PincodeText {
    fn schema() -> RefOr<Schema> {
        text(PINCODE_PATTERN, "411001", "A six-digit Indian pincode.")
    }
}

impl ToSchema for PincodeText {}

/// A 14-digit beneficiary reference id or appointment number, as a JSON number (CoWIN v1).
#[derive(Debug)]
pub struct ReferenceNumber;

impl PartialSchema for ReferenceNumber {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(10_000_000_000_000_i64))
            .maximum(Some(99_999_999_999_999_i64))
            .description(Some("A 14-digit reference id or appointment number."))
            .examples([12_345_678_901_234_i64])
            .into()
    }
}

impl ToSchema for ReferenceNumber {}

/// A 14-digit beneficiary reference id or appointment number, as a JSON string (CoWIN v2).
#[derive(Debug)]
pub struct ReferenceText;

impl PartialSchema for ReferenceText {
    fn schema() -> RefOr<Schema> {
        text(
            r"^[1-9][0-9]{13}$",
            "12345678901234",
            "A 14-digit reference id or appointment number.",
        )
    }
}

impl ToSchema for ReferenceText {}

/// Whole numbers as a JSON schema types them: `integer` is a JSON number, so `1` and `1.0` are
/// the same value, and clients generated from the published schemas send either. Used with
/// `#[serde(deserialize_with = "whole::number")]` (or `whole::optional`) on the integer fields
/// of request bodies and query strings (where the number comes as text: `294`, `294.0`).
pub mod whole {
    use serde::de::{Deserializer, Error, Unexpected, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    struct Whole<T>(PhantomData<T>);

    impl<T: TryFrom<i64>> Whole<T> {
        fn fit<E: Error>(value: i64) -> Result<T, E> {
            T::try_from(value)
                .map_err(|_| E::invalid_value(Unexpected::Signed(value), &"a number in range"))
        }
    }

    impl<T: TryFrom<i64>> Visitor<'_> for Whole<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
            Self::fit(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
            let v = i64::try_from(v)
                .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"a number in range"))?;
            Self::fit(v)
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
            // Below 2^53 every whole float is exact.
            if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
                #[allow(clippy::cast_possible_truncation)]
                return Self::fit(v as i64);
            }
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
            let t = v.trim();
            match t.parse::<i64>() {
                Ok(n) => Self::fit(n),
                Err(_) => match t.parse::<f64>() {
                    Ok(f) if !t.contains(['e', 'E', 'n', 'N', 'i', 'I']) => self.visit_f64(f),
                    _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
                },
            }
        }
    }

    /// A whole number, from a JSON integer, a whole JSON float or their text.
    pub fn number<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(Whole(PhantomData))
    }

    struct Maybe<T>(PhantomData<T>);

    impl<'de, T: TryFrom<i64>> Visitor<'de> for Maybe<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or null")
        }

        fn visit_none<E: Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            number(d).map(Some)
        }
    }

    /// An optional whole number (absent or `null`: none).
    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        d.deserialize_option(Maybe(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sehat_domain::values::{Pincode, parse_any_date, parse_cowin_date};

    fn pattern_of<T: PartialSchema>() -> regex::Regex {
        let RefOr::T(Schema::Object(object)) = T::schema() else {
            panic!("a text schema");
        };
        regex::Regex::new(&object.pattern.expect("a pattern")).expect("a valid regex")
    }

    /// Every day/month/year combination around the edges the parsers care about.
    fn candidates() -> Vec<(String, String)> {
        let years = [
            0, 4, 100, 400, 1899, 1900, 1904, 2000, 2023, 2024, 2100, 2400, 9999,
        ];
        let mut out = Vec::new();
        for y in years {
            for m in 0..=13 {
                for d in 0..=32 {
                    out.push((
                        format!("{d:02}-{m:02}-{y:04}"),
                        format!("{y:04}-{m:02}-{d:02}"),
                    ));
                    out.push((format!("{d}-{m}-{y:04}"), format!("{y:04}-{m}-{d}")));
                }
            }
        }
        out
    }

    #[test]
    fn the_cowin_date_pattern_accepts_exactly_what_the_parser_accepts() {
        let pattern = pattern_of::<CowinDate>();
        for (cowin, _) in candidates() {
            assert_eq!(
                pattern.is_match(&cowin),
                parse_cowin_date(&cowin).is_ok(),
                "{cowin}"
            );
        }
    }

    #[test]
    fn the_admin_date_pattern_accepts_exactly_what_the_parser_accepts() {
        let pattern = pattern_of::<AnyDate>();
        for (cowin, iso) in candidates() {
            for text in [cowin, iso] {
                assert_eq!(
                    pattern.is_match(&text),
                    parse_any_date(&text).is_ok(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn the_pincode_pattern_accepts_exactly_what_the_parser_accepts() {
        let pattern = pattern_of::<PincodeText>();
        for text in [
            "411001", "011001", "41100", "4110011", "41100a", "999999", "100000",
        ] {
            assert_eq!(
                pattern.is_match(text),
                Pincode::parse(text).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn whole_numbers_come_as_integers_whole_floats_or_their_text() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(deserialize_with = "super::whole::number")]
            dose: u8,
            #[serde(default, deserialize_with = "super::whole::optional")]
            center_id: Option<i64>,
        }
        let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| (b.dose, b.center_id));
        assert_eq!(read(r#"{"dose":1}"#).unwrap(), (1, None));
        assert_eq!(
            read(r#"{"dose":2.0,"center_id":1234.0}"#).unwrap(),
            (2, Some(1234))
        );
        assert_eq!(read(r#"{"dose":"1","center_id":null}"#).unwrap(), (1, None));
        assert_eq!(read(r#"{"dose":" 3.0 "}"#).unwrap(), (3, None));
        for bad in [
            r#"{"dose":1.5}"#,
            r#"{"dose":-1}"#,
            r#"{"dose":256}"#,
            r#"{"dose":"1e0"}"#,
            r#"{"dose":"NaN"}"#,
            r#"{"dose":true}"#,
            r#"{"dose":1e300}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
