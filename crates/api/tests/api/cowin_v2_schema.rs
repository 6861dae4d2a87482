//! The v2 calls as clients generated from API Setu's published schema make them: the partner
//! apps' OTP login, the protected `findByLatLong`, metadata before login, numbers sent as whole
//! floats, and appointments named by UUID.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, sha256_hex};
use sehat_store::testing::backends;
use serde_json::{Value, json};

/// `generateOTP` → `confirmOTP` with the partner's key; returns (token, isNewAccount).
async fn partner_login(app: &TestApp, key: &str, mobile: &str) -> (String, Value) {
    let sent = app
        .call_with(
            "POST",
            "/api/v2/auth/generateOTP",
            None,
            Some(json!({"mobile": mobile})),
            &[("x-api-key", key)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    let code = sent.json["otp"].as_str().unwrap();
    let confirmed = app
        .call_with(
            "POST",
            "/api/v2/auth/confirmOTP",
            None,
            Some(json!({"otp": sha256_hex(code), "txnId": sent.json["txnId"]})),
            &[("x-api-key", key)],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.json);
    (
        confirmed.json["token"].as_str().unwrap().to_owned(),
        confirmed.json["isNewAccount"].clone(),
    )
}

#[tokio::test]
async fn a_partner_app_logs_a_citizen_in_with_its_api_key() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let key = app.partner_key("state-app").await;

        // Without a key, or with a wrong one: 401 USRAUT0008, and no OTP is sent.
        for presented in [None, Some("sk_nope.nope")] {
            let headers: Vec<(&str, &str)> =
                presented.map(|k| ("x-api-key", k)).into_iter().collect();
            let refused = app
                .call_with(
                    "POST",
                    "/api/v2/auth/generateOTP",
                    None,
                    Some(json!({"mobile": "9876543210"})),
                    &headers,
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.json);
            assert_eq!(refused.json["errorCode"], "USRAUT0008");
        }
        // A bad body is a 400 whatever the key.
        let bad = app
            .call_with(
                "POST",
                "/api/v2/auth/generateOTP",
                None,
                Some(json!({"mobile": "12345"})),
                &[("x-api-key", &key)],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.json);

        let (token, new) = partner_login(&app, &key, "9876543210").await;
        assert_eq!(new, "Y", "a string, as the published schema types it");
        // The token is the family's: it registers and lists beneficiaries.
        let registered = app
            .call("POST", "/api/v2/registration/beneficiary/new", Some(&token), Some(json!({
                "name": "Asha Patil", "birth_year": "1985", "gender_id": 2.0, "photo_id_type": 1.0,
                "photo_id_number": "234123412346", "comorbidity_ind": "N", "consent_version": "V1"})))
            .await;
        assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
        assert!(registered.json["beneficiary_reference_id"].is_string());
        app.clock.advance(time::Duration::seconds(31));
        let (_, new) = partner_login(&app, &key, "9876543210").await;
        assert_eq!(new, "N");

        // confirmOTP needs the key too, even with a good OTP.
        app.clock.advance(time::Duration::seconds(31));
        let sent = app
            .call_with(
                "POST",
                "/api/v2/auth/generateOTP",
                None,
                Some(json!({"mobile": "9876543211"})),
                &[("x-api-key", &key)],
            )
            .await;
        let keyless = app
            .call(
                "POST",
                "/api/v2/auth/confirmOTP",
                None,
                Some(json!({"otp": sha256_hex(sent.json["otp"].as_str().unwrap()), "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(keyless.status, StatusCode::UNAUTHORIZED, "{}", keyless.json);
        app.teardown().await;
    }
}

#[tokio::test]
async fn metadata_needs_no_token_and_the_protected_find_by_lat_long_needs_one() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let genders = app
            .call(
                "GET",
                "/api/v2/registration/beneficiary/genders",
                None,
                None,
            )
            .await;
        assert_eq!(genders.status, StatusCode::OK, "{}", genders.json);
        assert_eq!(
            genders.json["genders"][0],
            json!({"id": 1, "gender": "Male"})
        );
        let types = app
            .call(
                "GET",
                "/api/v2/registration/beneficiary/idTypes",
                None,
                None,
            )
            .await;
        assert_eq!(types.status, StatusCode::OK, "{}", types.json);
        assert_eq!(types.json["types"].as_array().unwrap().len(), 13);

        app.centre_with_slots("PHC Koregaon", 18, &[("FORENOON", "09:00AM-11:00AM", 10)])
            .await;
        let path = "centers/findByLatLong?lat=17.70&long=74.16";
        let without = app
            .call("GET", &format!("/api/v2/appointment/{path}"), None, None)
            .await;
        assert_eq!(without.status, StatusCode::UNAUTHORIZED, "{}", without.json);
        assert_eq!(without.json["error"], "Unauthenticated access!");
        let token = app.guest().await;
        let protected = app
            .call(
                "GET",
                &format!("/api/v2/appointment/{path}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(protected.status, StatusCode::OK, "{}", protected.json);
        let public = app
            .call(
                "GET",
                "/api/v2/appointment/centers/public/findByLatLong?lat=17.70&long=74.16",
                None,
                None,
            )
            .await;
        assert_eq!(
            protected.json, public.json,
            "the same answer as the public call"
        );
        assert!(!public.json["centers"].as_array().unwrap().is_empty());
        app.teardown().await;
    }
}

#[tokio::test]
async fn whole_floats_are_numbers_and_appointments_are_named_by_uuid() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, _) = app
            .centre_with_slots(
                "PHC Koregaon",
                18,
                &[
                    ("FORENOON", "09:00AM-11:00AM", 10),
                    ("AFTERNOON", "01:00PM-03:00PM", 10),
                ],
            )
            .await;
        let token = app.family("9876543210").await;
        let other = app.family("9876543219").await;
        let mut people = Vec::new();
        for (token, id) in [(&token, "ABCPE1234F"), (&other, "ABCPE1235F")] {
            let registered = app
                .call("POST", "/api/v2/registration/beneficiary/new", Some(token), Some(json!({
                    "name": "Asha Patil", "birth_year": 1985.0, "gender_id": 2.0, "photo_id_type": 6.0,
                    "photo_id_number": id, "comorbidity_ind": "N", "consent_version": "V1"})))
                .await;
            assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
            people.push(
                registered.json["beneficiary_reference_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        // Query numbers come as text: `376.0` is district 376, `<id>.0` the centre.
        let calendar = app
            .call(
                "GET",
                &format!("/api/v2/appointment/sessions/public/calendarByCenter?center_id={centre}.0&date=02-03-2026"),
                None,
                None,
            )
            .await;
        assert_eq!(calendar.status, StatusCode::OK, "{}", calendar.json);
        let by_district = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/public/findByDistrict?district_id=376.0&date=02-03-2026",
                None,
                None,
            )
            .await;
        assert_eq!(by_district.status, StatusCode::OK, "{}", by_district.json);
        // calendarByCenter answers one centre: `{"centers": {…}}`.
        let session = calendar.json["centers"]["sessions"][0]["session_id"].clone();
        assert!(session.is_string(), "{}", calendar.json);

        // `"dose": 1.5` is not a dose; `1.0` is dose 1.
        let half = app
            .call("POST", "/api/v2/appointment/schedule", Some(&token), Some(json!({
                "dose": 1.5, "session_id": session, "slot": "09:00AM-11:00AM", "beneficiaries": [people[0]]})))
            .await;
        assert_eq!(half.status, StatusCode::BAD_REQUEST, "{}", half.json);
        let booked = app
            .call(
                "POST",
                "/api/v2/appointment/schedule",
                Some(&token),
                Some(json!({
                "dose": 1.0, "session_id": session, "slot": "09:00AM-11:00AM",
                "beneficiaries": [people[0]], "center_id": centre as f64})),
            )
            .await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        let id = booked.json["appointment_confirmation_no"]
            .as_str()
            .unwrap()
            .to_owned();
        let parsed = uuid::Uuid::parse_str(&id).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);

        let family = app
            .call(
                "GET",
                "/api/v2/appointment/beneficiaries",
                Some(&token),
                None,
            )
            .await;
        let listed = &family.json["beneficiaries"][0]["appointments"][0];
        assert_eq!(listed["appointment_id"], id.as_str());
        assert_eq!(
            family.json["beneficiaries"][0]["beneficiary_reference_id"],
            people[0].as_str()
        );

        // Another family's UUID is an unknown appointment, on every call that takes one.
        let slip_path = format!("/api/v2/appointment/appointmentslip/download?appointment_id={id}");
        let theirs = app.call("GET", &slip_path, Some(&other), None).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.json);
        let moved = app
            .call(
                "POST",
                "/api/v2/appointment/reschedule",
                Some(&other),
                Some(json!({
                "appointment_id": id, "session_id": session, "slot": "01:00PM-03:00PM"})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::NOT_FOUND, "{}", moved.json);
        let cancelled = app
            .call(
                "POST",
                "/api/v2/appointment/cancel",
                Some(&other),
                Some(json!({"appointment_id": id})),
            )
            .await;
        assert_eq!(
            cancelled.status,
            StatusCode::NOT_FOUND,
            "{}",
            cancelled.json
        );
        let garbage = app
            .call(
                "POST",
                "/api/v2/appointment/cancel",
                Some(&token),
                Some(json!({"appointment_id": "not-an-id"})),
            )
            .await;
        assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.json);

        // The family's own UUID works on each.
        let slip = app.call("GET", &slip_path, Some(&token), None).await;
        assert_eq!(slip.status, StatusCode::OK);
        let moved = app
            .call(
                "POST",
                "/api/v2/appointment/reschedule",
                Some(&token),
                Some(json!({
                "appointment_id": id, "session_id": session, "slot": "01:00PM-03:00PM"})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::NO_CONTENT, "{}", moved.json);
        let family = app
            .call(
                "GET",
                "/api/v2/appointment/beneficiaries",
                Some(&token),
                None,
            )
            .await;
        let listed = &family.json["beneficiaries"][0]["appointments"][0];
        assert_eq!(listed["slot"], "01:00PM-03:00PM");
        let id = listed["appointment_id"].as_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        let cancelled = app
            .call(
                "POST",
                "/api/v2/appointment/cancel",
                Some(&token),
                Some(json!({"appointment_id": id})),
            )
            .await;
        assert_eq!(
            cancelled.status,
            StatusCode::NO_CONTENT,
            "{}",
            cancelled.json
        );
        app.teardown().await;
    }
}
