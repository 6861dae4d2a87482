//! Reference data: the photo-ID types and genders, and the locations — states, districts, blocks
//! and the localities at a pincode — from the in-memory gazetteer (states and districts are
//! shared with v2).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AnyToken;
use crate::http::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use sehat_domain::ids::{DistrictId, StateId};
use sehat_domain::master::{GENDERS, PHOTO_ID_TYPES};
use sehat_domain::values::Pincode;
use serde::Serialize;
use utoipa::ToSchema;

/// A photo-ID type.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdTypeBody {
    #[serde(rename = "type")]
    #[schema(example = "Aadhaar Card")]
    kind: &'static str,
    id: i64,
    doc_type: Option<&'static str>,
}

fn id_types() -> Json<Vec<IdTypeBody>> {
    Json(
        PHOTO_ID_TYPES
            .iter()
            .map(|t| IdTypeBody {
                kind: t.name,
                id: t.id,
                doc_type: t.doc_type,
            })
            .collect(),
    )
}

/// The 13 photo-ID types.
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getBeneficiaryIdType", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<IdTypeBody>), (status = 401, body = ErrorBody)))]
pub(super) async fn photo_id_types(_: AnyToken) -> Json<Vec<IdTypeBody>> {
    id_types()
}

/// The 13 photo-ID types (spelt `getBeneficiaryIDType`, as the spec's sample path is).
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getBeneficiaryIDType", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<IdTypeBody>), (status = 401, body = ErrorBody)))]
pub(super) async fn photo_id_types_upper(_: AnyToken) -> Json<Vec<IdTypeBody>> {
    id_types()
}

/// A gender.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenderBody {
    #[schema(example = "Male")]
    gender: &'static str,
    id: i64,
}

/// The genders.
#[utoipa::path(get, path = "/api/v1/registration/beneficiary/getGender", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<GenderBody>), (status = 401, body = ErrorBody)))]
pub(super) async fn genders(_: AnyToken) -> Json<Vec<GenderBody>> {
    Json(
        GENDERS
            .iter()
            .map(|g| GenderBody {
                gender: g.name,
                id: g.id,
            })
            .collect(),
    )
}

/// A state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateBody {
    state_id: i64,
    state_name: String,
}

/// The states and union territories with their CoWIN ids.
#[utoipa::path(get, path = "/api/v1/admin/location/states", tag = "cowin-v1",
    security(("token" = [])), responses((status = 200, body = Vec<StateBody>), (status = 401, body = ErrorBody)))]
pub(super) async fn states(
    _: AnyToken,
    State(state): State<AppState>,
) -> Result<Json<Vec<StateBody>>, ApiError> {
    Ok(Json(state_list(&state)))
}

/// The states, from the in-memory gazetteer (shared with v2).
pub(crate) fn state_list(state: &AppState) -> Vec<StateBody> {
    state
        .gazetteer
        .states()
        .into_iter()
        .map(|s| StateBody {
            state_id: s.id.0,
            state_name: s.name.clone(),
        })
        .collect()
}

/// The districts of a state, from the in-memory gazetteer (shared with v2); 404 for no such state.
pub(crate) fn district_list(
    state: &AppState,
    state_id: i64,
) -> Result<Vec<DistrictBody>, ApiError> {
    if state.gazetteer.state(StateId(state_id)).is_none() {
        return Err(ApiError::not_found("state"));
    }
    Ok(state
        .gazetteer
        .districts_of(StateId(state_id))
        .into_iter()
        .map(|d| DistrictBody {
            district_id: d.id.0,
            district_name: d.name.clone(),
        })
        .collect())
}

/// A district.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictBody {
    district_id: i64,
    district_name: String,
}

/// The districts of a state, with their CoWIN ids.
#[utoipa::path(get, path = "/api/v1/admin/location/districts/{state_id}", tag = "cowin-v1", params(("state_id" = i64, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<DistrictBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn districts(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(state_id): ApiPath<i64>,
) -> Result<Json<Vec<DistrictBody>>, ApiError> {
    district_list(&state, state_id).map(Json)
}

/// A block.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockBody {
    block_id: i64,
    block_name: String,
}

/// The blocks of a district.
#[utoipa::path(get, path = "/api/v1/admin/location/blocks/{district_id}", tag = "cowin-v1", params(("district_id" = i64, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<BlockBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn blocks(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(district_id): ApiPath<i64>,
) -> Result<Json<Vec<BlockBody>>, ApiError> {
    if state.gazetteer.district(DistrictId(district_id)).is_none() {
        return Err(ApiError::not_found("district"));
    }
    Ok(Json(
        state
            .gazetteer
            .blocks_of(DistrictId(district_id))
            .into_iter()
            .map(|b| BlockBody {
                block_id: b.id.0,
                block_name: b.name.clone(),
            })
            .collect(),
    ))
}

/// A locality.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocalityBody {
    locality_id: i64,
    office_name: Option<String>,
    locality_name: String,
    pincode: u32,
}

pub(super) async fn localities_at(
    state: &AppState,
    pincode: &str,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    let pin = Pincode::parse(pincode).map_err(|e| ApiError::invalid("pincode", e))?;
    let localities = state.store.localities(pin).await?;
    Ok(Json(
        localities
            .into_iter()
            .map(|l| LocalityBody {
                locality_id: l.id.0,
                office_name: None,
                locality_name: l.name,
                pincode: l.pincode.get(),
            })
            .collect(),
    ))
}

/// The localities (post offices) at a pincode.
#[utoipa::path(get, path = "/api/v1/admin/location/getLocalitybyPincode/{pincode}", tag = "cowin-v1", params(("pincode" = crate::http::wire_formats::PincodeText, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<LocalityBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn localities(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(pincode): ApiPath<String>,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    localities_at(&state, &pincode).await
}

/// The same, at the doubled path spec 000 gives (`/api/api/v1/…`).
#[utoipa::path(get, path = "/api/api/v1/admin/location/getLocalitybyPincode/{pincode}", tag = "cowin-v1", params(("pincode" = crate::http::wire_formats::PincodeText, Path)),
    security(("token" = [])), responses((status = 200, body = Vec<LocalityBody>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn localities_doubled_path(
    _: AnyToken,
    State(state): State<AppState>,
    ApiPath(pincode): ApiPath<String>,
) -> Result<Json<Vec<LocalityBody>>, ApiError> {
    localities_at(&state, &pincode).await
}
