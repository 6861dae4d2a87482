//! Centres on the admin API: list them (filtered, a page at a time), create one, read one, and
//! change some of its fields.

use super::rename_field;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::AdminAuth;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sehat_domain::facility::{
    Area, Center, CenterPatch, CenterSpec, CentreType, FeeType, PlaceRef, parse_vaccine_codes,
};
use sehat_domain::ids::{CenterId, DistrictId, StateId};
use sehat_domain::store::{CenterFilter, Page, Store};
use sehat_domain::values::{GeoPoint, Mobile, Name, Pincode, field};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `{center_id}` in a path.
#[derive(Debug, Deserialize)]
pub struct CenterPath {
    pub(super) center_id: i64,
}

/// A centre as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterBody {
    center_id: i64,
    name: String,
    state_id: i64,
    state_name: String,
    district_id: i64,
    district_name: String,
    block_id: Option<i64>,
    block_name: Option<String>,
    pincode: u32,
    address: String,
    incharge_name: Option<String>,
    incharge_mobile: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    #[schema(example = "Permanent")]
    centre_type: &'static str,
    #[schema(example = "Urban")]
    area: &'static str,
    #[schema(example = "Free")]
    fee_type: &'static str,
    vaccines: Vec<String>,
    active: bool,
}

impl From<Center> for CenterBody {
    fn from(c: Center) -> Self {
        Self {
            center_id: c.id.0,
            name: c.name,
            state_id: c.state_id.0,
            state_name: c.state_name,
            district_id: c.district_id.0,
            district_name: c.district_name,
            block_id: c.block_id.map(|b| b.0),
            block_name: c.block_name,
            pincode: c.pincode.get(),
            address: c.address,
            incharge_name: c.incharge_name,
            incharge_mobile: c.incharge_mobile,
            lat: c.lat,
            long: c.long,
            centre_type: c.centre_type.as_str(),
            area: c.area.as_str(),
            fee_type: c.fee_type.as_str(),
            vaccines: c.vaccine_codes,
            active: c.active,
        }
    }
}

/// A page of centres.
#[derive(Debug, Serialize, ToSchema)]
pub struct CenterList {
    centers: Vec<CenterBody>,
    /// Pass as `after` to get the next page; null on the last page.
    next_after: Option<i64>,
}

/// Filters and paging for listing centres.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CenterQuery {
    /// Only this CoWIN state id.
    pub(crate) state_id: Option<i64>,
    /// Only this CoWIN district id.
    pub(crate) district_id: Option<i64>,
    /// Only this pincode.
    #[param(value_type = Option<crate::http::wire_formats::PincodeText>)]
    pub(crate) pincode: Option<String>,
    /// Only names containing this.
    pub(crate) name: Option<String>,
    /// Return centres with an id greater than this (from `next_after`).
    pub(crate) after: Option<i64>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<u32>,
}

