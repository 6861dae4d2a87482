//! The admin API and the bulk facility upload, over HTTP, on every configured backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use crate::common;

use axum::http::StatusCode;
use common::{HEADER, TestApp};
use sehat_store::testing::backends;
use serde_json::json;

#[tokio::test]
async fn the_admin_api_refuses_requests_without_the_token() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let request = axum::http::Request::get("/admin/v1/centers")
            .body(axum::body::Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.json,
            json!({"errorCode": "SEHAT0401", "error": "Unauthenticated access!"})
        );
        let wrong = axum::http::Request::get("/admin/v1/centers")
            .header("authorization", "Bearer wrong")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(app.send(wrong).await.status, StatusCode::UNAUTHORIZED);
        app.teardown().await;
    }
}

#[tokio::test]
async fn without_a_configured_token_the_admin_api_answers_401() {
    let app = TestApp::with_config("sqlite", sehat_api::ApiConfig::default()).await;
    let reply = app.admin("GET", "/admin/v1/centers", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    app.teardown().await;
}

fn new_centre() -> serde_json::Value {
    json!({
        "name": "PHC Koregaon", "district_id": 376, "pincode": "415501",
        "incharge_name": "Sunil Kumar", "incharge_mobile": "+91 87654 32109",
        "centre_type": "Permanent", "area": "Rural", "vaccines": ["covishield"]
    })
}

#[tokio::test]
async fn a_centre_is_created_read_updated_and_listed() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let created = app
            .admin("POST", "/admin/v1/centers", Some(new_centre()))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        let c = &created.json;
        assert_eq!(
            (c["district_name"].as_str(), c["state_id"].as_i64()),
            (Some("Satara"), Some(21))
        );
        assert_eq!(c["vaccines"], json!(["COVISHIELD"]));
        assert_eq!(c["incharge_mobile"], "8765432109");
        assert!(
            c["lat"].is_f64() && c["block_name"].is_string(),
            "position and block from the pincode"
        );
        let id = c["center_id"].as_i64().unwrap();

        let again = app
            .admin("POST", "/admin/v1/centers", Some(new_centre()))
            .await;
        assert_eq!(
            (again.status, again.json["errorCode"].as_str()),
            (StatusCode::CONFLICT, Some("SEHAT0409"))
        );

        let patched = app
            .admin(
                "PATCH",
                &format!("/admin/v1/centers/{id}"),
                Some(json!({"fee_type": "Paid", "active": false})),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK);
        assert_eq!(
            (
                patched.json["fee_type"].as_str(),
                patched.json["active"].as_bool()
            ),
            (Some("Paid"), Some(false))
        );
        assert_eq!(
            app.admin("GET", &format!("/admin/v1/centers/{id}"), None)
                .await
                .json["fee_type"],
            "Paid"
        );
        let missing = app.admin("GET", "/admin/v1/centers/999999", None).await;
        assert_eq!(
            (missing.status, missing.json["errorCode"].as_str()),
            (StatusCode::NOT_FOUND, Some("SEHAT0404"))
        );

        let list = app
            .admin(
                "GET",
                "/admin/v1/centers?district_id=376&name=koregaon",
                None,
            )
            .await;
        assert_eq!(list.json["centers"].as_array().unwrap().len(), 1);
        app.teardown().await;
    }
}

