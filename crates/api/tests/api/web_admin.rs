//! The administrators' pages (`/admin`) as a browser uses them: the admin token exchanged for a
//! session; a centre created (a bad form changes nothing), edited and deactivated; sessions
//! opened from a slot template and closed; the utilization chart; vaccinators; partner keys
//! issued (shown once, working), rotated and revoked; the facility upload with its row report;
//! the audit chain verified; and forms without their CSRF token refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::admin_api::{BAD_ROW, GOOD_ROW, csv};
use crate::common::{ADMIN_TOKEN, TestApp};
use crate::web_common::{Browser, attribute, csrf, html, location};
use axum::http::StatusCode;
use sehat_store::testing::backends;
use serde_json::json;

/// Logs a browser in with the admin token.
async fn admin_login(app: &TestApp) -> Browser {
    let mut admin = Browser::default();
    let login = admin.get(app, "/admin/login").await;
    let done = admin
        .post(
            app,
            "/admin/login",
            &[("token", ADMIN_TOKEN), ("next", "/admin")],
            Some(&csrf(&html(&login))),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", html(&done));
    assert_eq!(location(&done), "/admin");
    admin
}

/// The error a page shows in its alert, or "" when it shows none.
fn alert(page: &str) -> String {
    page.find(r#"role="alert">"#)
        .map_or_else(String::new, |at| {
            let rest = &page[at + r#"role="alert">"#.len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        })
}

async fn centres(app: &TestApp) -> i64 {
    app.db.number("SELECT COUNT(*) FROM centers").await
}

#[tokio::test]
async fn an_admin_runs_centres_sessions_vaccinators_keys_and_the_audit_from_the_pages() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;

        // No session: to the login and back. A wrong token opens nothing.
        let mut stranger = Browser::default();
        let away = stranger.get(&app, "/admin/centre/1").await;
        assert_eq!(location(&away), "/admin/login?next=%2Fadmin%2Fcentre%2F1");
        let login = stranger.get(&app, "/admin/login").await;
        let wrong = stranger
            .post(
                &app,
                "/admin/login",
                &[("token", "guess"), ("next", "")],
                Some(&csrf(&html(&login))),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(html(&wrong).contains("That is not the admin token."));
        assert!(!stranger.has_cookie("sehat_admin"));

        let mut admin = admin_login(&app).await;
        let form = admin.get(&app, "/admin/centres/new").await;
        let token = csrf(&html(&form));
        assert!(
            html(&form).contains(r#"<option value="376">Satara</option>"#),
            "districts under their states"
        );

        // A pincode outside the district: the form again with the field named, nothing made.
        let before = centres(&app).await;
        let mut fields = vec![
            ("name", "PHC Wai"),
            ("district_id", "376"),
            ("pincode", "110003"),
            ("address", "Main Road, Wai"),
            ("vaccines", "covishield, BCG"),
            ("centre_type", "Permanent"),
            ("area", "Rural"),
            ("fee_type", "Free"),
        ];
        let refused = admin
            .post(&app, "/admin/centres", &fields, Some(&token))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{}",
            html(&refused)
        );
        assert_eq!(
            alert(&html(&refused)),
            "Check “Pincode”: pincode is not in that district",
            "the rule's words, once"
        );
        assert!(
            html(&refused).contains(r#"value="PHC Wai""#),
            "what was typed stays"
        );
        assert_eq!(centres(&app).await, before);
        // Without a session: to the login, nothing made.
        let mut nobody = Browser::default();
        let token_of_nobody = csrf(&html(&nobody.get(&app, "/admin/login").await));
        let away = nobody
            .post(&app, "/admin/centres", &fields, Some(&token_of_nobody))
            .await;
        assert_eq!(away.status, StatusCode::SEE_OTHER);
        assert!(location(&away).starts_with("/admin/login?next="));
        assert_eq!(centres(&app).await, before);
        // Without the CSRF token: refused, nothing made.
        fields[2] = ("pincode", "415501");
        let forged = admin.post(&app, "/admin/centres", &fields, None).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(centres(&app).await, before);

        let created = admin
            .post(&app, "/admin/centres", &fields, Some(&token))
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", html(&created));
        let at = location(&created);
        let id: i64 = at["/admin/centre/".len()..at.find('?').unwrap()]
            .parse()
            .unwrap();
        let api = app
            .admin("GET", &format!("/admin/v1/centers/{id}"), None)
            .await;
        assert_eq!(api.json["vaccines"], json!(["COVISHIELD", "BCG"]));
        assert_eq!(api.json["area"], "Rural");

        // A GET of a form's address (the language switch on a form's answer) leads to its page.
        let back = admin
            .get(&app, &format!("/admin/centre/{id}/sessions?lang=en"))
            .await;
        assert_eq!(location(&back), format!("/admin/centre/{id}"));
        assert_eq!(location(&admin.get(&app, "/admin/centres").await), "/admin");

        // Sessions from a slot template: a slot that does not parse is named, nothing opened.
        let page = html(&admin.get(&app, &at).await);
        assert!(page.contains("Centre created."), "{page}");
        assert!(page.contains("No sessions in the next 14 days."), "{page}");
        let mut plan = vec![
            ("from", "2026-03-02"),
            ("to", "2026-03-04"),
            ("vaccine", "COVISHIELD"),
            ("min_age", "18"),
            ("max_age", ""),
            ("dose", ""),
            ("capacity_online", "60"),
            ("capacity_walkin", "5"),
            ("capacity_dose1", ""),
            ("fee", "0"),
            ("slots", "Morning 09:00AM-11:00AM\r\nnoon till late"),
        ];
        let uri = format!("/admin/centre/{id}/sessions");
        let bad = admin.post(&app, &uri, &plan, Some(&token)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", html(&bad));
        let said = alert(&html(&bad));
        assert!(
            said.starts_with("Check “Slots”: ") && !said.contains("slots"),
            "{said}"
        );
        plan[10] = ("slots", "Morning 09:00AM-11:00AM\r\n02:00PM-04:00PM");
        let opened = admin.post(&app, &uri, &plan, Some(&token)).await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", html(&opened));
        let sessions = app
            .admin(
                "GET",
                &format!("/admin/v1/centers/{id}/sessions?from=2026-03-01&to=2026-03-10"),
                None,
            )
            .await;
        let listed = sessions.json["sessions"].as_array().unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0]["slots"].as_array().unwrap().len(), 2);
        assert_eq!(listed[0]["slots"][0]["slot_name"], "Morning");

        // Someone books a seat: the chart draws it, beside the capacity.
        let family = app.family("9876501234").await;
        let who = crate::vaccination::person(&app, &family, "Asha Patil", "ABCPE1234F").await;
        let session = listed[0]["session_id"].as_str().unwrap();
        let booked = app
            .call("POST", "/api/v2/appointment/schedule", Some(&family),
                Some(json!({"dose": 1, "session_id": session, "slot": "09:00AM-11:00AM", "beneficiaries": [who]})))
            .await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        let page = html(&admin.get(&app, &format!("/admin/centre/{id}")).await);
        let chart = &page[page.find("<svg class=\"chart\"").expect(&page)..];
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(
            chart.contains("role=\"img\"") && chart.contains("<title"),
            "{chart}"
        );
        // Axis top 60 over 180 px: 60 seats a day are 180 px, one booking 3 px.
        assert_eq!(
            chart.matches(r##"height="180" fill="#5b8db8""##).count(),
            3,
            "{chart}"
        );
        assert!(chart.contains(r##"height="3" fill="#062f47""##), "{chart}");
        assert!(page.contains("1 / 60"), "the session's seats: {page}");

        // Close a session: it takes no bookings from then on.
        let sid = listed[2]["session_id"].as_str().unwrap();
        let closed = admin
            .post(
                &app,
                &format!("/admin/centre/{id}/session/{sid}/close"),
                &[],
                Some(&token),
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        let after = app
            .admin(
                "GET",
                &format!("/admin/v1/centers/{id}/sessions?from=2026-03-04&to=2026-03-04"),
                None,
            )
            .await;
        assert_eq!(
            after.json["sessions"][0]["status"], "CLOSED",
            "{}",
            after.json
        );

        // Vaccinators: a bad mobile is refused; a good one listed masked; deactivated.
        let uri = format!("/admin/centre/{id}/vaccinators");
        let bad = admin
            .post(
                &app,
                &uri,
                &[("name", "Dr. Kavita Rao"), ("mobile", "12345")],
                Some(&token),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            alert(&html(&bad)).contains("Mobile number"),
            "{}",
            html(&bad)
        );
        assert!(html(&bad).contains(r#"value="Dr. Kavita Rao""#));
        let added = admin
            .post(
                &app,
                &uri,
                &[("name", "Dr. Kavita Rao"), ("mobile", "9812345678")],
                Some(&token),
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", html(&added));
        let page = html(&admin.get(&app, &format!("/admin/centre/{id}")).await);
        assert!(
            page.contains("******5678") && !page.contains("9812345678"),
            "{page}"
        );
        let post_id = attribute(&page, "/vaccinator/");
        let post_id = post_id.split('/').next().unwrap().to_owned();
        let off = admin
            .post(
                &app,
                &format!("/admin/centre/{id}/vaccinator/{post_id}/deactivate"),
                &[],
                Some(&token),
            )
            .await;
        assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", html(&off));
        let posts = app
            .admin("GET", &format!("/admin/v1/centers/{id}/vaccinators"), None)
            .await;
        assert_eq!(posts.json["vaccinators"][0]["active"], false);

        // Another centre's session is not closed from this centre's page.
        let other = app
            .admin(
                "POST",
                "/admin/v1/centers",
                Some(json!({"name": "PHC Satara", "district_id": 376,
                "pincode": "415501", "vaccines": ["COVISHIELD"]})),
            )
            .await;
        assert_eq!(other.status, StatusCode::CREATED, "{}", other.json);
        let other_id = other.json["center_id"].as_i64().unwrap();
        let sid = listed[1]["session_id"].as_str().unwrap();
        let elsewhere = admin
            .post(
                &app,
                &format!("/admin/centre/{other_id}/session/{sid}/close"),
                &[],
                Some(&token),
            )
            .await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
        let still = app
            .admin(
                "GET",
                &format!("/admin/v1/centers/{id}/sessions?from=2026-03-03&to=2026-03-03"),
                None,
            )
            .await;
        assert_eq!(
            still.json["sessions"][0]["status"], "OPEN",
            "{}",
            still.json
        );

        // Edit (the form carries what the centre holds), then deactivate the centre.
        let held = app
            .admin("GET", &format!("/admin/v1/centers/{id}"), None)
            .await;
        let (lat, long) = (held.json["lat"].to_string(), held.json["long"].to_string());
        let mut edit = fields.clone();
        edit[0] = ("name", "PHC Wai (Rural)");
        edit.push(("lat", &lat));
        edit.push(("long", ""));
        // A field the centre holds cannot be emptied: said, not silently kept.
        let emptied = admin
            .post(&app, &format!("/admin/centre/{id}"), &edit, Some(&token))
            .await;
        assert_eq!(
            emptied.status,
            StatusCode::BAD_REQUEST,
            "{}",
            html(&emptied)
        );
        assert_eq!(
            alert(&html(&emptied)),
            "Check “Longitude”: can be changed but not removed"
        );
        edit.pop();
        edit.push(("long", &long));
        let saved = admin
            .post(&app, &format!("/admin/centre/{id}"), &edit, Some(&token))
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", html(&saved));
        let off = admin
            .post(
                &app,
                &format!("/admin/centre/{id}/active"),
                &[("active", "false")],
                Some(&token),
            )
            .await;
        assert_eq!(off.status, StatusCode::SEE_OTHER);
        let api = app
            .admin("GET", &format!("/admin/v1/centers/{id}"), None)
            .await;
        assert_eq!(
            (api.json["name"].as_str(), api.json["active"].as_bool()),
            (Some("PHC Wai (Rural)"), Some(false))
        );

        // The district's centres side by side.
        let district = html(&admin.get(&app, "/admin/district/376").await);
        assert!(
            district.contains("Centres of Satara") && district.contains("PHC Wai (Rural)"),
            "{district}"
        );
        assert!(district.contains("<svg class=\"chart\""), "{district}");

        // Partner keys: issued once on the page, working; a rotation; a revocation.
        let issued = admin
            .post(
                &app,
                "/admin/partners/issue",
                &[("partner", "apollo"), ("grace_hours", "")],
                Some(&token),
            )
            .await;
        assert_eq!(issued.status, StatusCode::OK, "{}", html(&issued));
        assert_eq!(issued.headers["cache-control"], "private, no-store");
        let key = attribute(&html(&issued), "data-issued-key>");
        let key = key.split('<').next().unwrap().to_owned();
        let guest = |key: String| {
            let app = &app;
            async move {
                app.call_with(
                    "POST",
                    "/api/v1/auth/guest/login",
                    None,
                    Some(json!({"user_name": "99999999999999999999"})),
                    &[("x-api-key", &key)],
                )
                .await
                .status
            }
        };
        assert_eq!(guest(key.clone()).await, StatusCode::OK, "the key works");
        let listed = html(&admin.get(&app, "/admin/partners?partner=apollo").await);
        assert!(!listed.contains(&key), "never shown again");
        let key_id = attribute(&listed, "data-key=");
        let revoked = admin
            .post(
                &app,
                "/admin/partners/revoke",
                &[("partner", "apollo"), ("key_id", &key_id)],
                Some(&token),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", html(&revoked));
        assert_ne!(
            guest(key).await,
            StatusCode::OK,
            "a revoked key opens nothing"
        );
        let rotated = admin
            .post(
                &app,
                "/admin/partners/issue",
                &[("partner", "apollo"), ("grace_hours", "24")],
                Some(&token),
            )
            .await;
        assert!(html(&rotated).contains("Key issued."));
        assert!(html(&rotated).contains("Revoked"), "{}", html(&rotated));

        // The audit chain, verified from the page: every change above is in it.
        let audit = admin.post(&app, "/admin/audit", &[], Some(&token)).await;
        assert_eq!(
            attribute(&html(&audit), "data-audit="),
            "intact",
            "{}",
            html(&audit)
        );

        // Logging out ends the session.
        let out = admin.post(&app, "/admin/logout", &[], Some(&token)).await;
        assert_eq!(location(&out), "/admin/login?notice=logged-out");
        assert_eq!(
            admin.get(&app, "/admin").await.status,
            StatusCode::SEE_OTHER
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn the_upload_writes_the_good_rows_and_reports_the_bad_one_by_line() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let mut admin = admin_login(&app).await;
        let token = csrf(&html(&admin.get(&app, "/admin/upload").await));
        let file = csv(&[GOOD_ROW, BAD_ROW]);
        let before = centres(&app).await;
        let forged = admin
            .upload(
                &app,
                "/admin/upload",
                ("centres.csv", "text/csv", &file),
                None,
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(centres(&app).await, before);

        let done = admin
            .upload(
                &app,
                "/admin/upload",
                ("centres.csv", "text/csv", &file),
                Some(&token),
            )
            .await;
        let page = html(&done);
        assert_eq!(done.status, StatusCode::OK, "{page}");
        assert_eq!(attribute(&page, "data-rejected="), "1", "{page}");
        assert!(
            page.contains(r#"<tr data-row="3">"#),
            "the bad row is line 3: {page}"
        );
        assert!(page.contains("The valid rows are saved."), "{page}");
        assert_eq!(centres(&app).await, before + 1);

        // A file that is no CSV: the API's error, said on the page.
        let wrong = admin
            .upload(
                &app,
                "/admin/upload",
                ("photo.png", "image/png", b"\x89PNG"),
                Some(&token),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(!alert(&html(&wrong)).is_empty(), "{}", html(&wrong));
        app.teardown().await;
    }
}
