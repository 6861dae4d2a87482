//! The vaccinator's desk in the web app (`/desk`), through its pages as a browser uses them:
//! the OTP login, today's list, recording a dose (a booked person and a walk-in registered on the
//! spot), the certificate's QR, the CSRF guard, and the roles kept apart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Reply, TestApp};
use crate::web_common::{Browser, attribute, csrf, html, location};
use axum::http::{StatusCode, header};
use sehat_store::testing::backends;
use serde_json::json;

const VACCINATOR_MOBILE: &str = "9812345678";
const FAMILY_MOBILE: &str = "9876501234";

/// A centre with a COVISHIELD session on 2 March 2026 (20 online seats, `walkin` walk-in seats)
/// and, with `post`, a vaccinator post for `VACCINATOR_MOBILE`; returns its id and the session's.
async fn centre(app: &TestApp, name: &str, walkin: u32, post: bool) -> (i64, String) {
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
                "capacity_online": 20, "capacity_walkin": walkin, "capacity_dose1": 10,
                "slots": [{"name": "Morning", "timings": "9AM-5PM", "capacity": 20}]
            })),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
    if post {
        let added = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{id}/vaccinators"),
                Some(json!({"name": "Dr. Kavita Rao", "mobile": VACCINATOR_MOBILE})),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
    }
    let session = opened.json["sessions"][0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, session)
}

/// A person registered and booked in `session` by their family through the API; returns their
/// reference id.
async fn booked_person(app: &TestApp, session: &str) -> String {
    let family = app.family(FAMILY_MOBILE).await;
    let registered = app
        .call(
            "POST",
            "/api/v2/registration/beneficiary/new",
            Some(&family),
            Some(json!({
                "name": "Asha Patil", "birth_year": "1985", "gender_id": 2, "photo_id_type": 6,
                "photo_id_number": "ABCPE1234F", "comorbidity_ind": "N", "consent_version": "V1"})),
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.json);
    let asha = registered.json["beneficiary_reference_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let booked = app
        .call(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&family),
            Some(json!({"dose": 1, "session_id": session, "slot": "09:00AM-05:00PM", "beneficiaries": [asha]})),
        )
        .await;
    assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
    asha
}