#[tokio::test]
async fn invalid_centres_are_refused_naming_the_field_and_nothing_is_written() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let cases = [
            (json!({"district_id": 376, "pincode": "415501"}), "name"),
            (
                json!({"name": "X", "district_id": 376, "pincode": "41550"}),
                "pincode",
            ),
            (
                json!({"name": "X", "district_id": 376, "pincode": "110003"}),
                "pincode",
            ),
            (
                json!({"name": "X", "district_id": 99999, "pincode": "415501"}),
                "district",
            ),
            (
                json!({"name": "X", "state_id": 16, "district_id": 376, "pincode": "415501"}),
                "district",
            ),
            (
                json!({"name": "X", "district_id": 376, "pincode": "415501", "lat": 51.5, "long": 0.1}),
                "lat",
            ),
            (
                json!({"name": "X", "district_id": 376, "pincode": "415501", "vaccines": ["NOPE"]}),
                "vaccines",
            ),
            (
                json!({"name": "X", "district_id": 376, "pincode": "415501", "incharge_mobile": "123"}),
                "incharge_mobile",
            ),
            (
                json!({"name": "X", "district_id": 376, "pincode": "415501", "status": "ACTIVE"}),
                "status",
            ),
            (
                json!({"name": "X", "district_id": "three", "pincode": "415501"}),
                "district_id",
            ),
        ];
        for (body, field) in cases {
            let reply = app
                .admin("POST", "/admin/v1/centers", Some(body.clone()))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{body} → {}",
                reply.json
            );
            assert_eq!(reply.json["errorCode"], "SEHAT0400");
            assert!(
                reply.json["field"].as_str().unwrap_or("").contains(field)
                    || reply.json["error"].as_str().unwrap().contains(field),
                "{body} should name {field}: {}",
                reply.json
            );
        }
        let not_json = axum::http::Request::post("/admin/v1/centers")
            .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
            .header("content-type", "text/plain")
            .body(axum::body::Body::from("name=x"))
            .unwrap();
        assert_eq!(
            app.send(not_json).await.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let list = app.admin("GET", "/admin/v1/centers", None).await;
        assert_eq!(list.json["centers"], json!([]), "nothing written");
        app.teardown().await;
    }
}

#[tokio::test]
async fn sessions_open_from_a_template_close_and_show_in_utilization() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let id = app
            .admin("POST", "/admin/v1/centers", Some(new_centre()))
            .await
            .json["center_id"]
            .as_i64()
            .unwrap();
        let plan = json!({
            "from": "2026-03-02", "to": "08-03-2026", "vaccine": "COVISHIELD", "min_age": 18,
            "capacity_online": 100, "capacity_walkin": 20,
            "slots": [{"name": "Morning", "timings": "9AM-11AM"}, {"timings": "01:00PM-03:00PM"}]
        });
        let opened = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{id}/sessions"),
                Some(plan.clone()),
            )
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
        assert_eq!(opened.json["outcome"]["sessions_created"], 7);
        let sessions = opened.json["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 7);
        assert_eq!(sessions[0]["slots"][1]["slot_name"], "Afternoon");
        assert_eq!(sessions[0]["slots"][0]["timings"], "09:00AM-11:00AM");
        assert_eq!(sessions[0]["available"], 100);

        let again = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{id}/sessions"),
                Some(plan),
            )
            .await;
        assert_eq!(
            again.json["outcome"],
            json!({"centers_created":0,"centers_updated":0,"sessions_created":0,"slots_created":0,"sessions_updated":0})
        );

        let session_id = sessions[2]["session_id"].as_str().unwrap();
        let closed = app
            .admin(
                "POST",
                &format!("/admin/v1/sessions/{session_id}/close"),
                None,
            )
            .await;
        assert_eq!(
            (closed.status, closed.json["status"].as_str()),
            (StatusCode::OK, Some("CLOSED"))
        );
        let bad = app
            .admin("POST", "/admin/v1/sessions/not-a-uuid/close", None)
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        app.db
            .execute("UPDATE slots SET booked = 25, booked_dose1 = 25")
            .await
            .unwrap();
        let u = app
            .admin(
                "GET",
                &format!("/admin/v1/centers/{id}/utilization?from=2026-03-01&to=2026-03-10"),
                None,
            )
            .await;
        assert_eq!(u.status, StatusCode::OK, "{}", u.json);
        let days = u.json["days"].as_array().unwrap();
        assert_eq!(days.len(), 7);
        assert_eq!(
            days[0],
            json!({"date":"2026-03-02","sessions":1,"capacity":100,"booked":50,"available":50,"utilization":0.5})
        );
        assert_eq!(
            (
                days[2]["capacity"].as_u64(),
                days[2]["booked"].as_u64(),
                days[2]["available"].as_u64()
            ),
            (Some(100), Some(50), Some(0)),
            "a closed session's seats count as offered, none as bookable"
        );

        let listed = app
            .admin("GET", &format!("/admin/v1/centers/{id}/sessions"), None)
            .await;
        assert_eq!(
            listed.json["sessions"].as_array().unwrap().len(),
            7,
            "today + 13 days covers the plan"
        );

        let bad_plan = json!({"from": "2026-03-05", "to": "2026-03-01", "vaccine": "COVISHIELD", "capacity_online": 1, "slots": [{"timings": "9AM-11AM"}]});
        let refused = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{id}/sessions"),
                Some(bad_plan),
            )
            .await;
        assert_eq!(
            (refused.status, refused.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("to"))
        );
        app.teardown().await;
    }
}

