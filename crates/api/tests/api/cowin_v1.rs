//! The CoWIN v1 API (spec 000) over HTTP: every sample request of the spec replayed and its
//! answer checked field by field, the OTP rules, the booking rules, and booking under contention.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use sehat_store::testing::backends;
use serde_json::{Value, json};

/// The JSON type of each field, so responses can be compared with the spec's samples.
fn types(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), types(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().take(1).map(types).collect()),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

fn sample_registration(mobile: u64, aadhaar: &str) -> Value {
    // Spec 000's sample, with a valid Aadhaar number (the sample's 15 nines are not one).
    json!({ "name": "Apparao", "birth_year": "1980", "gender": "Male", "mobile_number": mobile,
            "photo_id_type": 1, "photo_id_number": aadhaar, "health_id_number": null, "state_id": null,
            "district_id": null, "block_id": null, "locality_id": null, "pincode": null, "address": "null",
            "consent": "Y" })
}

fn person(name: &str, mobile: &str, id_number: &str, birth_year: &str) -> Value {
    json!({ "name": name, "birth_year": birth_year, "gender": "Female", "mobile_number": mobile,
            "photo_id_type": 4, "photo_id_number": id_number, "consent": "Y" })
}

fn jwt_claims(token: &str) -> Value {
    use base64_like::decode;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&decode(payload)).unwrap()
}

/// A tiny base64url decoder for reading a JWT's claims in tests.
mod base64_like {
    pub fn decode(s: &str) -> Vec<u8> {
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0_u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in s.bytes().filter(|c| *c != b'=') {
            let v = table.iter().position(|t| *t == c).unwrap() as u32;
            bits = (bits << 6) | v;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
                bits &= (1 << n) - 1;
            }
        }
        out
    }
}

#[tokio::test]
async fn the_guest_token_is_a_bare_jwt_valid_for_15_minutes() {
    let app = TestApp::sandbox("sqlite").await;
    let token = app.guest().await;
    let claims = jwt_claims(&token);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["role"], "guest");
    let reply = app
        .call("GET", "/api/v1/admin/location/states", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    app.clock.advance(time::Duration::minutes(16));
    let expired = app
        .call("GET", "/api/v1/admin/location/states", Some(&token), None)
        .await;
    assert_eq!(
        (expired.status, expired.json["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Unauthenticated access!"))
    );
    let none = app
        .call("GET", "/api/v1/admin/location/states", None, None)
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let bad = app
        .call(
            "POST",
            "/api/v1/auth/guest/login",
            None,
            Some(json!({"user_name": ""})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("user_name"))
    );
    app.teardown().await;
}

