//! The vaccinator API and certificates over HTTP: a vaccinator's OTP login and roles, the desk's
//! searches, walk-ins, recording doses by the records' rules (once, whoever races), the family's
//! status and certificate downloads, verification, corrections and revocation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TestApp, sha256_hex};
use axum::http::StatusCode;
use sehat_store::testing::backends;
use serde_json::{Value, json};

const VACCINATOR_MOBILE: &str = "9812345678";
const FAMILY_MOBILE: &str = "9876501234";

/// A centre with a COVISHIELD session on 2 March 2026 (one slot of 20 online seats, 3 walk-in
/// seats); returns (centre id, session id, slot id).
pub(crate) async fn centre(app: &TestApp, name: &str) -> (i64, String, i64) {
    let centre = app
        .admin(
            "POST",
            "/admin/v1/centers",
            Some(json!({
                "name": name, "district_id": 376, "pincode": "415501", "incharge_name": "Sunil Kumar",
                "incharge_mobile": "8765432109", "area": "Rural", "vaccines": ["COVISHIELD"]
            })),
        )
        .await;
    assert_eq!(centre.status, StatusCode::CREATED, "{}", centre.json);
    let id = centre.json["center_id"].as_i64().unwrap();
    let opened = app
        .admin(
            "POST",
            &format!("/admin/v1/centers/{id}/sessions"),
            Some(json!({
                "from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "min_age": 18,
                "capacity_online": 20, "capacity_walkin": 3, "capacity_dose1": 10,
                "slots": [{"name": "Morning", "timings": "9AM-5PM", "capacity": 20}]
            })),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
    let session = &opened.json["sessions"][0];
    (
        id,
        session["session_id"].as_str().unwrap().to_owned(),
        session["slots"][0]["slot_id"].as_i64().unwrap(),
    )
}

/// A vaccinator registered at `centre` and logged in through the desk system's key.
pub(crate) async fn vaccinator(app: &TestApp, centre: i64, mobile: &str) -> String {
    let added = app
        .admin(
            "POST",
            &format!("/admin/v1/centers/{centre}/vaccinators"),
            Some(json!({"name": "Dr. Kavita Rao", "mobile": mobile})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
    assert_eq!(
        added.json["mobile"],
        format!("******{}", &mobile[6..]),
        "masked"
    );
    login(app, mobile).await.expect("a vaccinator token")
}

async fn login(app: &TestApp, mobile: &str) -> Result<String, (StatusCode, Value)> {
    let key = app.partner_key("state-desk").await;
    let sent = app
        .call_with(
            "POST",
            "/api/v2/auth/vaccinator/generateOTP",
            None,
            Some(json!({"mobile": mobile})),
            &[("x-api-key", &key)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
    let otp = sha256_hex(sent.json["otp"].as_str().unwrap());
    let confirmed = app
        .call_with(
            "POST",
            "/api/v2/auth/vaccinator/confirmOTP",
            None,
            Some(json!({"otp": otp, "txnId": sent.json["txnId"]})),
            &[("x-api-key", &key)],
        )
        .await;
    if confirmed.status == StatusCode::OK {
        Ok(confirmed.json["token"].as_str().unwrap().to_owned())
    } else {
        Err((confirmed.status, confirmed.json))
    }
}

/// A person registered under the family's token; returns their reference id.
pub(crate) async fn person(app: &TestApp, token: &str, name: &str, photo_id: &str) -> String {
    let registered = app
        .call(
            "POST",
            "/api/v2/registration/beneficiary/new",
            Some(token),
            Some(json!({
                "name": name, "birth_year": "1985", "gender_id": 2, "photo_id_type": 6,
                "photo_id_number": photo_id, "comorbidity_ind": "N", "consent_version": "V1"})),
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
    registered.json["beneficiary_reference_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A person registered at the desk under `mobile`; returns their reference id.
async fn register_on_spot(
    app: &TestApp,
    desk: &str,
    name: &str,
    mobile: &str,
    photo_id: &str,
) -> String {
    let registered = app
        .call("POST", "/api/v2/vaccinator/beneficiaries/new", Some(desk), Some(json!({
            "name": name, "birth_year": 1970, "gender_id": 1, "mobile_number": mobile,
            "photo_id_type": 6, "photo_id_number": photo_id, "comorbidity_ind": "N", "consent_version": "V1"})))
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
    registered.json["beneficiary_reference_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn book(
    app: &TestApp,
    token: &str,
    session: &str,
    who: &str,
    dose: u8,
) -> (StatusCode, Value) {
    let reply = app
        .call(
            "POST",
            "/api/v2/appointment/schedule",
            Some(token),
            Some(json!({"dose": dose, "session_id": session, "slot": "09:00AM-05:00PM", "beneficiaries": [who]})),
        )
        .await;
    (reply.status, reply.json)
}

pub(crate) async fn vaccinate(
    app: &TestApp,
    token: &str,
    centre: i64,
    who: &str,
    dose: u8,
) -> (StatusCode, Value) {
    let reply = app
        .call(
            "POST",
            "/api/v2/vaccinator/beneficiaries/vaccinate",
            Some(token),
            Some(json!({"beneficiary_reference_id": who, "center_id": centre, "vaccine": "COVISHIELD",
                "vaccine_batch": "4121z025", "dose": dose, "vaccinator_name": "Kavita"})),
        )
        .await;
    (reply.status, reply.json)
}

fn code(reply: &(StatusCode, Value)) -> (u16, &str) {
    (
        reply.0.as_u16(),
        reply.1["errorCode"].as_str().unwrap_or(""),
    )
}

async fn verify(app: &TestApp, body: Value) -> Value {
    let reply = app
        .call("POST", "/api/v2/certificate/verify", None, Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

pub(crate) async fn download(
    app: &TestApp,
    token: &str,
    who: &str,
    accept: &str,
) -> crate::common::Reply {
    app.call_with(
        "GET",
        &format!("/api/v2/registration/certificate/public/download?beneficiary_reference_id={who}"),
        Some(token),
        None,
        &[("accept", accept)],
    )
    .await
}

#[tokio::test]
async fn a_booked_dose_is_recorded_once_certified_verified_corrected_and_revoked() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre_id, session, _) = centre(&app, "PHC Wai").await;
        let family = app.family(FAMILY_MOBILE).await;
        let asha = person(&app, &family, "सुनीता देवी", "ABCPE1234F").await;

        // Dose 2 before dose 1 is refused on booking: the records decide, not the client.
        let early = book(&app, &family, &session, &asha, 2).await;
        assert_eq!(code(&early), (400, "VACCIN0001"), "{}", early.1);
        let booked = book(&app, &family, &session, &asha, 1).await;
        assert_eq!(booked.0, StatusCode::OK, "{}", booked.1);

        // The session's day (tokens of yesterday have expired): the desk finds the person with
        // today's appointment at its centre.
        app.clock.advance(time::Duration::days(1));
        let family = app.family(FAMILY_MOBILE).await;
        let desk = vaccinator(&app, centre_id, VACCINATOR_MOBILE).await;
        let found = app
            .call("GET", &format!("/api/v2/vaccinator/beneficiaries/findByReferenceId?beneficiary_reference_id={asha}"), Some(&desk), None)
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.json);
        let listed = &found.json["beneficiaries"][0];
        assert_eq!(listed["vaccination_status"], "Not Vaccinated");
        assert_eq!(listed["photo_id_number"], "*****234F", "masked");
        assert_eq!(listed["appointments"].as_array().unwrap().len(), 1);

        let given = vaccinate(&app, &desk, centre_id, &asha, 1).await;
        assert_eq!(given.0, StatusCode::OK, "{}", given.1);
        assert_eq!(
            given.1["appointment_id"],
            booked.1["appointment_confirmation_no"]
        );
        assert_eq!(
            (given.1["dose"].as_u64(), given.1["total_doses"].as_u64()),
            (Some(1), Some(2))
        );
        let certificate_id = given.1["certificate_id"].as_str().unwrap().to_owned();
        let again = vaccinate(&app, &desk, centre_id, &asha, 1).await;
        assert_eq!(code(&again), (409, "VACCIN0003"), "{}", again.1);

        // The family sees the record, and the completed appointment can no longer be cancelled.
        let mine = app
            .call(
                "GET",
                "/api/v2/appointment/beneficiaries",
                Some(&family),
                None,
            )
            .await;
        let me = &mine.json["beneficiaries"][0];
        assert_eq!(
            (
                me["vaccination_status"].as_str(),
                me["vaccine"].as_str(),
                me["dose1_date"].as_str(),
                me["dose2_date"].as_str()
            ),
            (
                Some("Partially Vaccinated"),
                Some("COVISHIELD"),
                Some("02-03-2026"),
                Some("")
            )
        );
        // The completed appointment stays where the dose was given.
        let moved = app
            .call("POST", "/api/v2/appointment/reschedule", Some(&family),
                Some(json!({"appointment_id": booked.1["appointment_confirmation_no"], "session_id": session, "slot": "09:00AM-05:00PM"})))
            .await;
        assert_eq!(moved.status, StatusCode::CONFLICT, "{}", moved.json);
        // Dose 2 comes 56 days after dose 1 at the earliest.
        let too_soon = book(&app, &family, &session, &asha, 2).await;
        // (The completed appointment no longer counts as an upcoming one: the interval decides.)
        assert_eq!(code(&too_soon), (400, "VACCIN0002"), "{}", too_soon.1);

        // The certificate: JSON as issued, a PDF, the QR alone.
        let json_reply = download(&app, &family, &asha, "application/vc+ld+json").await;
        assert_eq!(json_reply.status, StatusCode::OK, "{}", json_reply.json);
        let credential = json_reply.json.clone();
        assert_eq!(
            credential["evidence"][0]["certificateId"],
            certificate_id.as_str()
        );
        assert_eq!(credential["credentialSubject"]["name"], "सुनीता देवी");
        assert_eq!(credential["evidence"][0]["dose"], 1);
        assert_eq!(credential["proof"]["type"], "Ed25519Signature2018");
        let pdf = download(&app, &family, &asha, "application/pdf").await;
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert!(pdf.json.as_str().unwrap_or("").starts_with("%PDF"));
        let png = download(&app, &family, &asha, "image/png").await;
        assert_eq!(png.headers["content-type"], "image/png");
        // The QR code, read back from the PDF page and from the PNG as a scanner reads it, unzips
        // to exactly the stored credential.
        for (what, decoded) in [
            ("pdf", sehat_render::read_qr_pdf(&pdf.bytes)),
            ("png", sehat_render::read_qr_png(&png.bytes)),
        ] {
            let text = String::from_utf8(decoded.expect(what)).expect("a QR text");
            let read = sehat_certificate::read_qr_payload(&text).expect(what);
            assert_eq!(read, credential, "{what}");
            let scanned = verify(&app, json!({ "qr": text })).await;
            assert_eq!(scanned["status"], "VALID", "{what}: {scanned}");
        }

        // Another family's token sees nothing; no token is 401.
        let stranger = app.family("9876509999").await;
        let other = download(&app, &stranger, &asha, "application/json").await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let anonymous = app
            .call(
                "GET",
                &format!(
                    "/api/v2/registration/certificate/download?beneficiary_reference_id={asha}"
                ),
                None,
                None,
            )
            .await;
        assert_eq!(
            (anonymous.status, anonymous.json["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("Unauthenticated access!"))
        );

        // Verification: valid as issued, refused after an edit.
        let valid = verify(&app, credential.clone()).await;
        assert_eq!(
            (valid["valid"].as_bool(), valid["status"].as_str()),
            (Some(true), Some("VALID")),
            "{valid}"
        );
        assert_eq!(valid["certificateId"], certificate_id.as_str());
        let mut forged = credential.clone();
        forged["credentialSubject"]["name"] = json!("Someone Else");
        let refused = verify(&app, forged).await;
        assert_eq!(refused["status"], "INVALID_SIGNATURE", "{refused}");
        let malformed = app
            .call(
                "POST",
                "/api/v2/certificate/verify",
                None,
                Some(json!({"qr": "not a certificate"})),
            )
            .await;
        assert_eq!(
            (
                malformed.status.as_u16(),
                malformed.json["errorCode"].as_str(),
                malformed.json["status"].as_str()
            ),
            (400, Some("VACCIN0008"), Some("MALFORMED"))
        );
        // The PDF itself verifies; a truncated one is no certificate.
        for (bytes, expected) in [
            (pdf.bytes.clone(), 200),
            (pdf.bytes.slice(..pdf.bytes.len() / 2), 400),
        ] {
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/api/v2/certificate/verify")
                .header("content-type", "application/pdf")
                .body(axum::body::Body::from(bytes))
                .unwrap();
            let reply = app.send(request).await;
            assert_eq!(reply.status.as_u16(), expected, "{}", reply.json);
        }
        // The family was told the certificate is ready, with its id.
        let told = app
            .db
            .number(&format!("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%Certificate {certificate_id} is ready%'"))
            .await;
        assert_eq!(told, 1);

        // A correction re-issues under a new id and revokes the old certificate.
        let corrected = app
            .admin(
                "POST",
                &format!("/admin/v1/certificates/{certificate_id}/correct"),
                Some(json!({"name": "Sunita Devi"})),
            )
            .await;
        assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.json);
        let new_id = corrected.json["certificate_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(new_id, certificate_id);
        let old = verify(&app, credential.clone()).await;
        assert_eq!(
            (old["valid"].as_bool(), old["status"].as_str()),
            (Some(false), Some("REVOKED"))
        );
        let revoked = app
            .call(
                "POST",
                "/divoc/api/v1/certificate/revoked",
                None,
                Some(credential.clone()),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK);
        let current = download(&app, &family, &asha, "application/json")
            .await
            .json;
        assert_eq!(current["credentialSubject"]["name"], "Sunita Devi");
        let not_revoked = app
            .call(
                "POST",
                "/divoc/api/v1/certificate/revoked",
                None,
                Some(current.clone()),
            )
            .await;
        assert_eq!(not_revoked.status, StatusCode::NOT_FOUND);
        assert_eq!(verify(&app, current).await["status"], "VALID");
        let bad = app
            .call(
                "POST",
                "/divoc/api/v1/certificate/revoked",
                None,
                Some(json!({"x": 1})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let list = app
            .call("GET", "/api/v2/certificate/revocations", None, None)
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.json.to_string().contains(&certificate_id),
            "{}",
            list.json
        );
        let twice = app
            .admin(
                "POST",
                &format!("/admin/v1/certificates/{certificate_id}/correct"),
                Some(json!({"vaccine_batch": "AB123"})),
            )
            .await;
        assert_eq!(
            (twice.status.as_u16(), twice.json["errorCode"].as_str()),
            (409, Some("VACCIN0006"))
        );

        // The issuer's keys are published.
        let did = app.call("GET", "/.well-known/did.json", None, None).await;
        assert_eq!(did.status, StatusCode::OK);
        let method = credential["proof"]["verificationMethod"].as_str().unwrap();
        assert!(
            did.json.to_string().contains(method),
            "{} lists {method}",
            did.json
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn roles_stay_apart_and_a_vaccinator_acts_only_at_their_centres() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (wai, _, _) = centre(&app, "PHC Wai").await;
        let (satara, _, _) = centre(&app, "PHC Satara").await;
        app.clock.advance(time::Duration::days(1));
        let desk = vaccinator(&app, wai, VACCINATOR_MOBILE).await;
        let family = app.family(FAMILY_MOBILE).await;
        let asha = person(&app, &family, "Asha Patil", "ABCPE1234F").await;

        // A citizen's token is not a vaccinator's, nor the other way round.
        let citizen = app
            .call(
                "GET",
                &format!(
                    "/api/v2/vaccinator/beneficiaries/findByMobile?mobile_number={FAMILY_MOBILE}"
                ),
                Some(&family),
                None,
            )
            .await;
        assert_eq!(citizen.status, StatusCode::UNAUTHORIZED);
        let desk_as_family = app
            .call(
                "GET",
                "/api/v2/appointment/beneficiaries",
                Some(&desk),
                None,
            )
            .await;
        assert_eq!(desk_as_family.status, StatusCode::UNAUTHORIZED);
        // A mobile without a post gets no vaccinator token.
        assert_eq!(
            login(&app, "9000000001").await.unwrap_err().0,
            StatusCode::FORBIDDEN
        );

        // Another centre: 403; an unknown one: APPOIN0006.
        let elsewhere = vaccinate(&app, &desk, satara, &asha, 1).await;
        assert_eq!(code(&elsewhere), (403, "VACCIN0007"), "{}", elsewhere.1);
        let unknown = vaccinate(&app, &desk, 999_999, &asha, 1).await;
        assert_eq!(code(&unknown), (400, "APPOIN0006"), "{}", unknown.1);
        // No appointment and no walk-in seat: nothing to fulfil.
        let unseated = vaccinate(&app, &desk, wai, &asha, 1).await;
        assert_eq!(code(&unseated), (400, "VACCIN0005"), "{}", unseated.1);
        // A malformed batch changes nothing.
        let batch = app
            .call("POST", "/api/v2/vaccinator/beneficiaries/vaccinate", Some(&desk),
                Some(json!({"beneficiary_reference_id": asha, "center_id": wai, "vaccine": "COVISHIELD", "vaccine_batch": "x", "dose": 1})))
            .await;
        assert_eq!(
            (batch.status, batch.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("vaccine_batch"))
        );

        // Found by mobile (masked), seated as a walk-in, vaccinated.
        let found = app
            .call(
                "GET",
                &format!(
                    "/api/v2/vaccinator/beneficiaries/findByMobile?mobile_number={FAMILY_MOBILE}"
                ),
                Some(&desk),
                None,
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.json);
        assert_eq!(found.json["beneficiaries"][0]["mobile_number"], "*****1234");
        let seat = app
            .call(
                "POST",
                "/api/v2/vaccinator/onspots/schedule",
                Some(&desk),
                Some(json!({"center_id": wai, "beneficiary_reference_id": asha, "dose": 1})),
            )
            .await;
        assert_eq!(seat.status, StatusCode::OK, "{}", seat.json);
        assert_eq!(seat.json["walkin_left"], 2);
        let given = vaccinate(&app, &desk, wai, &asha, 1).await;
        assert_eq!(given.0, StatusCode::OK, "{}", given.1);
        assert!(given.1["appointment_id"].is_null(), "a walk-in");

        // On-spot registration, then walk-in seats run out at three.
        let mut people = Vec::new();
        for (i, id) in ["BCDPE1234F", "CDEPE1234F", "DEFPE1234F"]
            .iter()
            .enumerate()
        {
            people.push(
                register_on_spot(
                    &app,
                    &desk,
                    &format!("Walk In {i}"),
                    &format!("98765012{i}0"),
                    id,
                )
                .await,
            );
        }
        for (i, who) in people.iter().enumerate() {
            let seat = app
                .call(
                    "POST",
                    "/api/v2/vaccinator/onspots/schedule",
                    Some(&desk),
                    Some(json!({"center_id": wai, "beneficiary_reference_id": who, "dose": 1})),
                )
                .await;
            if i < 2 {
                assert_eq!(seat.status, StatusCode::OK, "{}", seat.json);
            } else {
                assert_eq!(
                    (seat.status.as_u16(), seat.json["errorCode"].as_str()),
                    (409, Some("APPOIN0048"))
                );
            }
        }

        // A deactivated post stops acting at once.
        let posts = app
            .admin("GET", &format!("/admin/v1/centers/{wai}/vaccinators"), None)
            .await;
        let post = posts.json["vaccinators"][0]["vaccinator_id"]
            .as_i64()
            .unwrap();
        let off = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{wai}/vaccinators/{post}/deactivate"),
                None,
            )
            .await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.json);
        let after = app
            .call(
                "GET",
                &format!(
                    "/api/v2/vaccinator/beneficiaries/findByMobile?mobile_number={FAMILY_MOBILE}"
                ),
                Some(&desk),
                None,
            )
            .await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        app.teardown().await;
    }
}

#[tokio::test]
async fn fifty_vaccinators_racing_on_one_dose_make_one_record_and_one_certificate() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre_id, session, _) = centre(&app, "PHC Wai").await;
        let family = app.family(FAMILY_MOBILE).await;
        let asha = person(&app, &family, "Asha Patil", "ABCPE1234F").await;
        assert_eq!(
            book(&app, &family, &session, &asha, 1).await.0,
            StatusCode::OK
        );
        app.clock.advance(time::Duration::days(1));
        let desk = vaccinator(&app, centre_id, VACCINATOR_MOBILE).await;
        let calls = (0..50).map(|_| vaccinate(&app, &desk, centre_id, &asha, 1));
        let replies = futures_util::future::join_all(calls).await;
        let ok = replies.iter().filter(|r| r.0 == StatusCode::OK).count();
        let duplicate = replies
            .iter()
            .filter(|r| code(r) == (409, "VACCIN0003"))
            .count();
        assert_eq!(
            (ok, duplicate),
            (1, 49),
            "{:?}",
            replies.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        assert_eq!(app.db.number("SELECT COUNT(*) FROM immunizations").await, 1);
        assert_eq!(app.db.number("SELECT COUNT(*) FROM certificates").await, 1);
        app.teardown().await;
    }
}

#[tokio::test]
async fn walk_in_seats_never_go_past_the_session_s_walk_in_capacity_at_any_concurrency() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre_id, _, _) = centre(&app, "PHC Wai").await;
        app.clock.advance(time::Duration::days(1));
        let desk = vaccinator(&app, centre_id, VACCINATOR_MOBILE).await;
        let mut people = Vec::new();
        for i in 0..20 {
            let photo_id = format!("ABC{}E{:04}F", ["P", "C", "H", "F"][i % 4], 1000 + i);
            let mobile = format!("97650{:05}", i / 4);
            people.push(
                register_on_spot(&app, &desk, &format!("Walk In {i}"), &mobile, &photo_id).await,
            );
        }
        let seats = people.iter().map(|who| {
            app.call(
                "POST",
                "/api/v2/vaccinator/onspots/schedule",
                Some(&desk),
                Some(json!({"center_id": centre_id, "beneficiary_reference_id": who, "dose": 1})),
            )
        });
        let replies = futures_util::future::join_all(seats).await;
        let seated = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .count();
        let full = replies
            .iter()
            .filter(|r| r.json["errorCode"] == "APPOIN0048")
            .count();
        assert_eq!(
            (seated, full),
            (3, 17),
            "{:?}",
            replies.iter().map(|r| &r.json).collect::<Vec<_>>()
        );
        assert_eq!(app.db.number("SELECT COUNT(*) FROM walkins").await, 3);
        assert_eq!(
            app.db
                .number("SELECT SUM(walkin_booked) FROM sessions")
                .await,
            3
        );
        app.teardown().await;
    }
}