pub(crate) fn csv(rows: &[&str]) -> Vec<u8> {
    let mut out = String::from(HEADER);
    for r in rows {
        out.push('\n');
        out.push_str(r);
    }
    out.push('\n');
    out.into_bytes()
}

pub(crate) const GOOD_ROW: &str = "Maharashtra,Satara,,415501,PHC Koregaon,Sunil Kumar,8765432109,17.70,74.16,COVISHIELD,02-03-2026,04-03-2026,90,Morning 09:00AM-11:00AM;Afternoon 01:00PM-03:00PM,100";
const OTHER_ROW: &str =
    "21,363,,411005,Kamla Nehru Hospital,,,,,COVAXIN,2026-03-02,2026-03-03,50,10AM-1PM,60";
pub(crate) const BAD_ROW: &str =
    "Maharashtra,Satara,,110003,PHC Nowhere,,,,,COVISHIELD,02-03-2026,04-03-2026,90,9AM-11AM,100";

#[tokio::test]
async fn uploads_without_a_file_or_with_a_bad_name_or_type_get_the_spec_error_codes() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let body = csv(&[GOOD_ROW]);
        type Part<'a> = Option<(&'a str, &'a str, &'a str, &'a [u8])>;
        let cases: [(Part<'_>, &str, &str); 5] = [
            (None, "USRRES0001", "INPUT_FILE_MISSING"),
            (
                Some(("other", "f.csv", "text/csv", &body)),
                "USRRES0001",
                "INPUT_FILE_MISSING",
            ),
            (
                Some(("file", "../../etc/passwd.csv", "text/csv", &body)),
                "USRRES0002",
                "INVALID_FILE_NAME",
            ),
            (
                Some((
                    "file",
                    "facilities.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &body,
                )),
                "USRRES0003",
                "INVALID_FILE_TYPE",
            ),
            (
                Some((
                    "file",
                    "facilities.csv",
                    "image/png",
                    b"\x89PNG\r\n\x1a\n\0\0\0",
                )),
                "USRRES0003",
                "INVALID_FILE_TYPE",
            ),
        ];
        for (part, code, error) in cases {
            let reply = app.upload("", part).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{code}: {}",
                reply.json
            );
            assert_eq!(reply.json, json!({"errorCode": code, "error": error}));
        }
        let binary = app
            .upload(
                "",
                Some(("file", "f.csv", "text/csv", b"\xff\xfe\x00\x01garbage")),
            )
            .await;
        assert_eq!(
            binary.json["errorCode"], "USRRES0003",
            "undecodable content is not CSV: {}",
            binary.json
        );
        assert_eq!(
            app.admin("GET", "/admin/v1/centers", None).await.json["centers"],
            json!([])
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn wrong_headers_are_listed_under_wrong_headers() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let file = format!(
            "{}\n{GOOD_ROW}\n",
            HEADER
                .replace("Facilityname", "Facility Nam")
                .replace("Lang", "Long")
        );
        let reply = app
            .upload("", Some(("file", "f.csv", "text/csv", file.as_bytes())))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            reply.json,
            json!({
                "errorCode": "USRRES0005", "error": "INVALID_FILE_HEADERS",
                "Wrong-Headers": ["Facility Nam", "Long"], "Missing-Headers": ["Facilityname", "Lang"]
            })
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn an_upload_imports_valid_rows_reports_bad_ones_and_is_idempotent() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let file = csv(&[GOOD_ROW, BAD_ROW, OTHER_ROW]);
        let first = app
            .upload("", Some(("file", "facilities.csv", "text/csv", &file)))
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json);
        let r = &first.json;
        assert_eq!(
            (
                r["rows"].as_u64(),
                r["accepted"].as_u64(),
                r["rejected"].as_u64()
            ),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(
            (
                r["centers_created"].as_u64(),
                r["sessions_created"].as_u64(),
                r["slots_created"].as_u64()
            ),
            (Some(2), Some(5), Some(8))
        );
        assert_eq!(
            r["errors"],
            json!([{"row": 3, "column": "Pincode", "reason": "pincode is not in that district"}])
        );

        let second = app
            .upload("", Some(("file", "facilities.csv", "text/csv", &file)))
            .await;
        let r = &second.json;
        assert_eq!(
            (
                r["centers_created"].as_u64(),
                r["centers_updated"].as_u64(),
                r["sessions_created"].as_u64(),
                r["slots_created"].as_u64(),
                r["sessions_updated"].as_u64()
            ),
            (Some(0), Some(0), Some(0), Some(0), Some(0)),
            "the same file twice changes nothing: {r}"
        );
        let list = app.admin("GET", "/admin/v1/centers", None).await;
        assert_eq!(list.json["centers"].as_array().unwrap().len(), 2);
        app.teardown().await;
    }
}

