//! Booking under contention, on every configured backend: many concurrent requests on a few hot
//! slots never overbook, keep each slot's booked count equal to its appointment rows, and never
//! book a beneficiary twice for a dose.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use sehat_store::testing::backends;
use serde_json::{Value, json};
use std::time::Instant;
use tower::ServiceExt;

/// 75 families of four: 300 beneficiaries, with a family token each.
async fn families(app: &TestApp) -> Vec<(String, Vec<i64>)> {
    let guest = app.guest().await;
    let mut out = Vec::new();
    for f in 0..75 {
        let mobile = format!("9{:09}", 100_000 + f);
        let mut members = Vec::new();
        for m in 0..4 {
            let body = json!({"name": format!("Person {f}-{m}"), "birth_year": "1980", "gender": "Male", "mobile_number": mobile,
                "photo_id_type": 4, "photo_id_number": format!("JOB{f:04}{m}"), "consent": "Y"});
            let r = app
                .call(
                    "POST",
                    "/api/v1/registration/beneficiary/add",
                    Some(&guest),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json);
            members.push(r.json["beneficiary_reference_id"].as_i64().unwrap());
        }
        out.push((app.family(&mobile).await, members));
    }
    out
}

/// Sends all requests at once and returns (status, body) of each, in order.
async fn all_at_once(
    app: &TestApp,
    requests: Vec<(String, String, Value)>,
) -> Vec<(StatusCode, Value)> {
    let mut tasks = Vec::new();
    for (uri, token, body) in requests {
        let router = app.app.clone();
        tasks.push(tokio::spawn(async move {
            let request = Request::post(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn assert_invariants(app: &TestApp, slots: &[i64], capacity: i64) -> Vec<i64> {
    let mut booked = Vec::new();
    for slot in slots {
        let counter = app
            .db
            .number(&format!("SELECT booked FROM slots WHERE id = {slot}"))
            .await;
        let rows = app
            .db
            .number(&format!(
                "SELECT COUNT(*) FROM appointment_beneficiaries ab JOIN appointments a ON a.number = ab.appointment_no \
                 WHERE a.slot_id = {slot} AND ab.status = 'ACTIVE'"
            ))
            .await;
        assert_eq!(
            counter, rows,
            "slot {slot}: booked counter equals its appointment rows"
        );
        assert!(
            counter <= capacity,
            "slot {slot} overbooked: {counter} > {capacity}"
        );
        booked.push(counter);
    }
    let twice = app
        .db
        .number("SELECT COUNT(*) FROM (SELECT beneficiary_id FROM appointment_beneficiaries WHERE status = 'ACTIVE' GROUP BY beneficiary_id, dose HAVING COUNT(*) > 1) t")
        .await;
    assert_eq!(twice, 0, "no beneficiary booked twice for a dose");
    booked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_bookings_on_one_slot_of_100_book_exactly_100() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, slots) = app
            .centre_with_slots("Hot Centre", 18, &[("Morning", "9AM-11AM", 100)])
            .await;
        let families = families(&app).await;
        let requests: Vec<(String, String, Value)> = (0..1000)
            .map(|i| {
                let (token, members) = &families[(i % 300) / 4];
                let who = members[(i % 300) % 4];
                let body = json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [who]});
                ("/api/v1/appointment/scheduleAppointment".to_owned(), token.clone(), body)
            })
            .collect();
        let started = Instant::now();
        let answers = all_at_once(&app, requests).await;
        let elapsed = started.elapsed();
        let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let full = answers
            .iter()
            .filter(|(_, b)| b["errorCode"] == "APPOIN0040")
            .count();
        let already = answers
            .iter()
            .filter(|(_, b)| b["errorCode"] == "APPOIN0045")
            .count();
        assert_eq!(ok, 100, "exactly the capacity is booked");
        assert_eq!(
            ok + full + already,
            1000,
            "every other answer is full or already booked: {:?}",
            answers.iter().find(|(s, b)| *s != StatusCode::OK
                && b["errorCode"] != "APPOIN0040"
                && b["errorCode"] != "APPOIN0045")
        );
        assert_eq!(assert_invariants(&app, &slots, 100).await, vec![100]);
        eprintln!(
            "{backend}: 1000 concurrent schedules on one slot of 100 → {ok} booked, {full} full, {already} already booked, in {elapsed:?}"
        );
        app.teardown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_reschedules_and_cancels_mixed_keep_every_counter_exact() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, slots) = app
            .centre_with_slots(
                "Busy Centre",
                18,
                &[("Morning", "9AM-11AM", 100), ("Afternoon", "1PM-3PM", 100)],
            )
            .await;
        let families = families(&app).await;
        let people: Vec<(String, i64)> = families
            .iter()
            .flat_map(|(t, m)| m.iter().map(move |b| (t.clone(), *b)))
            .collect();
        // 100 appointments made beforehand, 50 in each slot.
        let mut held = Vec::new();
        for (i, (token, who)) in people.iter().take(100).enumerate() {
            let slot = slots[i % 2];
            let r = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(token),
                Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slot, "beneficiaries": [who]}))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json);
            held.push((
                token.clone(),
                r.json["appointment_confirmation_no"].as_i64().unwrap(),
                i % 2,
            ));
        }
        let mut requests = Vec::new();
        for i in 0..600 {
            let (token, who) = &people[100 + i % 200];
            let body = json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[i % 2], "beneficiaries": [who]});
            requests.push((
                "/api/v1/appointment/scheduleAppointment".to_owned(),
                token.clone(),
                body,
            ));
        }
        for (i, (token, number, slot)) in held.iter().enumerate() {
            for _ in 0..2 {
                if i % 2 == 0 {
                    requests.push((
                        "/api/v1/appointment/cancel".to_owned(),
                        token.clone(),
                        json!({"appointment_confirmation_no": number}),
                    ));
                } else {
                    let body = json!({"appointment_confirmation_no": number, "center_id": centre, "date": "02-03-2026", "slot_id": slots[1 - slot]});
                    requests.push((
                        "/api/v1/appointment/rescheduleAppointment".to_owned(),
                        token.clone(),
                        body,
                    ));
                }
            }
        }
        // Interleave the kinds so they really run together.
        let n = requests.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| (i * 7919) % n);
        let requests: Vec<_> = order.into_iter().map(|i| requests[i].clone()).collect();
        let started = Instant::now();
        let answers = all_at_once(&app, requests.clone()).await;
        let elapsed = started.elapsed();
        let unexpected: Vec<_> = answers
            .iter()
            .filter(|(s, b)| {
                !matches!(*s, StatusCode::OK | StatusCode::NO_CONTENT)
                    && !matches!(
                        b["errorCode"].as_str(),
                        Some("APPOIN0040" | "APPOIN0045" | "SEHAT0400")
                    )
            })
            .collect();
        assert!(unexpected.is_empty(), "{unexpected:?}");
        let booked = assert_invariants(&app, &slots, 100).await;
        let active = app
            .db
            .number("SELECT COUNT(*) FROM appointment_beneficiaries WHERE status = 'ACTIVE'")
            .await;
        assert_eq!(booked.iter().sum::<i64>(), active);
        let new_bookings = answers
            .iter()
            .zip(&requests)
            .filter(|((s, _), (uri, _, _))| {
                *s == StatusCode::OK && uri.ends_with("/scheduleAppointment")
            })
            .count();
        assert_eq!(
            active,
            50 + i64::try_from(new_bookings).unwrap(),
            "the 50 cancelled left, the 50 moved (or not) stayed"
        );
        let cancelled = app
            .db
            .number("SELECT COUNT(*) FROM appointment_beneficiaries WHERE status = 'CANCELLED'")
            .await;
        assert_eq!(cancelled, 50, "each cancel took effect once");
        eprintln!(
            "{backend}: {n} mixed schedule/reschedule/cancel requests → slots {booked:?}, {new_bookings} new bookings, in {elapsed:?}"
        );
        app.teardown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reschedules_and_cancels_of_one_appointment_move_its_seat_exactly_once() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, slots) = app
            .centre_with_slots(
                "Race Centre",
                18,
                &[("Morning", "9AM-11AM", 5), ("Afternoon", "1PM-3PM", 5)],
            )
            .await;
        let families = families(&app).await;
        // Others hold seats in both slots, so a seat released twice would not show as an error.
        for (i, (other, people)) in families[1..3].iter().enumerate() {
            for who in &people[..2] {
                let r = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(other),
                    Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[i], "beneficiaries": [who]}))).await;
                assert_eq!(r.status, StatusCode::OK);
            }
        }
        let (token, members) = &families[0];
        let r = app.call("POST", "/api/v1/appointment/scheduleAppointment", Some(token),
            Some(json!({"center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [members[0]]}))).await;
        let number = r.json["appointment_confirmation_no"].as_i64().unwrap();
        let mut requests = Vec::new();
        for i in 0..60 {
            let body = json!({"appointment_confirmation_no": number, "center_id": centre, "date": "02-03-2026", "slot_id": slots[i % 2]});
            requests.push((
                "/api/v1/appointment/rescheduleAppointment".to_owned(),
                token.clone(),
                body,
            ));
        }
        requests.insert(
            10,
            (
                "/api/v1/appointment/cancel".to_owned(),
                token.clone(),
                json!({"appointment_confirmation_no": number}),
            ),
        );
        all_at_once(&app, requests).await;
        let booked = assert_invariants(&app, &slots, 5).await;
        assert!(
            booked.iter().sum::<i64>() <= 5,
            "the others' four seats and at most one more: {booked:?}"
        );
        app.teardown().await;
    }
}
