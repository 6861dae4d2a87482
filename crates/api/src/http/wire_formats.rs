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
}
