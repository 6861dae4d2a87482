//! What a CoWIN v2 booking app does, over real HTTP on loopback, and the live availability feed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use common::{TestApp, sha256_hex};
use sehat_store::testing::backends;
use serde_json::{Value, json};
use std::time::Duration;

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, bytes, _) = self.raw(method, path, body).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.bytes().await.unwrap().to_vec(), headers)
    }
}

/// A district centre with a morning and an afternoon slot, 20 seats each, half for first doses.
async fn satara_centre(app: &TestApp) -> i64 {
    let r = app
        .admin(
            "POST",
            "/admin/v1/centers",
            Some(json!({"name": "PHC Koregaon", "district_id": 376,
        "pincode": "415501", "lat": 17.70, "long": 74.16, "vaccines": ["COVISHIELD"]})),
        )
        .await;
    let id = r.json["center_id"].as_i64().unwrap();
    let r = app.admin("POST", &format!("/admin/v1/centers/{id}/sessions"), Some(json!({
        "from": "2026-03-02", "to": "2026-03-04", "vaccine": "COVISHIELD", "min_age": 18, "capacity_online": 40, "capacity_dose1": 20,
        "slots": [{"timings": "09:00AM-11:00AM"}, {"timings": "01:00PM-03:00PM"}]}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.json);
    id
}

#[tokio::test]
async fn a_booking_app_finds_a_centre_logs_in_books_downloads_the_slip_and_cancels() {
    let printed_number = regex::Regex::new(r"Appointment ID\s*([1-9][0-9]{13})").unwrap();
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let centre = satara_centre(&app).await;
        let mut client = Client {
            http: reqwest::Client::new(),
            base: app.serve().await,
            token: None,
        };

        // states → districts → calendarByDistrict, as the apps did, without a token.
        let (status, states) = client
            .send("GET", "/api/v2/admin/location/states", None)
            .await;
        assert_eq!(status, 200);
        let maharashtra = states["states"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["state_name"] == "Maharashtra")
            .unwrap()["state_id"]
            .as_i64()
            .unwrap();
        let (_, districts) = client
            .send(
                "GET",
                &format!("/api/v2/admin/location/districts/{maharashtra}"),
                None,
            )
            .await;
        let satara = districts["districts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["district_name"] == "Satara")
            .unwrap()["district_id"]
            .as_i64()
            .unwrap();
        let calendar_path = format!(
            "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={satara}&date=02-03-2026"
        );
        let (status, calendar) = client.send("GET", &calendar_path, None).await;
        assert_eq!(status, 200, "{calendar}");
        let found = &calendar["centers"][0];
        assert_eq!(found["center_id"], centre);
        let session = found["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["available_capacity_dose1"].as_u64() > Some(0))
            .unwrap()
            .clone();
        assert_eq!(session["available_capacity_dose1"], 20);

        // generateMobileOTP → validateMobileOtp with the SHA-256 of the code.
        let (status, txn) = client.send("POST", "/api/v2/auth/generateMobileOTP",
            Some(json!({"mobile": "9876543210", "secret": "U2FsdGVkX1+z/4Nr9nta+2DrVJSv7KS6VoQUSQ1ZXYDx/CJUkWxFYG6P3iM/VW+6jLQ9RDQVzp/RcZ8kbT41xw=="}))).await;
        assert_eq!(status, 200, "{txn}");
        let (status, login) = client
            .send(
                "POST",
                "/api/v2/auth/validateMobileOtp",
                Some(
                    json!({"otp": sha256_hex(txn["otp"].as_str().unwrap()), "txnId": txn["txnId"]}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        assert_eq!(
            login["isNewAccount"], "Y",
            "a string, as the published schema has it"
        );
        client.token = Some(login["token"].as_str().unwrap().to_owned());

        // Register, then list the family.
        let (_, genders) = client
            .send("GET", "/api/v2/registration/beneficiary/genders", None)
            .await;
        assert_eq!(genders["genders"][1], json!({"id": 2, "gender": "Female"}));
        let (_, types) = client
            .send("GET", "/api/v2/registration/beneficiary/idTypes", None)
            .await;
        assert_eq!(types["types"][0], json!({"id": 1, "type": "Aadhaar Card"}));
        let (status, registered) = client
            .send(
                "POST",
                "/api/v2/registration/beneficiary/new",
                Some(json!({
            "name": "Asha Patil", "birth_year": "1985", "gender_id": 2, "photo_id_type": 1,
            "photo_id_number": "234123412346", "comorbidity_ind": "N", "consent_version": "V1"})),
            )
            .await;
        assert_eq!(status, 200, "{registered}");
        let reference = registered["beneficiary_reference_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, family) = client
            .send("GET", "/api/v2/appointment/beneficiaries", None)
            .await;
        let person = &family["beneficiaries"][0];
        assert_eq!(person["beneficiary_reference_id"], reference.as_str());
        assert_eq!(
            person["mobile_number"], "*****3210",
            "masked but for the last four digits"
        );
        assert_eq!(person["photo_id_number"], "*****2346");
        assert_eq!(person["vaccination_status"], "Not Vaccinated");
        assert_eq!(person["appointments"], json!([]));

        // Book the morning slot for dose 1.
        let (status, booked) = client
            .send(
                "POST",
                "/api/v2/appointment/schedule",
                Some(json!({
            "dose": 1, "session_id": session["session_id"], "slot": "09:00AM-11:00AM",
            "beneficiaries": [reference], "center_id": centre})),
            )
            .await;
        assert_eq!(status, 200, "{booked}");
        let appointment = booked["appointment_confirmation_no"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            uuid::Uuid::parse_str(&appointment).is_ok(),
            "v2 names appointments by UUID: {appointment}"
        );
        let (_, calendar) = client.send("GET", &calendar_path, None).await;
        let now = calendar["centers"][0]["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == session["session_id"])
            .unwrap()
            .clone();
        assert_eq!(
            (
                now["available_capacity"].as_u64(),
                now["available_capacity_dose1"].as_u64(),
                now["available_capacity_dose2"].as_u64()
            ),
            (Some(39), Some(19), Some(20)),
            "the next search shows the booking"
        );
        let (_, family) = client
            .send("GET", "/api/v2/appointment/beneficiaries", None)
            .await;
        let listed = &family["beneficiaries"][0]["appointments"][0];
        assert_eq!(
            (
                listed["appointment_id"].as_str(),
                listed["dose"].as_u64(),
                listed["slot"].as_str()
            ),
            (Some(appointment.as_str()), Some(1), Some("09:00AM-11:00AM"))
        );
        // A second person asks for dose 2 with no dose 1 on record: the records decide, not the
        // client (dose 2 draws on the other pool once dose 1 is recorded; see vaccination.rs).
        let (_, second) = client
            .send(
                "POST",
                "/api/v2/registration/beneficiary/new",
                Some(json!({
            "name": "Ravi Patil", "birth_year": "1980", "gender_id": 1, "photo_id_type": 6,
            "photo_id_number": "ABCPE1234F", "comorbidity_ind": "Y", "consent_version": "V1"})),
            )
            .await;
        let second = second["beneficiary_reference_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, dose2) = client.send("POST", "/api/v2/appointment/schedule", Some(json!({
            "dose": 2, "session_id": session["session_id"], "slot": "01:00PM-03:00PM", "beneficiaries": [second]}))).await;
        assert_eq!(
            (status, dose2["errorCode"].as_str()),
            (400, Some("VACCIN0001")),
            "{dose2}"
        );
        let (_, calendar) = client.send("GET", &calendar_path, None).await;
        let now = calendar["centers"][0]["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == session["session_id"])
            .unwrap()
            .clone();
        assert_eq!(
            (
                now["available_capacity"].as_u64(),
                now["available_capacity_dose1"].as_u64(),
                now["available_capacity_dose2"].as_u64()
            ),
            (Some(39), Some(19), Some(20)),
            "the refused booking took no seat"
        );
        let again = client.send("POST", "/api/v2/appointment/schedule", Some(json!({
            "dose": 1, "session_id": session["session_id"], "slot": "01:00PM-03:00PM", "beneficiaries": [reference]}))).await;
        assert_eq!(
            (again.0, again.1["errorCode"].as_str()),
            (409, Some("APPOIN0045")),
            "one appointment per dose"
        );
        let hoard = client.send("POST", "/api/v2/appointment/schedule", Some(json!({
            "dose": 2, "session_id": session["session_id"], "slot": "01:00PM-03:00PM", "beneficiaries": [reference]}))).await;
        assert_eq!(
            (hoard.0, hoard.1["errorCode"].as_str()),
            (409, Some("APPOIN0045")),
            "one upcoming appointment per person, whatever the dose"
        );

        // The slip: a PDF naming the appointment, with its QR code.
        let (status, pdf, headers) = client
            .raw(
                "GET",
                &format!(
                    "/api/v2/appointment/appointmentslip/download?appointment_id={appointment}"
                ),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/pdf");
        let document = lopdf::Document::load_mem(&pdf).unwrap();
        let text = document.extract_text(&[1]).unwrap();
        // The slip prints the 14-digit confirmation number, what a person reads out at a desk.
        assert!(
            printed_number.is_match(&text)
                && text.contains("Asha Patil")
                && text.contains("PHC Koregaon"),
            "{text}"
        );
        let stranger = Client {
            token: Some(app.family("9999999999").await),
            ..Client {
                http: client.http.clone(),
                base: client.base.clone(),
                token: None,
            }
        };
        let (status, _) = stranger
            .send(
                "GET",
                &format!(
                    "/api/v2/appointment/appointmentslip/download?appointment_id={appointment}"
                ),
                None,
            )
            .await;
        assert_eq!(status, 404, "another family's slip does not exist for them");

        // Reschedule to the afternoon, then cancel: the seats come back.
        let (status, body) = client.send("POST", "/api/v2/appointment/reschedule", Some(json!({
            "appointment_id": appointment, "session_id": session["session_id"], "slot": "01:00PM-03:00PM"}))).await;
        assert_eq!(status, 204, "{body}");
        let (status, body) = client
            .send(
                "POST",
                "/api/v2/appointment/cancel",
                Some(json!({
            "appointment_id": appointment, "beneficiariesToCancel": [reference]})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let (_, calendar) = client.send("GET", &calendar_path, None).await;
        let after = calendar["centers"][0]["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == session["session_id"])
            .unwrap()
            .clone();
        assert_eq!(after["available_capacity"], 40);
        let (_, family) = client
            .send("GET", "/api/v2/appointment/beneficiaries", None)
            .await;
        assert_eq!(family["beneficiaries"][0]["appointments"], json!([]));

        // Without a token, the protected calls answer 401 in the v2 error shape.
        let anonymous = Client {
            http: client.http.clone(),
            base: client.base.clone(),
            token: None,
        };
        let (status, body) = anonymous
            .send("GET", "/api/v2/appointment/beneficiaries", None)
            .await;
        assert_eq!(status, 401);
        assert!(body["errorCode"].is_string() && body["error"].is_string());
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_deployment_can_demand_the_captcha_on_booking() {
    let app = TestApp::with_config(
        "sqlite",
        sehat_api::ApiConfig {
            otp_delivery: sehat_api::notify::OtpDelivery::Sandbox,
            captcha_required: true,
            admin_token: Some(common::ADMIN_TOKEN.into()),
            ..sehat_api::ApiConfig::default()
        },
    )
    .await;
    let (_, slots) = app
        .centre_with_slots("UPHC Captcha", 18, &[("Morning", "9AM-11AM", 10)])
        .await;
    let token = app.family("9876543210").await;
    let registered = app
        .call(
            "POST",
            "/api/v2/registration/beneficiary/new",
            Some(&token),
            Some(json!({
        "name": "Ravi Patil", "birth_year": "1980", "gender_id": 1, "photo_id_type": 1,
        "photo_id_number": "234123412346", "comorbidity_ind": "N", "consent_version": "V1"})),
        )
        .await;
    let reference = registered.json["beneficiary_reference_id"].clone();
    let calendar = app.call("GET", "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=376&date=02-03-2026", None, None).await;
    let session_id = calendar.json["centers"][0]["sessions"][0]["session_id"].clone();
    let book = |captcha: Option<&str>| {
        let mut body = json!({"dose": 1, "session_id": session_id, "slot": "09:00AM-11:00AM", "beneficiaries": [reference]});
        if let Some(c) = captcha {
            body["captcha"] = json!(c);
        }
        body
    };
    let missing = app
        .call(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&token),
            Some(book(None)),
        )
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.json["errorCode"].as_str()),
        (400, Some("APPOIN0044"))
    );
    let shown = app
        .call("POST", "/api/v2/auth/getRecaptcha", Some(&token), None)
        .await;
    let svg = shown.json["captcha"].as_str().unwrap();
    assert!(
        svg.starts_with("<svg") && !svg.contains("<text"),
        "an image, not text"
    );
    let answer = shown.json["answer"].as_str().unwrap().to_owned();
    assert!(!svg.contains(&answer));
    let wrong = app
        .call(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&token),
            Some(book(Some("WRONG"))),
        )
        .await;
    assert_eq!(wrong.json["errorCode"], "APPOIN0044");
    let used = app
        .call(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&token),
            Some(book(Some(&answer))),
        )
        .await;
    assert_eq!(
        used.json["errorCode"], "APPOIN0044",
        "a captcha is tried once: the wrong answer used it up"
    );
    let shown = app
        .call("POST", "/api/v2/auth/getRecaptcha", Some(&token), None)
        .await;
    let answer = shown.json["answer"].as_str().unwrap().to_lowercase();
    let key = [("idempotency-key", "captcha-retry-1")];
    let booked = app
        .call_with(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&token),
            Some(book(Some(&answer))),
            &key,
        )
        .await;
    assert_eq!(booked.status.as_u16(), 200, "{}", booked.json);
    let retried = app
        .call_with(
            "POST",
            "/api/v2/appointment/schedule",
            Some(&token),
            Some(book(Some(&answer))),
            &key,
        )
        .await;
    assert_eq!(
        retried.json, booked.json,
        "a retry replays the first answer; its captcha is not asked again"
    );
    let booked_seats = app
        .db
        .number(&format!("SELECT booked FROM slots WHERE id = {}", slots[0]))
        .await;
    assert_eq!(booked_seats, 1, "only the right answer booked");
    app.teardown().await;
}

/// One server-sent event: its id (if any), type and JSON data.
#[derive(Debug, Clone)]
struct Sse {
    id: Option<u64>,
    kind: String,
    data: Value,
}

/// Reads SSE events from a streaming response until `want` says stop or the time is up.
async fn read_events(
    response: &mut reqwest::Response,
    buffer: &mut String,
    within: Duration,
    mut want: impl FnMut(&[Sse]) -> bool,
) -> Vec<Sse> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, String::new(), None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse::<u64>().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    kind = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str::<Value>(v.trim()).ok();
                }
            }
            if let Some(data) = data {
                events.push(Sse { id, kind, data });
            }
        }
        if want(&events) {
            return events;
        }
        let Ok(chunk) = tokio::time::timeout_at(deadline, response.chunk()).await else {
            return events;
        };
        match chunk.unwrap() {
            Some(bytes) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            None => return events,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_reports_a_booking_within_a_second_and_resumes_from_the_last_event() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (_, slots) = app
            .centre_with_slots("UPHC Feed", 18, &[("Morning", "9AM-11AM", 10)])
            .await;
        app.centre_with_slots("UPHC Quiet", 18, &[("Morning", "9AM-11AM", 5)])
            .await;
        let base = app.serve().await;
        let http = reqwest::Client::new();
        let stream_url =
            format!("{base}/api/v2/appointment/sessions/public/stream?district_id=376");
        let mut feed = http.get(&stream_url).send().await.unwrap();
        assert_eq!(feed.status().as_u16(), 200);
        assert!(
            feed.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut buffer = String::new();
        let snapshot = read_events(&mut feed, &mut buffer, Duration::from_secs(5), |e| {
            e.iter().any(|x| x.kind == "snapshot")
        })
        .await;
        assert_eq!(
            snapshot.len(),
            3,
            "the district's two open sessions, then the end: {snapshot:?}"
        );
        assert!(
            snapshot[..2]
                .iter()
                .all(|e| e.kind == "availability" && e.id.is_none())
        );
        let start = snapshot[2]
            .id
            .expect("the snapshot's end carries the version");
        assert_eq!(snapshot[2].data["sessions"], 2);
        let first = snapshot
            .iter()
            .find(|e| e.data["available_capacity"] == 10)
            .unwrap()
            .data
            .clone();
        let session_id = first["session_id"].clone();

        // Book in another task; this one must see the change within a second.
        let token = app.family("9876543210").await;
        let person = app
            .call(
                "POST",
                "/api/v2/registration/beneficiary/new",
                Some(&token),
                Some(json!({
            "name": "Asha Patil", "birth_year": "1985", "gender_id": 2, "photo_id_type": 1,
            "photo_id_number": "234123412346", "comorbidity_ind": "N", "consent_version": "V1"})),
            )
            .await;
        let reference = person.json["beneficiary_reference_id"].clone();
        let body = json!({"dose": 1, "session_id": session_id, "slot": "09:00AM-11:00AM", "beneficiaries": [reference]});
        let booked_at = tokio::time::Instant::now();
        let booking = tokio::spawn({
            let token = token.clone();
            let client = http.clone();
            let base = base.clone();
            async move {
                let r = client
                    .post(format!("{base}/api/v2/appointment/schedule"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }
        });
        let seen = read_events(&mut feed, &mut buffer, Duration::from_secs(1), |e| {
            e.iter().any(|x| x.data["available_capacity"] == 9)
        })
        .await;
        let elapsed = booked_at.elapsed();
        let (status, confirmation) = booking.await.unwrap();
        assert_eq!(status, 200, "{confirmation}");
        let change = seen
            .iter()
            .find(|e| e.data["available_capacity"] == 9)
            .unwrap_or_else(|| panic!("no event within a second: {seen:?}"));
        assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
        let version = change.id.expect("changes carry their version");
        assert!(version > start, "versions grow: {version} after {start}");
        assert_eq!(change.data["version"].as_u64(), Some(version));
        assert_eq!(
            (
                change.data["session_id"].clone(),
                change.data["available_capacity_dose1"].as_u64()
            ),
            (session_id.clone(), Some(9))
        );
        drop(feed);

        // While nobody listens, the seat is given back; a client resuming from the last event
        // it saw gets exactly that change: no snapshot, nothing about the quiet session.
        let appointment = confirmation["appointment_confirmation_no"].clone();
        let cancelled = app
            .call(
                "POST",
                "/api/v2/appointment/cancel",
                Some(&token),
                Some(json!({"appointment_id": appointment})),
            )
            .await;
        assert_eq!(cancelled.status.as_u16(), 204);
        let mut resumed = http
            .get(&stream_url)
            .header("Last-Event-ID", version.to_string())
            .send()
            .await
            .unwrap();
        let mut buffer = String::new();
        let replay = read_events(
            &mut resumed,
            &mut buffer,
            Duration::from_millis(1500),
            |_| false,
        )
        .await;
        assert_eq!(replay.len(), 1, "{replay:?}");
        assert_eq!(replay[0].kind, "availability");
        assert!(replay[0].id.is_some_and(|id| id > version));
        assert_eq!(
            (
                replay[0].data["session_id"].clone(),
                replay[0].data["available_capacity"].as_u64()
            ),
            (session_id, Some(10))
        );
        let other = http
            .get(format!(
                "{base}/api/v2/appointment/sessions/public/stream?pincode=110001"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status().as_u16(), 200);
        let bad = http
            .get(format!("{base}/api/v2/appointment/sessions/public/stream"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        assert_eq!(slots.len(), 1);

        // Clients that leave a quiet feed leave nothing behind on the server.
        drop((resumed, other));
        let mut receivers = usize::MAX;
        for _ in 0..50 {
            receivers = app.state.feed.subscribers();
            if receivers == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            receivers, 0,
            "every subscriber task ended with its connection"
        );
        app.teardown().await;
    }
}
