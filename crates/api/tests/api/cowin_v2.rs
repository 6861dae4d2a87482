//! The CoWIN v2 API over HTTP, checked against real v2 responses (`fixtures/cowin-v2/`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, sha256_hex};
use sehat_store::testing::backends;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cowin-v2")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
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
        assert_eq!(validated.json["isNewAccount"], "Y", "{}", validated.json);
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
        assert_eq!(validated.json["isNewAccount"], "N");
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

/// The names and JSON types of an object's fields, sorted.
fn shape(v: &Value) -> Vec<(String, &'static str)> {
    let mut fields: Vec<(String, &'static str)> = v
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let kind = match v {
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Bool(_) => "bool",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::Null => "null",
            };
            (k.clone(), kind)
        })
        .collect();
    fields.sort();
    fields
}

/// Two centres in pincode 415501 (Satara, district 376): a paid one with two slots and a
/// dose-1 share of 60 of 100 seats, and a free one for ages 18–44, both on 2–3 March 2026.
async fn two_centres(app: &TestApp) -> (i64, i64) {
    let mut ids = Vec::new();
    for (name, fee_type) in [("Paid Hospital", "Paid"), ("Free PHC", "Free")] {
        let r = app
            .admin(
                "POST",
                "/admin/v1/centers",
                Some(
                    json!({"name": name, "district_id": 376, "pincode": "415501",
            "lat": 17.70, "long": 74.16, "fee_type": fee_type, "vaccines": ["COVISHIELD"]}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        ids.push(r.json["center_id"].as_i64().unwrap());
    }
    let paid = json!({"from": "2026-03-02", "to": "2026-03-03", "vaccine": "COVISHIELD", "min_age": 18,
        "capacity_online": 100, "capacity_dose1": 60, "fee": 780,
        "slots": [{"timings": "09:30AM-11:30AM"}, {"timings": "12:30PM-04:00PM"}]});
    let free = json!({"from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "min_age": 18, "max_age": 44,
        "capacity_online": 30, "slots": [{"timings": "10AM-1PM"}]});
    for (id, plan) in [(ids[0], paid), (ids[1], free)] {
        let r = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{id}/sessions"),
                Some(plan),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    }
    (ids[0], ids[1])
}

fn assert_doses_add_up(session: &Value) {
    let n = |k: &str| {
        session[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} is a number: {session}"))
    };
    assert_eq!(
        n("available_capacity"),
        n("available_capacity_dose1") + n("available_capacity_dose2"),
        "{session}"
    );
}

#[tokio::test]
async fn calendars_and_day_lists_have_the_real_v2_shapes_and_doses_that_add_up() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (paid, free) = two_centres(&app).await;
        let sample = fixture("availability_by_pincode_responses.json");

        let by_pin = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/public/calendarByPin?pincode=415501&date=02-03-2026",
                None,
                None,
            )
            .await;
        assert_eq!(by_pin.status, StatusCode::OK, "{}", by_pin.json);
        let centers = by_pin.json["centers"].as_array().unwrap();
        assert_eq!(centers.len(), 2);
        let (ours_paid, ours_free) = (&centers[0], &centers[1]);
        assert_eq!(ours_paid["center_id"], paid);
        assert_eq!(ours_free["center_id"], free);
        // Centre fields: the sample's paid centre, field for field (names and JSON types).
        let without_lists = |c: &Value| {
            shape(c)
                .into_iter()
                .filter(|(k, _)| k != "sessions" && k != "vaccine_fees")
                .collect::<Vec<_>>()
        };
        assert_eq!(
            without_lists(ours_paid),
            without_lists(&sample["centers"][0])
        );
        assert_eq!(
            shape(ours_paid).len(),
            shape(&sample["centers"][0]).len(),
            "sessions and vaccine_fees too"
        );
        assert_eq!(
            ours_paid["vaccine_fees"],
            json!([{"vaccine": "COVISHIELD", "fee": "780"}])
        );
        assert_eq!(
            shape(&ours_paid["vaccine_fees"][0]),
            shape(&sample["centers"][0]["vaccine_fees"][0])
        );
        assert!(
            ours_free.get("vaccine_fees").is_none(),
            "free centres list no fees"
        );
        assert_eq!(
            (ours_paid["from"].as_str(), ours_paid["to"].as_str()),
            (Some("09:30:00"), Some("16:00:00"))
        );
        // Sessions: as the sample's, with max_age_limit only where there is an upper limit.
        let sessions = ours_paid["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "two days of the 7");
        assert_eq!(
            shape(&sessions[0]),
            shape(&sample["centers"][0]["sessions"][0])
        );
        assert_eq!(
            shape(&ours_free["sessions"][0]),
            shape(&sample["centers"][2]["sessions"][1])
        );
        assert_eq!(ours_free["sessions"][0]["max_age_limit"], 44);
        assert_eq!(ours_free["sessions"][0]["allow_all_age"], false);
        assert_eq!(sessions[0]["allow_all_age"], true);
        assert_eq!(sessions[0]["date"], "02-03-2026");
        assert_eq!(
            sessions[0]["slots"],
            json!(["09:30AM-11:30AM", "12:30PM-04:00PM"])
        );
        assert_eq!(
            (
                sessions[0]["available_capacity"].as_u64(),
                sessions[0]["available_capacity_dose1"].as_u64()
            ),
            (Some(100), Some(60))
        );
        assert!(uuid::Uuid::parse_str(sessions[0]["session_id"].as_str().unwrap()).is_ok());
        for c in centers {
            for s in c["sessions"].as_array().unwrap() {
                assert_doses_add_up(s);
            }
        }

        // The district calendar: every field the district sample has, with the same types.
        let by_district = app
            .call("GET", "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=376&date=02-03-2026", None, None)
            .await;
        assert_eq!(by_district.status, StatusCode::OK);
        let district_sample = fixture("availability_by_district_responses.json");
        let ours = shape(&by_district.json["centers"][0]);
        for field in shape(&district_sample["centers"][0]) {
            assert!(ours.contains(&field), "{field:?} as in the district sample");
        }
        let ours = shape(&by_district.json["centers"][0]["sessions"][0]);
        for field in shape(&district_sample["centers"][0]["sessions"][0]) {
            assert!(ours.contains(&field), "{field:?} as in the district sample");
        }
        assert_eq!(by_district.json, by_pin.json, "the same two centres");

        // A day's flat list: centre fields, session fields and the fee.
        let day = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/public/findByPin?pincode=415501&date=03-03-2026",
                None,
                None,
            )
            .await;
        assert_eq!(day.status, StatusCode::OK);
        let flat = day.json["sessions"].as_array().unwrap();
        assert_eq!(
            flat.len(),
            1,
            "only the paid centre has a session on the 3rd"
        );
        let mut expected: Vec<(String, &str)> = without_lists(ours_paid);
        expected.extend(shape(&sessions[1]));
        expected.push(("fee".into(), "string"));
        expected.sort();
        assert_eq!(shape(&flat[0]), expected);
        assert_eq!(flat[0]["fee"], "780");
        assert_doses_add_up(&flat[0]);
        let by_district_day = app
            .call("GET", "/api/v2/appointment/sessions/public/findByDistrict?district_id=376&date=02-03-2026", None, None)
            .await;
        assert_eq!(
            by_district_day.json["sessions"].as_array().unwrap().len(),
            2
        );
        assert_eq!(by_district_day.json["sessions"][1]["fee"], "0");

        // One centre: an object, `{}` for a centre with nothing to offer that week, 404 for a
        // centre that does not exist.
        let one = app
            .call("GET", &format!("/api/v2/appointment/sessions/public/calendarByCenter?center_id={paid}&date=02-03-2026"), None, None)
            .await;
        assert_eq!(one.json["centers"], by_pin.json["centers"][0]);
        let nothing = app
            .call("GET", &format!("/api/v2/appointment/sessions/public/calendarByCenter?center_id={paid}&date=02-06-2026"), None, None)
            .await;
        assert_eq!(
            (nothing.status, &nothing.json),
            (StatusCode::OK, &json!({"centers": {}}))
        );
        let unknown = app
            .call("GET", "/api/v2/appointment/sessions/public/calendarByCenter?center_id=999999&date=02-03-2026", None, None)
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.json["errorCode"], "SEHAT0404");
        let vaccine = app
            .call("GET", "/api/v2/appointment/sessions/public/calendarByPin?pincode=415501&date=02-03-2026&vaccine=COVAXIN", None, None)
            .await;
        assert_eq!(vaccine.json, json!({"centers": []}));

        // Bad input: the CoWIN-family error body, nothing else.
        for uri in [
            "/api/v2/appointment/sessions/public/calendarByPin?pincode=415501&date=2026-03-02",
            "/api/v2/appointment/sessions/public/calendarByPin?pincode=0415&date=02-03-2026",
            "/api/v2/appointment/sessions/public/findByDistrict?date=02-03-2026",
        ] {
            let bad = app.call("GET", uri, None, None).await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{uri}");
            assert!(
                bad.json["errorCode"].is_string() && bad.json["error"].is_string(),
                "{uri}: {}",
                bad.json
            );
        }
        // The protected searches need the token.
        let protected = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/calendarByPin?pincode=415501&date=02-03-2026",
                None,
                None,
            )
            .await;
        assert_eq!(protected.status, StatusCode::UNAUTHORIZED);
        let token = app.family("9876543210").await;
        let protected = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/calendarByPin?pincode=415501&date=02-03-2026",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(protected.json, by_pin.json);
        app.teardown().await;
    }
}