/// List centres, filtered and a page at a time.
#[utoipa::path(get, path = "/admin/v1/centers", tag = "admin", params(CenterQuery),
    security(("admin_token" = [])),
    responses((status = 200, body = CenterList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn list_centers(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CenterQuery>,
) -> Result<Json<CenterList>, ApiError> {
    let (centers, next_after) = list(&state, q).await?;
    Ok(Json(CenterList {
        centers: centers.into_iter().map(CenterBody::from).collect(),
        next_after,
    }))
}

/// A page of centres as `q` filters them, and the `after` of the next page (none on the last).
pub(crate) async fn list(
    state: &AppState,
    q: CenterQuery,
) -> Result<(Vec<Center>, Option<i64>), ApiError> {
    let filter = CenterFilter {
        state_id: q.state_id.map(StateId),
        district_id: q.district_id.map(DistrictId),
        pincode: q
            .pincode
            .as_deref()
            .map(|p| field("pincode", Pincode::parse(p)))
            .transpose()?,
        name_contains: q.name.filter(|n| !n.trim().is_empty()),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=Page::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1-500"));
    }
    let page = Page::new(q.after.unwrap_or(0), limit);
    let centers = state.store.list_centers(&filter, page).await?;
    let next_after = (centers.len() == page.limit as usize)
        .then(|| centers.last().map(|c| c.id.0))
        .flatten();
    Ok((centers, next_after))
}

/// A new centre.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCenterBody {
    #[schema(example = "PHC Koregaon")]
    pub(crate) name: String,
    /// CoWIN state id; taken from the district when absent.
    pub(crate) state_id: Option<i64>,
    /// CoWIN district id.
    #[schema(example = 379)]
    pub(crate) district_id: i64,
    /// Block id; taken from the pincode when absent.
    pub(crate) block_id: Option<i64>,
    #[schema(example = "415501")]
    pub(crate) pincode: String,
    #[serde(default)]
    pub(crate) address: String,
    pub(crate) incharge_name: Option<String>,
    pub(crate) incharge_mobile: Option<String>,
    /// Latitude; the pincode's position when absent.
    pub(crate) lat: Option<f64>,
    pub(crate) long: Option<f64>,
    /// Permanent (default), Mobile or Static.
    pub(crate) centre_type: Option<String>,
    /// Urban (default) or Rural.
    pub(crate) area: Option<String>,
    /// Free (default) or Paid.
    pub(crate) fee_type: Option<String>,
    /// Vaccine codes offered, e.g. `["COVISHIELD", "BCG"]`.
    #[serde(default)]
    pub(crate) vaccines: Vec<String>,
}

fn location(lat: Option<f64>, long: Option<f64>) -> Result<Option<GeoPoint>, ApiError> {
    match (lat, long) {
        (Some(lat), Some(long)) => Ok(Some(field("lat", GeoPoint::new(lat, long))?)),
        (None, None) => Ok(None),
        _ => Err(ApiError::invalid(
            "long",
            "lat and long must be given together",
        )),
    }
}

fn vaccines(codes: &[String]) -> Result<Vec<String>, ApiError> {
    parse_vaccine_codes(&codes.join(","))
        .map_err(|_| ApiError::invalid("vaccines", "vaccine codes are letters, digits and _"))
}

impl TryFrom<NewCenterBody> for CenterSpec {
    type Error = ApiError;

    fn try_from(b: NewCenterBody) -> Result<Self, ApiError> {
        Ok(CenterSpec {
            name: field("name", Name::parse(&b.name))?,
            state: b.state_id.map(PlaceRef::Id),
            district: PlaceRef::Id(b.district_id),
            block: b.block_id.map(PlaceRef::Id),
            pincode: field("pincode", Pincode::parse(&b.pincode))?,
            address: b.address.trim().to_owned(),
            incharge_name: b
                .incharge_name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_name", e))?,
            incharge_mobile: b
                .incharge_mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_mobile", e))?,
            location: location(b.lat, b.long)?,
            centre_type: b
                .centre_type
                .as_deref()
                .map_or(Ok(CentreType::Permanent), CentreType::parse)
                .map_err(|e| ApiError::invalid("centre_type", e))?,
            area: b
                .area
                .as_deref()
                .map_or(Ok(Area::Urban), Area::parse)
                .map_err(|e| ApiError::invalid("area", e))?,
            fee_type: b
                .fee_type
                .as_deref()
                .map_or(Ok(FeeType::Free), FeeType::parse)
                .map_err(|e| ApiError::invalid("fee_type", e))?,
            vaccine_codes: vaccines(&b.vaccines)?,
        })
    }
}

/// Create a centre. Its state, district, block and pincode must exist and agree.
#[utoipa::path(post, path = "/admin/v1/centers", tag = "admin", request_body = NewCenterBody,
    security(("admin_token" = [])),
    responses((status = 201, body = CenterBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "a centre of that name exists at that pincode", body = ErrorBody)))]