#[tokio::test]
async fn otps_are_single_use_expire_and_allow_three_tries() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        // Spec sample: {"mobile": 9876543210} → {"otp": 123456, "txnId": "…"} (otp only in sandbox).
        let sent = app
            .call(
                "POST",
                "/api/v1/auth/confirmMobileOTP",
                None,
                Some(json!({"mobile": 9876543210_u64})),
            )
            .await;
        assert_eq!(
            types(&sent.json),
            json!({"otp": "number", "txnId": "string"})
        );
        let (otp, txn) = (
            sent.json["otp"].as_u64().unwrap(),
            sent.json["txnId"].as_str().unwrap().to_owned(),
        );
        let wrong = (otp + 1) % 1_000_000;
        for _ in 0..3 {
            let r = app
                .call(
                    "POST",
                    "/api/v1/auth/mobileOTP",
                    None,
                    Some(json!({"otp": wrong, "txnId": txn})),
                )
                .await;
            assert_eq!(
                (r.status, r.json["errorCode"].as_str()),
                (StatusCode::BAD_REQUEST, Some("USRAUT0002"))
            );
        }
        let capped = app
            .call(
                "POST",
                "/api/v1/auth/mobileOTP",
                None,
                Some(json!({"otp": otp, "txnId": txn})),
            )
            .await;
        assert_eq!(
            capped.json["errorCode"], "USRAUT0004",
            "the right OTP after three wrong tries is refused"
        );

        app.clock.advance(time::Duration::seconds(31));
        let sent = app
            .call(
                "POST",
                "/api/v1/auth/confirmMobileOTP",
                None,
                Some(json!({"mobile": "9876543210"})),
            )
            .await;
        let body = json!({"otp": sent.json["otp"], "txnId": sent.json["txnId"]});
        let ok = app
            .call("POST", "/api/v1/auth/mobileOTP", None, Some(body.clone()))
            .await;
        assert_eq!(types(&ok.json), json!({"token": "string"}));
        let reused = app
            .call("POST", "/api/v1/auth/mobileOTP", None, Some(body))
            .await;
        assert_eq!(reused.json["errorCode"], "USRAUT0003", "single use");

        app.clock.advance(time::Duration::seconds(31));
        let sent = app
            .call(
                "POST",
                "/api/v1/auth/confirmMobileOTP",
                None,
                Some(json!({"mobile": "9876543210"})),
            )
            .await;
        app.clock.advance(time::Duration::minutes(3));
        let late = app
            .call(
                "POST",
                "/api/v1/auth/mobileOTP",
                None,
                Some(json!({"otp": sent.json["otp"], "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(late.json["errorCode"], "USRAUT0003", "valid three minutes");
        app.teardown().await;
    }
}

#[tokio::test]
async fn otp_requests_are_throttled_per_mobile_and_answer_alike_for_unknown_mobiles() {
    let app = TestApp::sandbox("sqlite").await;
    let send = |m: &'static str| {
        app.call(
            "POST",
            "/api/v1/auth/confirmMobileOTP",
            None,
            Some(json!({"mobile": m})),
        )
    };
    let first = send("9123456780").await;
    assert_eq!(first.status, StatusCode::OK);
    let again = send("9123456780").await;
    assert_eq!(
        (again.status, again.json["errorCode"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("USRAUT0005"))
    );
    let wait: i64 = again
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    for _ in 0..4 {
        app.clock.advance(time::Duration::seconds(31));
        assert_eq!(send("9123456780").await.status, StatusCode::OK);
    }
    app.clock.advance(time::Duration::seconds(31));
    let hourly = send("9123456780").await;
    assert_eq!(hourly.status, StatusCode::TOO_MANY_REQUESTS, "five an hour");
    assert!(
        hourly
            .headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 60
    );
    // A registered mobile and an unknown one get answers of the same shape.
    let guest = app.guest().await;
    app.call(
        "POST",
        "/api/v1/registration/beneficiary/add",
        Some(&guest),
        Some(person("Asha", "9000000001", "MNREGA000001", "1990")),
    )
    .await;
    let known = send("9000000001").await;
    let unknown = send("9000000002").await;
    assert_eq!(
        (known.status, types(&known.json)),
        (unknown.status, types(&unknown.json))
    );
    let bad = app
        .call(
            "POST",
            "/api/v1/auth/confirmMobileOTP",
            None,
            Some(json!({"mobile": "12345"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("mobile"))
    );
    app.teardown().await;
}

#[tokio::test]
async fn registration_follows_the_spec_samples_and_rules() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let guest = app.guest().await;
        let add = |body: Value| {
            app.call(
                "POST",
                "/api/v1/registration/beneficiary/add",
                Some(&guest),
                Some(body),
            )
        };

        let sample = add(sample_registration(8796561403, "999999999999999")).await;
        assert_eq!(
            (sample.status, sample.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("photo_id_number")),
            "the sample's 15 nines are no Aadhaar number"
        );
        let added = add(sample_registration(8796561403, "234123412346")).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.json);
        assert_eq!(
            types(&added.json),
            json!({"offline_mode": "number", "beneficiary_reference_id": "number", "token": "string"})
        );
        assert_eq!(added.json["offline_mode"], 0);
        let reference = added.json["beneficiary_reference_id"].as_i64().unwrap();
        assert_eq!(reference.to_string().len(), 14);

        let again = add(sample_registration(9876501234, "234123412346")).await;
        assert_eq!(
            (again.status, again.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("USRRES0011")),
            "one photo ID, one person"
        );
        let mut refused = sample_registration(8796561403, "234123412346");
        refused["consent"] = json!("N");
        assert_eq!(add(refused).await.json["field"], "consent");
        let mut wrong_place = person("Ravi", "8796561403", "MNREGA0000099", "1990");
        wrong_place["district_id"] = json!(376);
        wrong_place["pincode"] = json!("110003");
        assert_eq!(add(wrong_place).await.json["field"], "pincode");
        let mut extra = person("Ravi", "8796561403", "MNREGA0000098", "1990");
        extra["status"] = json!("VACCINATED");
        assert_eq!(
            add(extra).await.status,
            StatusCode::BAD_REQUEST,
            "unknown fields are refused"
        );

        // The family: three more fit on the mobile, a fifth does not.
        for i in 2..=4 {
            let r = add(person(
                &format!("Member {i}"),
                "8796561403",
                &format!("MNREGA00000{i}"),
                "1995",
            ))
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        }
        let fifth = add(person("Member 5", "8796561403", "MNREGA000005", "1995")).await;
        assert_eq!(
            (fifth.status, fifth.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("USRRES0010"))
        );

        // The token from registration acts for that beneficiary only.
        let scoped = added.json["token"].as_str().unwrap();
        let linked = app
            .call(
                "GET",
                "/api/v1/appointment/linkedBeneficiaries",
                Some(scoped),
                None,
            )
            .await;
        assert_eq!(linked.json["beneficiaries"].as_array().unwrap().len(), 1);
        let family = app.family("8796561403").await;
        let linked = app
            .call(
                "GET",
                "/api/v1/appointment/linkedBeneficiaries",
                Some(&family),
                None,
            )
            .await;
        let list = linked.json["beneficiaries"].as_array().unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(
            types(&list[0]),
            json!({
                "beneficiary_reference_id": "number", "name": "string", "birth_year": "number", "gender": "string",
                "mobile_number": "string", "photo_id_type": "number", "photo_id_number": "string", "state_name": "string",
                "district_name": "string", "block_name": "string", "locality_name": "string", "pincode": "string", "address": "string"
            }),
            "as the spec's linkedBeneficiaries sample"
        );
        let apparao = list.iter().find(|b| b["name"] == "Apparao").unwrap();
        assert_eq!(
            (
                apparao["mobile_number"].as_str(),
                apparao["photo_id_number"].as_str()
            ),
            (Some("*****1403"), Some("*****2346"))
        );
        assert_eq!(
            apparao["address"], "",
            "the sample's \"null\" address is no address"
        );

        // Get: by query parameter and by JSON body (as the spec's sample sends it).
        let by_query = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={reference}"),
                Some(&family),
                None,
            )
            .await;
        let by_body = app
            .call(
                "GET",
                "/api/v1/registration/beneficiary",
                Some(&family),
                Some(json!({"beneficiary_reference_id": reference})),
            )
            .await;
        assert_eq!(by_query.status, StatusCode::OK, "{}", by_query.json);
        assert_eq!(by_query.json, by_body.json);
        assert_eq!(by_query.json["name"], "Apparao");

        // Update as the spec's sample does, with an address this time.
        let mut update = sample_registration(8796561403, "234123412346");
        update["beneficiary_reference_id"] = json!(reference);
        update["name"] = json!("Apparao11");
        update["birth_year"] = json!("1981");
        update["state_id"] = json!(21);
        update["district_id"] = json!(376);
        update["pincode"] = json!(415501);
        update["address"] = json!("C/o Pandurang Pawar");
        let updated = app
            .call(
                "POST",
                "/api/v1/registration/beneficiary/update",
                Some(&family),
                Some(update),
            )
            .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
        assert_eq!(
            types(&updated.json),
            json!({"offline_mode": "number", "beneficiary_reference_id": "number", "token": "string"})
        );
        let got = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={reference}"),
                Some(&family),
                None,
            )
            .await;
        assert_eq!(
            (got.json["name"].as_str(), got.json["birth_year"].as_i64()),
            (Some("Apparao11"), Some(1981))
        );
        assert_eq!(
            (
                got.json["state_name"].as_str(),
                got.json["district_name"].as_str(),
                got.json["pincode"].as_i64()
            ),
            (Some("Maharashtra"), Some("Satara"), Some(415501))
        );

        // Another family's token sees nothing of this one.
        let stranger = app.family("9999988888").await;
        let other = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={reference}"),
                Some(&stranger),
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let guest_read = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={reference}"),
                Some(&guest),
                None,
            )
            .await;
        assert_eq!(
            guest_read.status,
            StatusCode::UNAUTHORIZED,
            "a guest token does not read beneficiaries"
        );

        let deleted = app
            .call(
                "POST",
                "/api/v1/registration/beneficiary/delete",
                Some(&family),
                Some(json!({"beneficiary_reference_id": reference})),
            )
            .await;
        assert_eq!(
            (deleted.status, deleted.json.as_str()),
            (StatusCode::OK, Some("Deleted Succssesfully"))
        );
        let gone = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={reference}"),
                Some(&family),
                None,
            )
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(
            add(person("Member 5", "8796561403", "MNREGA000005", "1995"))
                .await
                .status,
            StatusCode::OK,
            "a place freed up"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn confirm_mobile_dob_gives_a_token_only_for_matching_details() {
    let app = TestApp::sandbox("sqlite").await;
    let guest = app.guest().await;
    let added = app
        .call(
            "POST",
            "/api/v1/registration/beneficiary/add",
            Some(&guest),
            Some(person("Asha", "9871234567", "MNREGA000011", "1980")),
        )
        .await;
    let reference = added.json["beneficiary_reference_id"].clone();
    let ok = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": reference, "mobile": 9871234567_u64, "birth_year": 1980}))).await;
    assert_eq!(types(&ok.json), json!({"token": "string"}));
    for (mobile, year) in [(9871234568_u64, 1980), (9871234567, 1981)] {
        let r = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": reference, "mobile": mobile, "birth_year": year}))).await;
        assert_eq!(
            (r.status, r.json["errorCode"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("USRAUT0006"))
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn reference_data_answers_in_the_spec_shapes() {
    let app = TestApp::sandbox("sqlite").await;
    let guest = app.guest().await;
    let get = |uri: &'static str| app.call("GET", uri, Some(&guest), None);
    let id_types = get("/api/v1/registration/beneficiary/getBeneficiaryIdType")
        .await
        .json;
    assert_eq!(id_types.as_array().unwrap().len(), 13);
    assert_eq!(
        id_types[0],
        json!({"type": "Aadhaar Card", "id": 1, "doc_type": null})
    );
    assert_eq!(
        id_types[1],
        json!({"type": "Driving License", "id": 2, "doc_type": "DRVLC"})
    );
    assert_eq!(
        id_types[12],
        json!({"type": "Others(Local Authority)", "id": 13, "doc_type": null})
    );
    assert_eq!(
        get("/api/v1/registration/beneficiary/getBeneficiaryIDType")
            .await
            .json,
        id_types
    );
    assert_eq!(
        get("/api/v1/registration/beneficiary/getGender").await.json,
        json!([{"gender": "Male", "id": 1}, {"gender": "Female", "id": 2}, {"gender": "Others", "id": 3}])
    );
    let states = get("/api/v1/admin/location/states").await.json;
    assert_eq!(states.as_array().unwrap().len(), 37);
    assert!(
        states
            .as_array()
            .unwrap()
            .contains(&json!({"state_id": 2, "state_name": "Andhra Pradesh"}))
    );
    let districts = get("/api/v1/admin/location/districts/21").await.json;
    assert!(
        districts
            .as_array()
            .unwrap()
            .contains(&json!({"district_id": 391, "district_name": "Ahmednagar"}))
    );
    assert!(
        districts
            .as_array()
            .unwrap()
            .contains(&json!({"district_id": 364, "district_name": "Akola"}))
    );
    let blocks = get("/api/v1/admin/location/blocks/376").await.json;
    assert_eq!(
        types(&blocks),
        json!([{"block_id": "number", "block_name": "string"}])
    );
    let localities = get("/api/v1/admin/location/getLocalitybyPincode/415501")
        .await
        .json;
    assert_eq!(
        types(&localities),
        json!([{"locality_id": "number", "office_name": "null", "locality_name": "string", "pincode": "number"}])
    );
    assert_eq!(
        get("/api/api/v1/admin/location/getLocalitybyPincode/415501")
            .await
            .json,
        localities,
        "the spec's doubled path"
    );
    assert_eq!(
        get("/api/v1/admin/location/districts/999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/api/v1/admin/location/getLocalitybyPincode/1234")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    app.teardown().await;
}

#[tokio::test]
async fn centres_and_timeslots_answer_in_the_spec_shapes() {
    let app = TestApp::sandbox("sqlite").await;
    let (centre, slots) = app
        .centre_with_slots(
            "District General Hospital",
            18,
            &[("Morning", "9AM-11AM", 5), ("Afternoon", "1PM-3PM", 7)],
        )
        .await;
    let guest = app.guest().await;
    let by_pin = app
        .call(
            "GET",
            "/api/v1/appointment/centers/findByPin?pin=415501",
            Some(&guest),
            None,
        )
        .await;
    let item = &by_pin.json["centers"][0];
    assert_eq!(
        types(item),
        json!({
            "center_id": "string", "name": "string", "center_incharge": "string", "mobile": "string", "district": "string",
            "state": "string", "location": "string", "pin": "string", "block": "string", "vtc": "string", "area": "string",
            "timings": "string", "vaccine_type": "string", "daily_capacity": "string", "centre_type": "string", "expiry_date": "string"
        }),
        "as the spec's findByPin sample"
    );
    assert_eq!(
        (
            item["center_id"].as_str(),
            item["pin"].as_str(),
            item["timings"].as_str()
        ),
        (
            Some(centre.to_string().as_str()),
            Some("415501"),
            Some("9AM-3PM")
        )
    );
    assert_eq!(
        (
            item["daily_capacity"].as_str(),
            item["expiry_date"].as_str(),
            item["vaccine_type"].as_str()
        ),
        (Some("12"), Some("02-03-2026"), Some("COVISHIELD"))
    );
    let block = item["block"].as_str().unwrap().to_owned();
    let blocks = app
        .call(
            "GET",
            "/api/v1/admin/location/blocks/376",
            Some(&guest),
            None,
        )
        .await
        .json;
    let block_id = blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_name"] == block.as_str())
        .unwrap()["block_id"]
        .as_i64()
        .unwrap();
    for uri in [
        format!("/api/v1/appointment/centers/findbyBlock?block_id={block_id}"),
        "/api/v1/appointment/centers/findbyDistrict?district_id=376".to_owned(),
        "/api/v1/appointment/centers/findByDistrict?district_id=376".to_owned(),
    ] {
        let r = app.call("GET", &uri, Some(&guest), None).await;
        assert_eq!(
            r.json["centers"][0]["center_id"], item["center_id"],
            "{uri}"
        );
    }
    let slots_reply = app.call("GET", &format!("/api/v1/appointment/timeslots/findByCenter?center_id={centre}&from=01-03-2026&to=31-03-2026"), Some(&guest), None).await;
    assert_eq!(
        slots_reply.json,
        json!({"center_id": centre.to_string(), "timeslots": [
            {"date": "02-03-2026", "slot_id": slots[0].to_string(), "slot_name": "Morning", "timings": "9AM-11AM", "available_capacity": "5"},
            {"date": "02-03-2026", "slot_id": slots[1].to_string(), "slot_name": "Afternoon", "timings": "1PM-3PM", "available_capacity": "7"}
        ]})
    );
    let backwards = app.call("GET", &format!("/api/v1/appointment/timeslots/findByCenter?center_id={centre}&from=01-03-2021&to=31-01-2021"), Some(&guest), None).await;
    assert_eq!(
        (backwards.status, backwards.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to"))
    );
    app.teardown().await;
}

#[tokio::test]
async fn scheduling_rescheduling_and_cancelling_follow_the_samples_and_the_rules() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, slots) = app
            .centre_with_slots(
                "District General Hospital",
                18,
                &[("Morning", "9AM-11AM", 2), ("Afternoon", "1PM-3PM", 3)],
            )
            .await;
        let guest = app.guest().await;
        let mut family = Vec::new();
        for (i, year) in [(1, "1980"), (2, "1985"), (3, "2015")] {
            let r = app
                .call(
                    "POST",
                    "/api/v1/registration/beneficiary/add",
                    Some(&guest),
                    Some(person(
                        &format!("Pawar {i}"),
                        "8796561403",
                        &format!("MNREGA10000{i}"),
                        year,
                    )),
                )
                .await;
            family.push(r.json["beneficiary_reference_id"].as_i64().unwrap());
        }
        let token = app.family("8796561403").await;
        let schedule = |body: Value| {
            app.call(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(body),
            )
        };

        let child = schedule(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [family[2]]})).await;
        assert_eq!(
            (child.status, child.json["errorCode"].as_str()),
            (StatusCode::BAD_REQUEST, Some("APPOIN0043")),
            "18+ session"
        );
        let wrong_date = schedule(json!({"center_id": centre, "date": "03-03-2026", "slot_id": slots[0], "beneficiaries": [family[0]]})).await;
        assert_eq!(wrong_date.json["errorCode"], "APPOIN0046");

        // Spec sample shape: {"center_id","date","slot_id","beneficiaries"} → {"appointment_confirmation_no"}.
        let booked = schedule(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [family[0], family[1]]})).await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        assert_eq!(
            types(&booked.json),
            json!({"appointment_confirmation_no": "number"})
        );
        let number = booked.json["appointment_confirmation_no"].as_i64().unwrap();
        let twice = schedule(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [family[0]]})).await;
        assert_eq!(
            twice.json["errorCode"], "APPOIN0045",
            "one active appointment per dose"
        );

        let list = app
            .call("GET", "/api/v1/appointment", Some(&token), None)
            .await;
        let a = &list.json["appointments"][0];
        assert_eq!(
            a["appointment"],
            json!({"appointment_confirmation_no": number, "date": "02-03-2026", "slot_id": slots[0],
            "slot_name": "Morning", "timings": "9AM-11AM", "status": "ACTIVE"})
        );
        assert_eq!(
            types(&a["center"]),
            json!({"center_id": "number", "name": "string", "center_incharge": "string", "mobile": "number",
            "state_name": "string", "district_name": "string", "block_name": "string", "vtc": "string", "location": "string",
            "pincode": "number", "area": "string", "timings": "string", "vaccine_type": "string", "daily_capacity": "string",
            "centre_type": "string", "expiry_date": "string"}),
            "as the spec's appointment sample"
        );
        assert_eq!(a["beneficiaries"].as_array().unwrap().len(), 2);

        // The slot is full now.
        let stranger = app.family("9000000009").await;
        let r = app
            .call(
                "POST",
                "/api/v1/registration/beneficiary/add",
                Some(&guest),
                Some(person("Other", "9000000009", "MNREGA200001", "1970")),
            )
            .await;
        let other = r.json["beneficiary_reference_id"].as_i64().unwrap();
        let full = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&stranger),
            Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [other]}))).await;
        assert_eq!(
            (full.status, full.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("APPOIN0040"))
        );
        let not_mine = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&stranger),
            Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [family[0]]}))).await;
        assert_eq!(
            not_mine.status,
            StatusCode::NOT_FOUND,
            "another family's beneficiary"
        );
        let guest_booking = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&guest),
            Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [other]}))).await;
        assert_eq!(
            guest_booking.status,
            StatusCode::UNAUTHORIZED,
            "appointments need a beneficiary token"
        );

        // Reschedule (the sample's beneficiaries inside the body): same number, seats moved.
        let moved = app.call("POST", "/api/v1/appointment/rescheduleAppointment", Some(&token), Some(json!({
            "appointment_confirmation_no": number, "center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [family[0], family[1]]}))).await;
        assert_eq!(moved.json, json!({"appointment_confirmation_no": number}));
        async fn avail(app: &TestApp, centre: i64, guest: &str) -> Vec<String> {
            let uri = format!(
                "/api/v1/appointment/timeslots/findByCenter?center_id={centre}&from=02-03-2026&to=02-03-2026"
            );
            let r = app.call("GET", &uri, Some(guest), None).await;
            r.json["timeslots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["available_capacity"].as_str().unwrap().to_owned())
                .collect()
        }
        assert_eq!(avail(&app, centre, &guest).await, vec!["2", "1"]);

        // Cancel one, then the same again: the seat returns once.
        for _ in 0..2 {
            let c = app.call("POST", "/api/v1/appointment/cancel", Some(&token), Some(json!({"appointment_confirmation_no": number, "beneficiaries": [family[1]]}))).await;
            assert_eq!(c.status, StatusCode::NO_CONTENT);
        }
        assert_eq!(avail(&app, centre, &guest).await, vec!["2", "2"]);
        let c = app
            .call(
                "POST",
                "/api/v1/appointment/cancel",
                Some(&stranger),
                Some(json!({"appointment_confirmation_no": number})),
            )
            .await;
        assert_eq!(
            c.status,
            StatusCode::NOT_FOUND,
            "another family's appointment"
        );
        let c = app
            .call(
                "POST",
                "/api/v1/appointment/cancel",
                Some(&token),
                Some(json!({"appointment_confirmation_no": number})),
            )
            .await;
        assert_eq!(c.status, StatusCode::NO_CONTENT);
        assert_eq!(avail(&app, centre, &guest).await, vec!["2", "3"]);
        let list = app
            .call("GET", "/api/v1/appointment", Some(&token), None)
            .await;
        assert_eq!(
            list.json["appointments"][0]["appointment"]["status"],
            "CANCELLED"
        );

        // Idempotency: the same key and body get the first answer; another body is refused.
        let body = json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [family[0]]});
        let key = [("Idempotency-Key", "retry-123")];
        let first = app
            .call_with(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(body.clone()),
                &key,
            )
            .await;
        let retry = app
            .call_with(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(body),
                &key,
            )
            .await;
        assert_eq!((first.status, &first.json), (retry.status, &retry.json));
        let other_body = json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [family[0]]});
        let mismatch = app
            .call_with(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(other_body),
                &key,
            )
            .await;
        assert_eq!(
            (mismatch.status, mismatch.json["errorCode"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("APPOIN0047"))
        );
        let refused_key = [("Idempotency-Key", "full-1")];
        let full_body = json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [family[1], family[0]]});
        let a = app
            .call_with(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(full_body.clone()),
                &refused_key,
            )
            .await;
        let b = app
            .call_with(
                "POST",
                "/api/v1/appointment/scheduleAppointment",
                Some(&token),
                Some(full_body),
                &refused_key,
            )
            .await;
        assert_eq!(
            (a.status, &a.json),
            (b.status, &b.json),
            "a refusal is replayed too"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn an_otp_passed_on_as_the_echoed_number_or_its_digits_is_accepted() {
    // The sandbox echoes the OTP as a number, which drops a leading 0; clients pass it on either
    // as that number or as its digits. Twenty codes make a leading zero near certain (88%).
    let app = TestApp::sandbox("sqlite").await;
    for i in 0..20_u64 {
        let mobile = format!("98{:08}", i);
        let sent = app
            .call(
                "POST",
                "/api/v1/auth/confirmMobileOTP",
                None,
                Some(json!({"mobile": mobile})),
            )
            .await;
        let number = sent.json["otp"].as_u64().unwrap();
        let otp = if i % 2 == 0 {
            json!(number)
        } else {
            json!(number.to_string())
        };
        let ok = app
            .call(
                "POST",
                "/api/v1/auth/mobileOTP",
                None,
                Some(json!({"otp": otp, "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{otp}: {}", ok.json);
    }
    app.teardown().await;
}

#[tokio::test]
async fn with_http_delivery_the_otp_goes_to_the_sms_gateway_and_not_into_the_response() {
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let gateway = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                "queued"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });

    let config = sehat_api::ApiConfig {
        otp_delivery: sehat_api::notify::OtpDelivery::Http,
        ..sehat_api::ApiConfig::default()
    };
    let app = TestApp::with_notifier(
        "sqlite",
        config,
        Arc::new(sehat_api::notify::HttpNotifier::new(url)),
    )
    .await;
    let sent = app
        .call(
            "POST",
            "/api/v1/auth/confirmMobileOTP",
            None,
            Some(json!({"mobile": "9876543210"})),
        )
        .await;
    assert_eq!(
        types(&sent.json),
        json!({"txnId": "string"}),
        "no OTP in the response"
    );
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["mobile"], "9876543210");
    let text = messages[0]["message"].as_str().unwrap();
    let code: String = text.chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    let ok = app
        .call(
            "POST",
            "/api/v1/auth/mobileOTP",
            None,
            Some(json!({"otp": code, "txnId": sent.json["txnId"]})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "the code from the SMS logs in");
    app.teardown().await;
}

#[tokio::test]
async fn weak_credentials_give_a_token_for_one_person_and_are_capped() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let guest = app.guest().await;
        let add = |body: Value| {
            app.call(
                "POST",
                "/api/v1/registration/beneficiary/add",
                Some(&guest),
                Some(body),
            )
        };
        let real = add(person("Asha", "9871234567", "MNREGA300001", "1980"))
            .await
            .json["beneficiary_reference_id"]
            .clone();
        // Anyone can register someone under any mobile; that must not open the family.
        let fake = add(person("Mallory", "9871234567", "MNREGA300002", "1990"))
            .await
            .json["beneficiary_reference_id"]
            .clone();
        let token = app.call("POST", "/api/v1/auth/confirmMobileDob", None,
            Some(json!({"beneficiary_reference_id": fake, "mobile": "9871234567", "birth_year": 1990}))).await.json["token"].as_str().unwrap().to_owned();
        let linked = app
            .call(
                "GET",
                "/api/v1/appointment/linkedBeneficiaries",
                Some(&token),
                None,
            )
            .await;
        let names: Vec<&str> = linked.json["beneficiaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Mallory"]);
        let other = app
            .call(
                "GET",
                &format!("/api/v1/registration/beneficiary?beneficiary_reference_id={real}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        // Guessing the year of birth is capped at 5 tries an hour per reference id.
        for year in 1950..1954 {
            let r = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": real, "mobile": "9871234567", "birth_year": year}))).await;
            assert_eq!(r.json["errorCode"], "USRAUT0006");
        }
        let ok = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": real, "mobile": "9871234567", "birth_year": 1980}))).await;
        assert_eq!(ok.status, StatusCode::OK, "the fifth try still counts");
        let capped = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": real, "mobile": "9871234567", "birth_year": 1980}))).await;
        assert_eq!(
            (capped.status, capped.json["errorCode"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("USRAUT0007"))
        );
        assert!(capped.headers.get("retry-after").is_some());
        app.clock.advance(time::Duration::minutes(61));
        let later = app.call("POST", "/api/v1/auth/confirmMobileDob", None, Some(json!({"beneficiary_reference_id": real, "mobile": "9871234567", "birth_year": 1980}))).await;
        assert_eq!(later.status, StatusCode::OK, "a new window");
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_token_for_one_person_books_moves_and_cancels_that_person_only() {
    let app = TestApp::sandbox("sqlite").await;
    let (centre, slots) = app
        .centre_with_slots(
            "PHC",
            18,
            &[("Morning", "9AM-11AM", 5), ("Afternoon", "1PM-3PM", 5)],
        )
        .await;
    let guest = app.guest().await;
    let added = app
        .call(
            "POST",
            "/api/v1/registration/beneficiary/add",
            Some(&guest),
            Some(person("Asha", "9871234567", "MNREGA400001", "1980")),
        )
        .await;
    let (me, mine) = (
        added.json["beneficiary_reference_id"].as_i64().unwrap(),
        added.json["token"].as_str().unwrap().to_owned(),
    );
    let sister = app
        .call(
            "POST",
            "/api/v1/registration/beneficiary/add",
            Some(&guest),
            Some(person("Usha", "9871234567", "MNREGA400002", "1982")),
        )
        .await;
    let family = app.family("9871234567").await;
    let theirs = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&family),
        Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [sister.json["beneficiary_reference_id"]]}))).await;
    let booked = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&mine),
        Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [me]}))).await;
    let number = booked.json["appointment_confirmation_no"].as_i64().unwrap();
    let moved = app.call("POST", "/api/v1/appointment/rescheduleAppointment", Some(&mine),
        Some(json!({"appointment_confirmation_no": number, "center_id": centre, "date": "02-03-2026", "slot_id": slots[1], "beneficiaries": [me]}))).await;
    assert_eq!(moved.json, json!({"appointment_confirmation_no": number}));
    let other_number = theirs.json["appointment_confirmation_no"].clone();
    for (uri, body) in [
        (
            "/api/v1/appointment/cancel",
            json!({"appointment_confirmation_no": other_number}),
        ),
        (
            "/api/v1/appointment/rescheduleAppointment",
            json!({"appointment_confirmation_no": other_number, "center_id": centre, "date": "02-03-2026", "slot_id": slots[1]}),
        ),
    ] {
        let r = app.call("POST", uri, Some(&mine), Some(body)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{uri}: the sister's appointment is not this token's: {}",
            r.json
        );
    }
    let years = app.call("POST", "/api/v1/registration/beneficiary/update", Some(&mine), Some(json!({"beneficiary_reference_id": me,
        "name": "Asha", "birth_year": "2015", "gender": "Female", "mobile_number": "9871234567", "photo_id_type": 4, "photo_id_number": "MNREGA400001", "consent": "Y"}))).await;
    assert_eq!(
        (years.status, years.json["errorCode"].as_str()),
        (StatusCode::CONFLICT, Some("USRRES0012")),
        "no age change under a booking"
    );
    let cancel = app
        .call(
            "POST",
            "/api/v1/appointment/cancel",
            Some(&mine),
            Some(json!({"appointment_confirmation_no": number})),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT);
    let unknown = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(&family), Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [me], "status": "x"}))).await;
    assert_eq!(unknown.json["field"], "status");
    let missing = app
        .call(
            "POST",
            "/api/v1/appointment/scheduleAppointment",
            Some(&family),
            Some(json!({"center_id": centre, "date": "02-03-2026", "beneficiaries": [me]})),
        )
        .await;
    assert_eq!(missing.json["field"], "slot_id");
    // Slots that are over are not offered: at 10:00 IST on the day, the 9–11 slot remains, at 11:30 it is gone.
    app.clock.advance(time::Duration::hours(24));
    let guest = app.guest().await;
    let uri = format!(
        "/api/v1/appointment/timeslots/findByCenter?center_id={centre}&from=01-03-2026&to=02-03-2026"
    );
    assert_eq!(
        app.call("GET", &uri, Some(&guest), None).await.json["timeslots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.clock.advance(time::Duration::minutes(90));
    let guest = app.guest().await;
    let left = app.call("GET", &uri, Some(&guest), None).await.json;
    assert_eq!(left["timeslots"].as_array().unwrap().len(), 1, "{left}");
    app.teardown().await;
}
