//! The CoWIN v2 API over HTTP, checked against real v2 responses (`fixtures/cowin-v2/`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use axum::http::StatusCode;
use common::TestApp;
use sehat_store::testing::backends;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cowin-v2")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sha256_hex(code: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn states_and_districts_match_the_real_v2_responses() {
    let app = TestApp::sandbox("sqlite").await;
    let states = app
        .call("GET", "/api/v2/admin/location/states", None, None)
        .await;
    assert_eq!(states.status, StatusCode::OK, "public: no token needed");
    let sample = fixture("states_responses.json");
    assert_eq!(states.json["ttl"], sample["ttl"]);
    let ids = |v: &Value, list: &str, id: &str| {
        let mut ids: Vec<i64> = v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[id].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(
        ids(&states.json, "states", "state_id"),
        ids(&sample, "states", "state_id"),
        "the same 37 CoWIN state ids"
    );
    assert_eq!(
        states.json["states"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["state_id", "state_name"]
    );

    let districts = app
        .call("GET", "/api/v2/admin/location/districts/21", None, None)
        .await;
    let sample = fixture("districts_responses.json");
    assert_eq!(districts.json["ttl"], 24);
    assert_eq!(
        ids(&districts.json, "districts", "district_id"),
        ids(&sample, "districts", "district_id"),
        "Maharashtra's CoWIN district ids"
    );
    let name_of = |v: &Value, id: i64| {
        v["districts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["district_id"] == id)
            .unwrap()["district_name"]
            .as_str()
            .unwrap()
            .trim()
            .to_owned()
    };
    assert_eq!(name_of(&districts.json, 391), name_of(&sample, 391));
    assert_eq!(
        app.call("GET", "/api/v2/admin/location/districts/99", None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_v2_otp_logins_take_the_sha256_of_the_code() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        // Public: generateOTP → confirmOTP with sha256(code).
        let sent = app
            .call(
                "POST",
                "/api/v2/auth/public/generateOTP",
                None,
                Some(json!({"mobile": "9876543210"})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
        let code = sent.json["otp"].as_str().unwrap().to_owned();
        let wrong = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": sha256_hex("000000x"), "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(wrong.json["errorCode"], "USRAUT0002");
        let ok = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": sha256_hex(&code), "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.json);
        let token = ok.json["token"].as_str().unwrap();
        assert!(
            token.split('.').count() == 3,
            "a JWT, which clients decode to read exp"
        );
        // Protected: generateMobileOTP with the web app's secret → validateMobileOtp.
        app.clock.advance(time::Duration::seconds(31));
        let sent = app.call("POST", "/api/v2/auth/generateMobileOTP", None,
            Some(json!({"mobile": "9876543210", "secret": "U2FsdGVkX1+z/4Nr9nta+2DrVJSv7KS6VoQUSQ1ZXYDx/CJUkWxFYG6P3iM/VW+6jLQ9RDQVzp/RcZ8kbT41xw=="}))).await;
        let validated = app.call("POST", "/api/v2/auth/validateMobileOtp", None,
            Some(json!({"otp": sha256_hex(sent.json["otp"].as_str().unwrap()), "txnId": sent.json["txnId"]}))).await;
        assert_eq!(validated.json["isNewAccount"], true, "{}", validated.json);
        assert!(validated.json["token"].is_string());
        // After registering someone the account is no longer new.
        let guest = app.guest().await;
        app.call("POST", "/api/v1/registration/beneficiary/add", Some(&guest), Some(json!({"name": "Asha", "birth_year": "1980",
            "gender": "Female", "mobile_number": "9876543210", "photo_id_type": 4, "photo_id_number": "MNREGA900001", "consent": "Y"}))).await;
        app.clock.advance(time::Duration::seconds(31));
        let sent = app
            .call(
                "POST",
                "/api/v2/auth/generateMobileOTP",
                None,
                Some(json!({"mobile": "9876543210", "secret": "x"})),
            )
            .await;
        let validated = app.call("POST", "/api/v2/auth/validateMobileOtp", None,
            Some(json!({"otp": sha256_hex(sent.json["otp"].as_str().unwrap()), "txnId": sent.json["txnId"]}))).await;
        assert_eq!(validated.json["isNewAccount"], false);
        let linked = app
            .call(
                "GET",
                "/api/v1/appointment/linkedBeneficiaries",
                validated.json["token"].as_str(),
                None,
            )
            .await;
        assert_eq!(
            linked.json["beneficiaries"].as_array().unwrap().len(),
            1,
            "one core: the v2 token works on v1"
        );
        let no_secret = app
            .call(
                "POST",
                "/api/v2/auth/generateMobileOTP",
                None,
                Some(json!({"mobile": "9876543210"})),
            )
            .await;
        assert_eq!(
            (no_secret.status, no_secret.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("secret"))
        );
        let bad_otp = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": "not-a-hash", "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(bad_otp.json["field"], "otp");
        app.teardown().await;
    }
}

#[tokio::test]
async fn find_by_lat_long_lists_the_nearest_centres_first_in_the_sample_shape() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        // Three centres in Satara district at known points.
        for (name, lat, long) in [
            ("Near", 17.70, 74.16),
            ("Far", 17.90, 74.40),
            ("Middle", 17.75, 74.20),
        ] {
            let r = app.admin("POST", "/admin/v1/centers", Some(json!({"name": name, "district_id": 376, "pincode": "415501", "lat": lat, "long": long}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        }
        let reply = app
            .call(
                "GET",
                "/api/v2/appointment/centers/public/findByLatLong?lat=17.6983&long=74.1650",
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let names: Vec<&str> = reply.json["centers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Near", "Middle", "Far"]);
        let sample = fixture("centers_by_lat_long_responses.json");
        let shape = |c: &Value| -> Vec<(String, &'static str)> {
            let mut fields: Vec<(String, &'static str)> = c
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if v.is_number() {
                            "number"
                        } else if v.is_string() {
                            "string"
                        } else {
                            "other"
                        },
                    )
                })
                .collect();
            fields.sort();
            fields
        };
        assert_eq!(
            shape(&reply.json["centers"][0]),
            shape(&sample["centers"][0]),
            "names and JSON types as CoWIN's answer"
        );
        assert_eq!(reply.json["ttl"], sample["ttl"]);
        assert_eq!(reply.json["centers"][0]["lat"], "17.70000000");
        let outside = app
            .call(
                "GET",
                "/api/v2/appointment/centers/public/findByLatLong?lat=51.5&long=-0.1",
                None,
                None,
            )
            .await;
        assert_eq!(outside.status, StatusCode::BAD_REQUEST);
        let missing = app
            .call(
                "GET",
                "/api/v2/appointment/centers/public/findByLatLong?lat=17.7",
                None,
                None,
            )
            .await;
        assert_eq!(missing.json["field"], "long");
        app.teardown().await;
    }
}
