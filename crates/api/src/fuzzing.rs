//! Entry points of the fuzz targets in `fuzz/` (feature `fuzzing`, not an API): every JSON
//! request body type is read the way its handler reads it, then converted into domain types
//! with the handler's own functions. An error is an answer; only a panic is a finding.

use crate::admin::centers::{CenterPatchBody, NewCenterBody};
use crate::admin::sessions::OpenSessionsBody;
use crate::error::ApiError;
use crate::http::extract::from_json_slice;
use sehat_domain::facility::{CenterPatch, CenterSpec};
use sehat_domain::schedule::SessionPlan;

/// The year birth years are checked against.
const THIS_YEAR: i32 = 2026;

/// Reads `json` as request body type number `kind` (any byte; it picks one of the API's body
/// types) and converts it. A refusal must serialize as the error body the client would get.
pub fn request_body(kind: u8, json: &[u8]) {
    let outcome = match kind % 4 {
        0 => crate::cowin_v1::fuzzing::request_body(kind / 4, json, THIS_YEAR),
        1 => crate::cowin_v2::appointments::fuzzing::request_body(kind / 4, json, THIS_YEAR),
        2 => crate::cowin_v2::fuzzing::request_body(kind / 4, json),
        _ => admin_body(kind / 4, json),
    };
    if let Err(error) = outcome {
        assert!(error.status().is_client_error(), "{error:?}");
        serde_json::to_vec(error.body()).expect("an error body serializes");
    }
}

fn admin_body(kind: u8, json: &[u8]) -> Result<(), ApiError> {
    match kind % 3 {
        0 => {
            CenterSpec::try_from(from_json_slice::<NewCenterBody>(json)?)?;
        }
        1 => {
            CenterPatch::try_from(from_json_slice::<CenterPatchBody>(json)?)?;
        }
        _ => {
            let plan = SessionPlan::try_from(from_json_slice::<OpenSessionsBody>(json)?)?;
            let days = plan.dates().count();
            assert!((1..=366).contains(&days), "{days} days");
            let capacities = plan.slot_capacities();
            let dose1 = plan.slot_dose1_capacities(&capacities);
            assert!(dose1.iter().zip(&capacities).all(|(d, c)| d <= c));
        }
    }
    Ok(())
}