pub(super) async fn create_center(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewCenterBody>,
) -> Result<(StatusCode, Json<CenterBody>), ApiError> {
    let center = create(&state, admin.store.as_ref(), body).await?;
    Ok((StatusCode::CREATED, Json(center.into())))
}

/// Creates a centre from `body`, its places checked against the gazetteer.
pub(crate) async fn create(
    state: &AppState,
    store: &dyn Store,
    body: NewCenterBody,
) -> Result<Center, ApiError> {
    let spec = CenterSpec::try_from(body)?;
    let resolved = state.gazetteer.resolve_center(spec).map_err(|e| {
        rename_field(
            e,
            &[
                ("state", "state_id"),
                ("district", "district_id"),
                ("block", "block_id"),
                ("vaccinationtypeID", "vaccines"),
            ],
        )
    })?;
    Ok(store.create_center(&resolved).await?)
}

/// One centre.
#[utoipa::path(get, path = "/admin/v1/centers/{center_id}", tag = "admin",
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = CenterBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_center(
    _: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
) -> Result<Json<CenterBody>, ApiError> {
    Ok(Json(state.store.center(CenterId(center_id)).await?.into()))
}

/// Fields of a centre to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CenterPatchBody {
    pub(crate) name: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) incharge_name: Option<String>,
    pub(crate) incharge_mobile: Option<String>,
    pub(crate) lat: Option<f64>,
    pub(crate) long: Option<f64>,
    pub(crate) centre_type: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) fee_type: Option<String>,
    pub(crate) vaccines: Option<Vec<String>>,
    /// false stops the centre taking bookings.
    pub(crate) active: Option<bool>,
}

impl TryFrom<CenterPatchBody> for CenterPatch {
    type Error = ApiError;

    fn try_from(b: CenterPatchBody) -> Result<Self, ApiError> {
        Ok(CenterPatch {
            name: b
                .name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("name", e))?,
            address: b.address.map(|a| a.trim().to_owned()),
            incharge_name: b
                .incharge_name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_name", e))?,
            incharge_mobile: b
                .incharge_mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("incharge_mobile", e))?,
            location: location(b.lat, b.long)?,
            centre_type: b
                .centre_type
                .as_deref()
                .map(CentreType::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("centre_type", e))?,
            area: b
                .area
                .as_deref()
                .map(Area::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("area", e))?,
            fee_type: b
                .fee_type
                .as_deref()
                .map(FeeType::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("fee_type", e))?,
            vaccine_codes: b.vaccines.as_deref().map(vaccines).transpose()?,
            active: b.active,
        })
    }
}

/// Change some fields of a centre.
#[utoipa::path(patch, path = "/admin/v1/centers/{center_id}", tag = "admin", request_body = CenterPatchBody,
    params(("center_id" = i64, Path)), security(("admin_token" = [])),
    responses((status = 200, body = CenterBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn update_center(
    admin: AdminAuth,
    State(state): State<AppState>,
    ApiPath(CenterPath { center_id }): ApiPath<CenterPath>,
    ApiJson(body): ApiJson<CenterPatchBody>,
) -> Result<Json<CenterBody>, ApiError> {
    Ok(Json(
        update(&state, admin.store.as_ref(), CenterId(center_id), body)
            .await?
            .into(),
    ))
}

/// Changes the fields of centre `id` that `body` gives.
pub(crate) async fn update(
    state: &AppState,
    store: &dyn Store,
    id: CenterId,
    body: CenterPatchBody,
) -> Result<Center, ApiError> {
    let patch = CenterPatch::try_from(body)?;
    if let Some(code) = patch
        .vaccine_codes
        .iter()
        .flatten()
        .find(|c| state.gazetteer.vaccine(c).is_none())
    {
        return Err(ApiError::invalid(
            "vaccines",
            format!("unknown vaccine code {code}"),
        ));
    }
    Ok(store.update_center(id, &patch).await?)
}