#[tokio::test]
async fn searches_say_how_fresh_they_are_and_a_booking_shows_in_the_next_one() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (_, slots) = app
            .centre_with_slots("UPHC Fresh", 18, &[("Morning", "9AM-11AM", 10)])
            .await;
        let uri = "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=376&date=02-03-2026";
        let first = app.call("GET", uri, None, None).await;
        let etag = first.headers["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.len() > 10,
            "a strong ETag: {etag}"
        );
        assert_eq!(first.headers["cache-control"], "no-cache");
        let again = app
            .call_with("GET", uri, None, None, &[("if-none-match", &etag)])
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers["etag"].to_str().unwrap(), etag);

        // The sessions changed before the test clock's current second: Last-Modified is given,
        // and If-Modified-Since with it is answered 304.
        app.clock.advance(time::Duration::seconds(2));
        let dated = app.call("GET", uri, None, None).await;
        let last_modified = dated.headers["last-modified"].to_str().unwrap().to_owned();
        let since = app
            .call_with(
                "GET",
                uri,
                None,
                None,
                &[("if-modified-since", &last_modified)],
            )
            .await;
        assert_eq!(since.status, StatusCode::NOT_MODIFIED);

        // Book one seat: the next search shows it, with a new ETag (no stale cache).
        let token = app.family("9876543210").await;
        let person = json!({"name": "Asha Patil", "birth_year": "1985", "gender_id": 2, "photo_id_type": 1,
            "photo_id_number": "234123412346", "comorbidity_ind": "N", "consent_version": "V1"});
        let registered = app
            .call(
                "POST",
                "/api/v2/registration/beneficiary/new",
                Some(&token),
                Some(person),
            )
            .await;
        assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
        let session_id = first.json["centers"][0]["sessions"][0]["session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let booked = app
            .call(
                "POST",
                "/api/v2/appointment/schedule",
                Some(&token),
                Some(json!({
            "dose": 1, "session_id": session_id, "slot": "09:00AM-11:00AM",
            "beneficiaries": [registered.json["beneficiary_reference_id"]]})),
            )
            .await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        let after = app
            .call_with(
                "GET",
                uri,
                None,
                None,
                &[
                    ("if-none-match", &etag),
                    ("if-modified-since", &last_modified),
                ],
            )
            .await;
        assert_eq!(
            after.status,
            StatusCode::OK,
            "If-None-Match wins, and the ETag changed"
        );
        assert_ne!(after.headers["etag"].to_str().unwrap(), etag);
        let s = &after.json["centers"][0]["sessions"][0];
        assert_eq!(
            (
                s["available_capacity"].as_u64(),
                s["available_capacity_dose1"].as_u64()
            ),
            (Some(9), Some(9))
        );
        assert_eq!(slots.len(), 1);

        // Closing the session empties the answer: If-Modified-Since with the earlier date no
        // longer holds, though nothing left in the answer carries the change.
        app.clock.advance(time::Duration::seconds(2));
        let before = app.call("GET", uri, None, None).await;
        let stamp = before.headers["last-modified"].to_str().unwrap().to_owned();
        app.clock.advance(time::Duration::seconds(2));
        let session = s["session_id"].as_str().unwrap();
        let closed = app
            .admin("POST", &format!("/admin/v1/sessions/{session}/close"), None)
            .await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.json);
        app.clock.advance(time::Duration::seconds(2));
        let emptied = app
            .call_with("GET", uri, None, None, &[("if-modified-since", &stamp)])
            .await;
        assert_eq!(
            (emptied.status, &emptied.json),
            (StatusCode::OK, &json!({"centers": []}))
        );
        assert_ne!(emptied.headers["last-modified"].to_str().unwrap(), stamp);
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_sold_out_slot_is_answered_from_memory_until_a_seat_comes_free() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        app.centre_with_slots("UPHC Sold Out", 18, &[("Morning", "9AM-11AM", 1)])
            .await;
        let found = app
            .call(
                "GET",
                "/api/v2/appointment/sessions/public/findByPin?pincode=415501&date=02-03-2026",
                None,
                None,
            )
            .await;
        let session = found.json["sessions"][0]["session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut people = Vec::new();
        for (i, mobile) in ["9876500001", "9876500002", "9876500003"]
            .iter()
            .enumerate()
        {
            let token = app.family(mobile).await;
            let person = json!({"name": format!("Person {i}"), "birth_year": "1985", "gender_id": 2,
                "photo_id_type": 3, "photo_id_number": format!("SOLDOUT{i}"), "comorbidity_ind": "N",
                "consent_version": "V1"});
            let made = app
                .call(
                    "POST",
                    "/api/v2/registration/beneficiary/new",
                    Some(&token),
                    Some(person),
                )
                .await;
            assert_eq!(made.status, StatusCode::OK, "{}", made.json);
            people.push((
                token,
                made.json["beneficiary_reference_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ));
        }
        let book = |(token, reference): &(String, String)| {
            let body = json!({"dose": 1, "session_id": session, "slot": "09:00AM-11:00AM",
                "beneficiaries": [reference]});
            let token = token.clone();
            let app = &app;
            async move {
                app.call(
                    "POST",
                    "/api/v2/appointment/schedule",
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };
        let slot = app
            .state
            .store
            .session(sehat_domain::ids::SessionId(session.parse().unwrap()))
            .await
            .unwrap()
            .slots[0]
            .id;
        let sid = sehat_domain::ids::SessionId(session.parse().unwrap());
        let first = sehat_domain::schedule::DosePool::First;
        let booked = book(&people[0]).await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        assert!(
            app.state.sold_out.check(sid, slot, first, 1).is_some(),
            "a booking marks nothing"
        );
        let full = book(&people[1]).await;
        assert_eq!(
            (full.status, full.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("APPOIN0040"))
        );
        assert!(
            app.state.sold_out.check(sid, slot, first, 1).is_none(),
            "the database said full"
        );
        let from_memory = book(&people[2]).await;
        assert_eq!(
            (from_memory.status, from_memory.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("APPOIN0040"))
        );

        // The first person cancels: the seat is free again, and the next booking gets it.
        let cancelled = app
            .call("POST", "/api/v2/appointment/cancel", Some(&people[0].0),
                Some(json!({"appointment_id": booked.json["appointment_confirmation_no"], "beneficiariesToCancel": [people[0].1]})))
            .await;
        assert_eq!(
            cancelled.status,
            StatusCode::NO_CONTENT,
            "{}",
            cancelled.json
        );
        assert!(
            app.state.sold_out.check(sid, slot, first, 1).is_some(),
            "a cancel clears the mark"
        );
        let rebooked = book(&people[2]).await;
        assert_eq!(rebooked.status, StatusCode::OK, "{}", rebooked.json);
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_node_drops_its_cached_searches_when_another_node_writes() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        app.centre_with_slots("UPHC Two Nodes", 18, &[("Morning", "9AM-11AM", 10)])
            .await;
        let uri = "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=376&date=02-03-2026";
        let first = app.call("GET", uri, None, None).await;
        let session = first.json["centers"][0]["sessions"][0]["session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.state.search_cache.stats().entries,
            2,
            "the search is cached: the rows read and the answer rendered"
        );

        // The other node closes the session; its commit cannot reach this node's cache directly.
        let other = app.other_node().await;
        let closed = app
            .send_to(
                &other,
                common::admin_request("POST", &format!("/admin/v1/sessions/{session}/close"), None),
            )
            .await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.json);
        let before_poll = app.call("GET", uri, None, None).await;
        assert_eq!(
            before_poll.json["centers"][0]["sessions"][0]["session_id"], session,
            "until this node's feed polls, it answers from its cache"
        );

        // This node's feed poller reads the change and drops the area's answers.
        sehat_api::cowin_v2::feed::Feed::start(&app.state, true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let now = app.call("GET", uri, None, None).await;
            if now.json == json!({"centers": []}) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still stale after 5 s: {}",
                now.json
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        app.teardown().await;
    }
}

#[tokio::test]
async fn the_public_api_is_limited_per_address_with_retry_after() {
    let app = TestApp::with_config(
        "sqlite",
        sehat_api::ApiConfig {
            otp_delivery: sehat_api::notify::OtpDelivery::Sandbox,
            public_limit: sehat_api::http::rate_limit::PublicLimit {
                calls: 3,
                window: std::time::Duration::from_secs(300),
                trust_forwarded_for: false,
            },
            ..sehat_api::ApiConfig::default()
        },
    )
    .await;
    for _ in 0..3 {
        let ok = app
            .call("GET", "/api/v2/admin/location/states", None, None)
            .await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let limited = app
        .call(
            "GET",
            "/api/v2/appointment/sessions/public/findByPin?pincode=415501&date=02-03-2026",
            None,
            None,
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json["errorCode"], "SEHAT0429");
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=101).contains(&wait),
        "one call back within 100 s: {wait}"
    );
    // The protected API is not counted per address: its callers carry tokens.
    let token = app.family("9876543210").await;
    let family = app
        .call(
            "GET",
            "/api/v2/appointment/beneficiaries",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(family.status, StatusCode::OK, "{}", family.json);
    app.teardown().await;
}