/// Logs a browser in at the desk by the sandbox OTP; returns the reply to the OTP's form.
async fn desk_login(app: &TestApp, browser: &mut Browser, mobile: &str) -> Reply {
    let login = browser.get(app, "/desk/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let sent = browser
        .post(
            app,
            "/desk/login",
            &[("mobile", mobile), ("next", "")],
            Some(&csrf(&html(&login))),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", html(&sent));
    let page = html(&sent);
    let otp = attribute(&page, "data-sandbox-otp=");
    let txn = attribute(&page, "name=\"txn\" value=");
    browser
        .post(
            app,
            "/desk/login/otp",
            &[("txn", &txn), ("otp", &otp), ("next", "")],
            Some(&csrf(&page)),
        )
        .await
}

async fn immunizations(app: &TestApp) -> i64 {
    app.db.number("SELECT COUNT(*) FROM immunizations").await
}

#[tokio::test]
async fn a_vaccinator_logs_in_sees_today_records_doses_and_shows_the_certificate_qr() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (wai, session) = centre(&app, "PHC Wai", 3, true).await;
        let asha = booked_person(&app, &session).await;
        // The session's day.
        app.clock.advance(time::Duration::days(1));

        // A mobile without a post is told so, and gets no session.
        let mut stranger = Browser::default();
        let refused = desk_login(&app, &mut stranger, "9000000001").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(
            html(&refused).contains("This number holds no active vaccinator post"),
            "{}",
            html(&refused)
        );
        assert!(!stranger.cookies.contains_key("sehat_desk"));

        let mut desk = Browser::default();
        let logged_in = desk_login(&app, &mut desk, VACCINATOR_MOBILE).await;
        assert_eq!(
            logged_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            html(&logged_in)
        );
        assert_eq!(location(&logged_in), "/desk");
        assert!(desk.cookies.contains_key("sehat_desk"));

        // Today's list: the booked person, booked.
        let today = desk.get(&app, "/desk").await;
        assert_eq!(today.status, StatusCode::OK, "{}", html(&today));
        let page = html(&today);
        assert!(page.contains("Today at PHC Wai"), "{page}");
        assert!(
            page.contains(&format!("data-ref=\"{asha}\" data-status=\"active\"")),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/desk/person/{asha}?center={wai}\"")));
        assert_eq!(today.headers[header::CACHE_CONTROL], "private, no-store");

        // Found by reference id (straight to their page) and by mobile (masked).
        let by_ref = desk
            .get(&app, &format!("/desk/find?center={wai}&who={asha}"))
            .await;
        assert_eq!(by_ref.status, StatusCode::SEE_OTHER);
        assert_eq!(
            location(&by_ref),
            format!("/desk/person/{asha}?center={wai}")
        );
        let by_mobile = desk
            .get(
                &app,
                &format!("/desk/find?center={wai}&who={FAMILY_MOBILE}"),
            )
            .await;
        let page = html(&by_mobile);
        let found = &page[page.find("data-desk-found").expect(&page)..];
        let found = &found[..found.find("</ul>").unwrap()];
        assert!(
            found.contains("Asha Patil") && found.contains("*****234F"),
            "{found}"
        );
        assert!(found.contains("*****1234"), "{found}");
        assert!(
            !found.contains("ABCPE1234F") && !found.contains(FAMILY_MOBILE),
            "{found}"
        );

        // An unknown reference id: said on the search page.
        let nobody = desk
            .get(&app, &format!("/desk/find?center={wai}&who=12345678901234"))
            .await;
        assert_eq!(nobody.status, StatusCode::NOT_FOUND);
        assert!(
            html(&nobody).contains("Nobody is registered with that."),
            "{}",
            html(&nobody)
        );

        // Their page: the appointment of the day, and the form filled for it.
        let person = desk
            .get(&app, &format!("/desk/person/{asha}?center={wai}"))
            .await;
        assert_eq!(person.status, StatusCode::OK, "{}", html(&person));
        let page = html(&person);
        assert!(page.contains("data-desk-appointment"), "{page}");
        assert!(
            page.contains("<option value=\"COVISHIELD\" selected>"),
            "{page}"
        );
        assert!(page.contains("name=\"dose\" value=\"1\""), "{page}");
        assert!(!page.contains("data-desk-qr"));
        let token = csrf(&page);
        let dose = [
            ("center", wai.to_string()),
            ("vaccine", "COVISHIELD".to_owned()),
            ("vaccine_batch", "4121z025".to_owned()),
            ("dose", "1".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = dose.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let uri = format!("/desk/person/{asha}/vaccinate");

        // Without its CSRF token the form is refused and nothing is written.
        let forged = desk.post(&app, &uri, &fields, None).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(immunizations(&app).await, 0);
        // A malformed batch: said on the form, nothing written.
        let mut bad = fields.clone();
        bad[2] = ("vaccine_batch", "x");
        let refused = desk.post(&app, &uri, &bad, Some(&token)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            html(&refused).contains("Please check “Batch number (on the vial)”"),
            "{}",
            html(&refused)
        );
        assert_eq!(immunizations(&app).await, 0);

        // The form shown again carries a token that sends it.
        let token = csrf(&html(&refused));
        let recorded = desk.post(&app, &uri, &fields, Some(&token)).await;
        assert_eq!(
            recorded.status,
            StatusCode::SEE_OTHER,
            "{}",
            html(&recorded)
        );
        assert_eq!(
            location(&recorded),
            format!("/desk/person/{asha}?center={wai}&notice=desk-recorded")
        );
        let remembered = recorded.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            remembered.starts_with("sehat_desk_last=COVISHIELD%3A4121Z025")
                && remembered.contains("Path=/desk")
                && remembered.contains("HttpOnly")
                && remembered.contains("SameSite=Lax"),
            "{remembered}"
        );
        assert_eq!(immunizations(&app).await, 1);

        // Their status changed, here and on today's list; the QR is shown and is the
        // certificate's.
        let after = desk
            .get(
                &app,
                &format!("/desk/person/{asha}?center={wai}&notice=desk-recorded"),
            )
            .await;
        let page = html(&after);
        assert!(
            page.contains("Dose recorded and certificate issued."),
            "{page}"
        );
        assert!(page.contains("data-status=\"partly\""), "{page}");
        assert!(
            page.contains("Dose 1: COVISHIELD, batch 4121Z025"),
            "{page}"
        );
        assert!(
            page.contains(&format!("src=\"/desk/person/{asha}/qr.png\"")),
            "{page}"
        );
        let listed = html(&desk.get(&app, &format!("/desk?center={wai}")).await);
        assert!(
            listed.contains(&format!("data-ref=\"{asha}\" data-status=\"completed\"")),
            "{listed}"
        );
        let qr = desk.get(&app, &format!("/desk/person/{asha}/qr.png")).await;
        assert_eq!(qr.status, StatusCode::OK);
        assert_eq!(qr.headers[header::CONTENT_TYPE], "image/png");
        let text = String::from_utf8(sehat_render::read_qr_png(&qr.bytes).unwrap()).unwrap();
        let credential = sehat_certificate::read_qr_payload(&text).unwrap();
        assert_eq!(credential["credentialSubject"]["name"], "Asha Patil");
        let pdf = desk
            .get(&app, &format!("/desk/person/{asha}/certificate.pdf"))
            .await;
        assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");

        // The same dose again: the rule's message in the visitor's language, nothing written.
        let again = desk.post(&app, &uri, &fields, Some(&token)).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(html(&again).contains("This dose is already recorded."));
        desk.cookies.insert("sehat_lang".into(), "hi".into());
        let hindi = desk.post(&app, &uri, &fields, Some(&token)).await;
        desk.cookies.remove("sehat_lang");
        assert_eq!(hindi.status, StatusCode::CONFLICT);
        assert!(
            html(&hindi).contains("यह खुराक पहले ही दर्ज है।"),
            "{}",
            html(&hindi)
        );
        assert_eq!(immunizations(&app).await, 1);

        // A walk-in registered on the spot: their page, the vaccine and batch remembered, a
        // walk-in seat taken on the way to the dose.
        let form = desk
            .get(&app, &format!("/desk/register?center={wai}"))
            .await;
        let registered = desk
            .post(
                &app,
                "/desk/register",
                &[
                    ("center", &wai.to_string()),
                    ("mobile_number", "9876509999"),
                    ("name", "Ravi Jadhav"),
                    ("birth_year", "1970"),
                    ("gender_id", "1"),
                    ("photo_id_type", "6"),
                    ("photo_id_number", "ABCPF1234G"),
                    ("consent", "V1"),
                ],
                Some(&csrf(&html(&form))),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::SEE_OTHER,
            "{}",
            html(&registered)
        );
        let to = location(&registered);
        let ravi = to
            .strip_prefix("/desk/person/")
            .and_then(|rest| rest.split('?').next())
            .unwrap()
            .to_owned();
        let walk_in = html(&desk.get(&app, &to).await);
        assert!(
            walk_in.contains("Registered. Record their dose below."),
            "{walk_in}"
        );
        assert!(walk_in.contains("data-desk-walk-in"), "{walk_in}");
        assert!(
            walk_in.contains("<option value=\"COVISHIELD\" selected>"),
            "{walk_in}"
        );
        assert!(
            walk_in.contains("name=\"vaccine_batch\" value=\"4121Z025\""),
            "{walk_in}"
        );
        let seated = desk
            .post(
                &app,
                &format!("/desk/person/{ravi}/vaccinate"),
                &[
                    ("center", &wai.to_string()),
                    ("vaccine", "COVISHIELD"),
                    ("vaccine_batch", "4121Z025"),
                    ("dose", "1"),
                ],
                Some(&csrf(&walk_in)),
            )
            .await;
        assert_eq!(seated.status, StatusCode::SEE_OTHER, "{}", html(&seated));
        assert_eq!(immunizations(&app).await, 2);
        assert_eq!(
            app.db
                .number("SELECT COUNT(*) FROM walkins WHERE completed_at IS NOT NULL")
                .await,
            1
        );

        // Logging out ends the session (its token is revoked) and forgets the batch.
        let token = csrf(&html(&desk.get(&app, "/desk").await));
        let old = desk.cookies.clone();
        let out = desk.post(&app, "/desk/logout", &[], Some(&token)).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(!desk.cookies.contains_key("sehat_desk"));
        assert!(!desk.cookies.contains_key("sehat_desk_last"));
        let mut replay = Browser { cookies: old };
        let after = replay.get(&app, "/desk").await;
        assert_eq!(after.status, StatusCode::SEE_OTHER);
        assert!(location(&after).starts_with("/desk/login"));
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_citizen_opens_no_desk_page_and_a_vaccinator_acts_only_at_their_centres() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (wai, session) = centre(&app, "PHC Wai", 0, true).await;
        let (satara, _) = centre(&app, "PHC Satara", 3, false).await;
        let asha = booked_person(&app, &session).await;
        app.clock.advance(time::Duration::days(1));
        let family = app.family(FAMILY_MOBILE).await;

        // A citizen's session, in its own cookie or put in the desk's: back to the desk's login.
        for cookie in ["sehat_citizen", "sehat_desk"] {
            let mut citizen = Browser::default();
            citizen.cookies.insert(cookie.to_owned(), family.clone());
            for page in [
                "/desk".to_owned(),
                "/desk/find?who=9876501234".to_owned(),
                "/desk/register".to_owned(),
                format!("/desk/person/{asha}"),
                format!("/desk/person/{asha}/qr.png"),
            ] {
                let reply = citizen.get(&app, &page).await;
                assert_eq!(reply.status, StatusCode::SEE_OTHER, "{cookie} {page}");
                assert!(location(&reply).starts_with("/desk/login?next="), "{page}");
            }
        }

        let mut desk = Browser::default();
        let logged_in = desk_login(&app, &mut desk, VACCINATOR_MOBILE).await;
        assert_eq!(logged_in.status, StatusCode::SEE_OTHER);
        // Another centre: no record form there, and a dose sent there anyway is refused.
        let elsewhere = desk
            .get(&app, &format!("/desk/person/{asha}?center={satara}"))
            .await;
        assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
        let page = html(&elsewhere);
        assert!(page.contains("You hold no post at this centre."), "{page}");
        assert!(!page.contains("name=\"vaccine_batch\""), "{page}");
        let today = desk.get(&app, &format!("/desk?center={satara}")).await;
        assert_eq!(today.status, StatusCode::FORBIDDEN);
        let token = csrf(&html(
            &desk.get(&app, &format!("/desk/person/{asha}")).await,
        ));
        let sent = desk
            .post(
                &app,
                &format!("/desk/person/{asha}/vaccinate"),
                &[
                    ("center", &satara.to_string()),
                    ("vaccine", "COVISHIELD"),
                    ("vaccine_batch", "4121Z025"),
                    ("dose", "1"),
                ],
                Some(&token),
            )
            .await;
        assert_eq!(sent.status, StatusCode::FORBIDDEN);
        assert!(html(&sent).contains("You hold no post at this centre."));
        assert_eq!(immunizations(&app).await, 0);

        // At their own centre a walk-in needs a walk-in seat: none left is said, nothing written.
        let mobile_only = desk
            .get(&app, &format!("/desk/find?who={FAMILY_MOBILE}"))
            .await;
        assert!(html(&mobile_only).contains("Asha Patil"));
        let unbooked = app
            .call(
                "POST",
                "/api/v2/registration/beneficiary/new",
                Some(&family),
                Some(json!({
                    "name": "Meena Shinde", "birth_year": "1990", "gender_id": 2, "photo_id_type": 6,
                    "photo_id_number": "ABCPG1234H", "comorbidity_ind": "N", "consent_version": "V1"})),
            )
            .await;
        let meena = unbooked.json["beneficiary_reference_id"].as_str().unwrap();
        let full = desk
            .post(
                &app,
                &format!("/desk/person/{meena}/vaccinate"),
                &[
                    ("center", &wai.to_string()),
                    ("vaccine", "COVISHIELD"),
                    ("vaccine_batch", "4121Z025"),
                    ("dose", "1"),
                ],
                Some(&token),
            )
            .await;
        assert_eq!(full.status, StatusCode::CONFLICT, "{}", html(&full));
        assert!(
            html(&full).contains("There are no walk-in seats left today."),
            "{}",
            html(&full)
        );
        assert_eq!(immunizations(&app).await, 0);
        assert_eq!(app.db.number("SELECT COUNT(*) FROM walkins").await, 0);
        app.teardown().await;
    }
}
