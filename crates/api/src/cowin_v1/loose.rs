//! Values spec 000 sends sometimes as JSON numbers and sometimes as strings — ids, years,
//! mobiles, lists of reference ids — read leniently into one type, and the schema of a number
//! the answers write as `""` when there is none. Shared with v2, whose bodies are as loose.

use crate::error::ApiError;
use sehat_domain::beneficiary::BeneficiaryRef;
use sehat_domain::values::Mobile;
use serde_json::Value;

/// A JSON value the spec sends sometimes as a number and sometimes as a string.
pub(crate) fn loose_text(value: &Value) -> Option<String> {
    match value {
        // JSON has one number type: `1.4e13` is the whole number 14000000000000 too.
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        }),
        Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

pub(crate) fn loose_i64(field: &'static str, value: &Value) -> Result<i64, ApiError> {
    loose_text(value)
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ApiError::invalid(field, "must be a whole number"))
}

pub(super) fn loose_opt_i64(
    field: &'static str,
    value: &Option<Value>,
) -> Result<Option<i64>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => loose_i64(field, v).map(Some),
    }
}

pub(crate) fn reference_id(field: &'static str, value: &Value) -> Result<BeneficiaryRef, ApiError> {
    BeneficiaryRef::new(loose_i64(field, value)?).map_err(|e| ApiError::invalid(field, e))
}

pub(super) fn mobile(field: &'static str, value: &Value) -> Result<Mobile, ApiError> {
    let text = loose_text(value)
        .ok_or_else(|| ApiError::invalid(field, "must be a 10-digit mobile number"))?;
    Mobile::parse(&text).map_err(|e| ApiError::invalid(field, e))
}

/// The schema of a number that is `""` when there is none, as spec 000's samples show both.
pub(super) fn number_or_empty() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .build();
    Schema::OneOf(one_of)
}

pub(crate) fn beneficiary_list(values: &[Value]) -> Result<Vec<BeneficiaryRef>, ApiError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            loose_i64("beneficiaries", v).and_then(|n| {
                BeneficiaryRef::new(n)
                    .map_err(|e| ApiError::invalid(format!("beneficiaries[{i}]"), e))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_written_as_a_float_is_a_whole_number() {
        // Found by contract fuzzing: `1.0e13` is a JSON integer, and was refused.
        let id = serde_json::json!(12_345_678_901_234.0_f64);
        assert_eq!(loose_i64("id", &id).unwrap(), 12_345_678_901_234);
        assert!(loose_i64("id", &serde_json::json!(1.5)).is_err());
        assert_eq!(
            loose_text(&serde_json::json!(1980)).as_deref(),
            Some("1980")
        );
    }
}