#[tokio::test]
async fn an_all_or_nothing_upload_with_a_bad_row_writes_nothing() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let file = csv(&[
            GOOD_ROW,
            OTHER_ROW,
            BAD_ROW,
            "Maharashtra,Satara,,415501,,,,,,,,,,,",
        ]);
        let reply = app
            .upload(
                "?mode=all-or-nothing",
                Some(("file", "f.csv", "text/csv", &file)),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.json
        );
        assert_eq!(
            (
                reply.json["committed"].as_bool(),
                reply.json["rejected"].as_u64()
            ),
            (Some(false), Some(2))
        );
        let rows: Vec<u64> = reply.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["row"].as_u64().unwrap())
            .collect();
        assert_eq!(rows, vec![4, 5]);
        assert_eq!(
            app.admin("GET", "/admin/v1/centers", None).await.json["centers"],
            json!([])
        );

        let ok = app
            .upload(
                "?mode=all-or-nothing",
                Some(("file", "f.csv", "text/csv", &csv(&[GOOD_ROW, OTHER_ROW]))),
            )
            .await;
        assert_eq!(
            (ok.status, ok.json["committed"].as_bool()),
            (StatusCode::OK, Some(true))
        );
        let bad_mode = app
            .upload(
                "?mode=sometimes",
                Some(("file", "f.csv", "text/csv", &file)),
            )
            .await;
        assert_eq!(bad_mode.status, StatusCode::BAD_REQUEST);
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_row_that_would_cut_capacity_below_bookings_is_refused_whole() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.upload("", Some(("file", "f.csv", "text/csv", &csv(&[GOOD_ROW]))))
            .await;
        app.db
            .execute("UPDATE slots SET capacity_dose1 = capacity, booked = 40, booked_dose1 = 40")
            .await
            .unwrap();
        let smaller = GOOD_ROW
            .replace("Sunil Kumar", "Anita Sharma")
            .replace(",90,", ",60,");
        let reply = app
            .upload("", Some(("file", "f.csv", "text/csv", &csv(&[&smaller]))))
            .await;
        assert_eq!(reply.json["rejected"], 1, "{}", reply.json);
        assert_eq!(reply.json["errors"][0]["column"], "slots");
        let centre = &app.admin("GET", "/admin/v1/centers", None).await.json["centers"][0];
        assert_eq!(
            centre["incharge_name"], "Sunil Kumar",
            "the refused row's centre change was rolled back too"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn reopening_with_a_smaller_template_removes_the_slots_it_leaves_out() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let id = app
            .admin("POST", "/admin/v1/centers", Some(new_centre()))
            .await
            .json["center_id"]
            .as_i64()
            .unwrap();
        let uri = format!("/admin/v1/centers/{id}/sessions");
        let two = json!({"from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "capacity_online": 101,
            "slots": [{"name": "Morning", "timings": "9AM-11AM"}, {"name": "Afternoon", "timings": "1PM-3PM"}]});
        app.admin("POST", &uri, Some(two)).await;
        let one = json!({"from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "capacity_online": 10,
            "slots": [{"name": "Evening", "timings": "5PM-7PM"}]});
        let reply = app.admin("POST", &uri, Some(one)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "nothing created: {}",
            reply.json
        );
        let session = &reply.json["sessions"][0];
        assert_eq!(
            (
                session["capacity_online"].as_u64(),
                session["available"].as_u64()
            ),
            (Some(10), Some(10)),
            "{session}"
        );
        assert_eq!(session["slots"].as_array().unwrap().len(), 1);

        // A slot with bookings cannot be dropped from the template.
        app.db
            .execute("UPDATE slots SET booked = 3, booked_dose1 = 3")
            .await
            .unwrap();
        let other = json!({"from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "capacity_online": 10,
            "slots": [{"name": "Night", "timings": "8PM-9PM"}]});
        let refused = app.admin("POST", &uri, Some(other)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.json);

        let past = json!({"from": "2026-02-01", "to": "2026-03-02", "vaccine": "COVISHIELD", "capacity_online": 10,
            "slots": [{"timings": "8PM-9PM"}]});
        let refused = app.admin("POST", &uri, Some(past)).await;
        assert_eq!(
            (refused.status, refused.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("from"))
        );
        let mixed = json!({"from": "2026-03-03", "to": "2026-03-03", "vaccine": "covishield", "capacity_online": 10,
            "slots": [{"timings": "8AM-9AM", "capacity": 4}, {"timings": "1PM-2PM"}]});
        assert_eq!(
            app.admin("POST", &uri, Some(mixed)).await.status,
            StatusCode::BAD_REQUEST
        );
        let unknown = json!({"from": "2026-03-03", "to": "2026-03-03", "vaccine": "NOPE", "capacity_online": 10, "slots": [{"timings": "8AM-9AM"}]});
        assert_eq!(
            app.admin("POST", &uri, Some(unknown)).await.json["field"],
            "vaccine"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_centre_offering_two_vaccines_uploads_idempotently() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let covaxin = GOOD_ROW.replace("COVISHIELD", "COVAXIN");
        let file = csv(&[GOOD_ROW, &covaxin]);
        let first = app
            .upload("", Some(("file", "f.csv", "text/csv", &file)))
            .await;
        assert_eq!(first.json["sessions_created"], 6, "{}", first.json);
        let second = app
            .upload("", Some(("file", "f.csv", "text/csv", &file)))
            .await;
        assert_eq!(
            (
                second.json["centers_updated"].as_u64(),
                second.json["sessions_updated"].as_u64()
            ),
            (Some(0), Some(0)),
            "{}",
            second.json
        );
        let centre = &app.admin("GET", "/admin/v1/centers", None).await.json["centers"][0];
        assert_eq!(centre["vaccines"], json!(["COVISHIELD", "COVAXIN"]));
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_partial_upload_that_turns_unreadable_reports_what_it_committed() {
    let app = TestApp::new("sqlite").await;
    let mut file = csv(&[GOOD_ROW, OTHER_ROW]);
    file.extend_from_slice(b"Maharashtra,Satara,,415501,PHC \xe9,,,,,,,,,,\n");
    let reply = app
        .upload("", Some(("file", "f.csv", "text/csv", &file)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        (
            reply.json["committed"].as_bool(),
            reply.json["accepted"].as_u64()
        ),
        (Some(true), Some(2))
    );
    assert!(
        reply.json["stopped_early"]
            .as_str()
            .unwrap()
            .contains("after 2 rows"),
        "{}",
        reply.json
    );
    let past = GOOD_ROW.replace("02-03-2026,04-03-2026", "02-02-2026,04-02-2026");
    let reply = app
        .upload("", Some(("file", "f.csv", "text/csv", &csv(&[&past]))))
        .await;
    assert_eq!(
        (reply.status, reply.json["errors"][0]["column"].as_str()),
        (StatusCode::OK, Some("Startdate")),
        "partial mode answers 200"
    );
    app.teardown().await;
}

#[tokio::test]
async fn an_upload_without_a_multipart_body_is_input_file_missing() {
    let app = TestApp::new("sqlite").await;
    let reply = app
        .admin(
            "POST",
            "/admin/v1/facilities/upload",
            Some(json!({"file": "x"})),
        )
        .await;
    assert_eq!(
        (reply.status, reply.json["errorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("USRRES0001"))
    );
    let reply = app.admin("DELETE", "/admin/v1/centers", None).await;
    assert_eq!(
        (reply.status, reply.json["errorCode"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("SEHAT0405"))
    );
    for limit in ["0", "501"] {
        let reply = app
            .admin("GET", &format!("/admin/v1/centers?limit={limit}"), None)
            .await;
        assert_eq!(
            (reply.status, reply.json["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("limit"))
        );
    }
    let reply = app.admin("GET", "/admin/v1/centers/abc", None).await;
    assert_eq!(reply.json["field"], "center_id");
    app.teardown().await;
}

#[tokio::test]
async fn an_upload_declared_larger_than_the_limit_gets_413_before_its_body_is_read() {
    let config = sehat_api::ApiConfig {
        admin_token: Some(common::ADMIN_TOKEN.into()),
        upload_limit_bytes: 2_000,
        ..sehat_api::ApiConfig::default()
    };
    let app = TestApp::with_config("sqlite", config).await;
    let stalled = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
    let request = axum::http::Request::post("/admin/v1/facilities/upload")
        .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", "17000000")
        .body(axum::body::Body::from_stream(stalled))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(
        (reply.status, reply.json["errorCode"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("SEHAT0413"))
    );
    app.teardown().await;
}

#[tokio::test]
async fn an_upload_that_moves_a_centre_refreshes_cached_searches() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let uri = "/api/v2/appointment/sessions/public/findByPin?pincode=415501&date=02-03-2026";
        let first = app
            .upload("", Some(("file", "f.csv", "text/csv", &csv(&[GOOD_ROW]))))
            .await;
        assert!(first.status.is_success(), "{}", first.json);
        let before = app.call("GET", uri, None, None).await;
        assert_eq!(before.json["sessions"][0]["lat"], 17, "{}", before.json);
        assert!(
            app.state.search_cache.stats().entries > 0,
            "the answer is cached"
        );

        // The same centre (same name and pincode), moved: only its fields change, not its
        // sessions; the cached answer must still go.
        let moved = GOOD_ROW.replace("17.70,74.16", "18.70,74.16");
        let second = app
            .upload("", Some(("file", "f.csv", "text/csv", &csv(&[&moved]))))
            .await;
        assert!(second.status.is_success(), "{}", second.json);
        let after = app.call("GET", uri, None, None).await;
        assert_eq!(after.json["sessions"][0]["lat"], 18, "{}", after.json);
        app.teardown().await;
    }
}

#[tokio::test]
async fn an_upload_that_passes_the_limit_half_way_gets_413_and_writes_nothing() {
    // 1,200 valid rows (more than two partial-mode batches) with no declared length: the limit
    // is only found out after the first batches could have been committed.
    let rows: Vec<String> = (0..1200)
        .map(|i| GOOD_ROW.replace("PHC Koregaon", &format!("PHC Koregaon {i}")))
        .collect();
    let file = csv(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    for backend in backends() {
        let config = sehat_api::ApiConfig {
            admin_token: Some(common::ADMIN_TOKEN.into()),
            upload_limit_bytes: file.len() - 1000,
            ..sehat_api::ApiConfig::default()
        };
        let app = TestApp::with_config(backend, config).await;
        let reply = app
            .upload("", Some(("file", "f.csv", "text/csv", &file)))
            .await;
        assert_eq!(
            (reply.status, reply.json["errorCode"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("SEHAT0413")),
            "{backend}: {}",
            reply.json
        );
        let centers = app.admin("GET", "/admin/v1/centers", None).await;
        assert_eq!(
            centers.json["centers"],
            json!([]),
            "{backend}: nothing written"
        );

        // The same file under the limit is imported whole.
        let config = sehat_api::ApiConfig {
            admin_token: Some(common::ADMIN_TOKEN.into()),
            upload_limit_bytes: file.len() + 1000,
            ..sehat_api::ApiConfig::default()
        };
        let roomy = TestApp::with_config(backend, config).await;
        let reply = roomy
            .upload("", Some(("file", "f.csv", "text/csv", &file)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.json);
        assert_eq!(reply.json["accepted"], 1200, "{backend}: {}", reply.json);
        roomy.teardown().await;
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_json_body_declared_larger_than_the_limit_gets_413_before_it_is_read() {
    let app = TestApp::new("sqlite").await;
    for uri in ["/api/v2/auth/public/generateOTP", "/admin/v1/centers"] {
        // A body that never comes: reading it would wait for ever.
        let stalled = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
        let request = axum::http::Request::post(uri)
            .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
            .header("content-type", "application/json")
            .header("content-length", "17000000")
            .body(axum::body::Body::from_stream(stalled))
            .unwrap();
        let reply = tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
            .await
            .expect("answered without reading the body");
        assert_eq!(
            (reply.status, reply.json["errorCode"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("SEHAT0413")),
            "{uri}"
        );
    }
    app.teardown().await;
}
