//! The CoWIN v1 registration and appointment API for partner apps (spec 000), at `/api/v1`.
//!
//! Shapes follow the spec's samples exactly, including their quirks: numbers where the samples
//! have numbers and strings where they have strings (`center_id` is a number when scheduling and
//! a string in the centre lists), dates as `dd-mm-yyyy`, masked identifiers `*****1403`, the guest
//! token as a bare string, and `Deleted Succssesfully`. Requests may send ids and numbers either
//! as JSON numbers or as strings. Which token each call needs:
//! - a guest (or beneficiary) token: reference data, centres, slots, registration (`add`);
//! - a beneficiary token: appointments, linked beneficiaries, and get/update/delete of a
//!   beneficiary of the token's own mobile (the spec's samples send only a reference id there,
//!   which a guest token must not be enough to read or change).
//!
//! Routes, by module:
//! - [`login`]: `POST /api/v1/auth/guest/login`, `POST /api/v1/auth/confirmMobileOTP` (sends
//!   the OTP: the spec's names are swapped), `POST /api/v1/auth/mobileOTP`,
//!   `POST /api/v1/auth/confirmMobileDob`;
//! - [`registration`]: `POST /api/v1/registration/beneficiary/{add,update,delete}`,
//!   `GET /api/v1/registration/beneficiary`, `GET /api/v1/appointment/linkedBeneficiaries`;
//! - [`appointments`]: `POST /api/v1/appointment/{scheduleAppointment,rescheduleAppointment,cancel}`,
//!   `GET /api/v1/appointment`;
//! - [`centers`]: `GET /api/v1/appointment/centers/{findByPin,findByBlock,findByDistrict}` (also
//!   spelt `findby…`), `GET /api/v1/appointment/timeslots/findByCenter`;
//! - [`metadata`]: `GET /api/v1/registration/beneficiary/{getBeneficiaryIdType,getBeneficiaryIDType,getGender}`,
//!   `GET /api/v1/admin/location/{states,districts/{state_id},blocks/{district_id},getLocalitybyPincode/{pincode}}`
//!   (the last also at the doubled path `/api/api/v1/…` the spec gives).
//!
//! [`loose`] reads the number-or-string values all of them accept.

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Book, move, cancel and list appointments.
pub mod appointments;
/// Centres by pincode, block and district, and a centre's open slots.
pub mod centers;
/// The guest login and the beneficiary logins (OTP, or reference id + mobile + year of birth).
pub mod login;
/// The loose number-or-string values of spec 000's requests, read into one type.
pub mod loose;
/// Reference data: photo-ID types, genders, states, districts, blocks, localities.
pub mod metadata;
/// Registration of beneficiaries: add, update, get, delete, the mobile's list.
pub mod registration;

/// The v1 routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login::guest_login))
        .routes(routes!(login::send_mobile_otp))
        .routes(routes!(login::confirm_mobile_otp))
        .routes(routes!(login::confirm_mobile_dob))
        .routes(routes!(registration::add_beneficiary))
        .routes(routes!(registration::update_beneficiary))
        .routes(routes!(registration::get_beneficiary))
        .routes(routes!(registration::delete_beneficiary))
        .routes(routes!(registration::linked_beneficiaries))
        .routes(routes!(appointments::schedule_appointment))
        .routes(routes!(appointments::reschedule_appointment))
        .routes(routes!(appointments::cancel_appointment))
        .routes(routes!(appointments::list_appointments))
        .routes(routes!(centers::centers_by_pin))
        .routes(routes!(centers::centers_by_pin_lower))
        .routes(routes!(centers::centers_by_block))
        .routes(routes!(centers::centers_by_block_upper))
        .routes(routes!(centers::centers_by_district))
        .routes(routes!(centers::centers_by_district_upper))
        .routes(routes!(centers::timeslots_by_center))
        .routes(routes!(metadata::photo_id_types))
        .routes(routes!(metadata::photo_id_types_upper))
        .routes(routes!(metadata::genders))
        .routes(routes!(metadata::states))
        .routes(routes!(metadata::districts))
        .routes(routes!(metadata::blocks))
        .routes(routes!(metadata::localities))
        .routes(routes!(metadata::localities_doubled_path))
}

/// This family's request bodies read and converted as the handlers do, for `fuzz/`.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing {
    use crate::error::ApiError;

    /// Reads body number `kind` from `json` and converts it into domain values.
    pub(crate) fn request_body(kind: u8, json: &[u8], this_year: i32) -> Result<(), ApiError> {
        match kind % 8 {
            kind @ 0..=3 => super::login::fuzzing::request_body(kind, json),
            4 => super::registration::fuzzing::request_body(json, this_year),
            kind => super::appointments::fuzzing::request_body(kind - 5, json),
        }
    }
}
