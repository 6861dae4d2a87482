//! The outbox: a booking, a move and a cancel each leave one message job in their own
//! transaction; the worker sends it to the family's mobile under the job's key, retries a
//! failing gateway after a backoff, takes a dead worker's job again once its lease runs out, and
//! gives up after the last attempt. Refusals and idempotent replays leave no job.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use async_trait::async_trait;
use axum::http::StatusCode;
use common::{ADMIN_TOKEN, TestApp};
use sehat_api::ApiConfig;
use sehat_api::notify::{Notifier, OtpDelivery, Sms};
use sehat_api::outbox::Worker;
use sehat_domain::DomainError;
use sehat_domain::clock::Clock;
use sehat_domain::identity::OtpPolicy;
use sehat_domain::outbox::{JobResult, RetryPolicy};
use sehat_store::testing::backends;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Records what it is asked to send; fails the first `failures` sends.
#[derive(Debug, Default)]
struct Gateway {
    sent: Mutex<Vec<(String, String, String)>>,
    /// The key of every call, failed ones included.
    keys: Mutex<Vec<String>>,
    failures: AtomicU32,
    calls: AtomicU32,
}

#[async_trait]
impl Notifier for Gateway {
    async fn send_sms(&self, sms: &Sms<'_>) -> Result<(), DomainError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.keys.lock().unwrap().push(sms.key.to_owned());
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(DomainError::Unavailable("gateway answered 503".into()));
        }
        self.sent.lock().unwrap().push((
            sms.to.expose().to_owned(),
            sms.text.to_owned(),
            sms.key.to_owned(),
        ));
        Ok(())
    }
}

impl Gateway {
    fn sent(&self) -> Vec<(String, String, String)> {
        self.sent.lock().unwrap().clone()
    }
}

async fn app_with(backend: &str, gateway: Arc<Gateway>) -> TestApp {
    TestApp::with_notifier(
        backend,
        ApiConfig {
            admin_token: Some(ADMIN_TOKEN.into()),
            otp_delivery: OtpDelivery::Sandbox,
            otp_policy: OtpPolicy {
                per_address_per_hour: 0,
                ..Default::default()
            },
            ..ApiConfig::default()
        },
        gateway,
    )
    .await
}

const POLICY: RetryPolicy = RetryPolicy {
    lease_ms: 60_000,
    max_attempts: 3,
    backoff_base_ms: 10_000,
    backoff_max_ms: 40_000,
};

/// Registers one person on `mobile` (MNREGA card `card`) and returns (family token, person).
async fn person(app: &TestApp, guest: &str, mobile: &str, card: &str) -> (String, i64) {
    let added = app
        .call("POST", "/api/v1/registration/beneficiary/add", Some(guest), Some(json!({
            "name": "Outbox Test", "birth_year": "1980", "gender": "Female", "mobile_number": mobile,
            "photo_id_type": 4, "photo_id_number": card, "consent": "Y"})))
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    let id = added.json["beneficiary_reference_id"].as_i64().unwrap();
    (app.family(mobile).await, id)
}

async fn book(
    app: &TestApp,
    token: &str,
    centre: i64,
    slot: i64,
    who: i64,
    key: &str,
) -> (StatusCode, i64) {
    let booked = app
        .call_with(
            "POST",
            "/api/v1/appointment/scheduleAppointment",
            Some(token),
            Some(json!({
            "center_id": centre, "date": "02-03-2026", "slot_id": slot, "beneficiaries": [who]})),
            &[("Idempotency-Key", key)],
        )
        .await;
    (
        booked.status,
        booked.json["appointment_confirmation_no"]
            .as_i64()
            .unwrap_or(0),
    )
}

async fn cancel(app: &TestApp, token: &str, number: i64) -> StatusCode {
    app.call(
        "POST",
        "/api/v1/appointment/cancel",
        Some(token),
        Some(json!({"appointment_confirmation_no": number})),
    )
    .await
    .status
}

#[tokio::test]
async fn a_booking_a_move_and_a_cancel_each_send_one_message_to_the_family_mobile() {
    for backend in backends() {
        let gateway = Arc::new(Gateway::default());
        let app = app_with(backend, gateway.clone()).await;
        let worker = Worker::new(&app.state, POLICY);
        let (centre, slots) = app
            .centre_with_slots(
                "Outbox PHC",
                18,
                &[
                    ("Morning", "09:00-11:00", 1),
                    ("Afternoon", "13:00-15:00", 5),
                ],
            )
            .await;
        let guest = app.guest().await;
        let (token, me) = person(&app, &guest, "8796561405", "MNREGA500001").await;
        let (other_token, other) = person(&app, &guest, "8796561406", "MNREGA500002").await;

        let (status, number) = book(&app, &token, centre, slots[0], me, "k-1").await;
        assert_eq!(status, StatusCode::OK);
        // A retry of the same request is answered from its key: no second message.
        assert_eq!(
            book(&app, &token, centre, slots[0], me, "k-1").await,
            (status, number)
        );
        // A refusal (the morning slot is full) leaves nothing to send.
        let (refused, _) = book(&app, &other_token, centre, slots[0], other, "k-2").await;
        assert_eq!(refused, StatusCode::CONFLICT, "{backend}");
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        let moved = app
            .call(
                "POST",
                "/api/v1/appointment/rescheduleAppointment",
                Some(&token),
                Some(json!({
                "appointment_confirmation_no": number, "center_id": centre, "date": "02-03-2026",
                "slot_id": slots[1], "beneficiaries": [me]})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.json);
        assert_eq!(cancel(&app, &token, number).await, StatusCode::NO_CONTENT);
        // One family's messages go one at a time, in order.
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        assert_eq!(worker.run_due().await.unwrap(), 0, "nothing runs twice");

        let sent = gateway.sent();
        let texts: Vec<&str> = sent.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                format!(
                    "Appointment {number} confirmed: dose 1 of COVISHIELD for 1 person at Outbox PHC, 02-03-2026, 09:00AM-11:00AM."
                ),
                format!(
                    "Appointment {number} rescheduled: dose 1 of COVISHIELD for 1 person at Outbox PHC, 02-03-2026, 01:00PM-03:00PM."
                ),
                format!("Appointment {number} at Outbox PHC on 02-03-2026 cancelled for 1 person."),
            ],
            "{backend}"
        );
        assert!(sent.iter().all(|(to, _, _)| to == "8796561405"), "{sent:?}");
        let keys: HashSet<&str> = sent.iter().map(|(_, _, k)| k.as_str()).collect();
        assert_eq!(keys.len(), 3, "one key per job");
        assert_eq!(app.state.store.job_counts().await.unwrap(), (0, 0));
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_failing_gateway_is_retried_after_a_backoff_under_the_same_key_and_then_given_up() {
    for backend in backends() {
        let gateway = Arc::new(Gateway::default());
        let app = app_with(backend, gateway.clone()).await;
        let worker = Worker::new(&app.state, POLICY);
        let (centre, slots) = app
            .centre_with_slots("Retry PHC", 18, &[("Morning", "09:00-11:00", 5)])
            .await;
        let guest = app.guest().await;
        let (token, me) = person(&app, &guest, "8796561407", "MNREGA500003").await;

        gateway.failures.store(1, Ordering::SeqCst);
        let (status, number) = book(&app, &token, centre, slots[0], me, "r-1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(worker.run_due().await.unwrap(), 1);
        assert!(gateway.sent().is_empty());
        assert_eq!(app.state.store.job_counts().await.unwrap(), (1, 0));
        // Not due before its backoff…
        app.clock.advance(time::Duration::seconds(9));
        assert_eq!(worker.run_due().await.unwrap(), 0, "{backend}");
        // …and sent once it is.
        app.clock.advance(time::Duration::seconds(1));
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        assert_eq!(gateway.sent().len(), 1);
        let keys = gateway.keys.lock().unwrap().clone();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[0], keys[1],
            "the retry carries the first attempt's key"
        );

        // A gateway that never recovers: attempts 1 and 2 are retried (10 s, then 20 s), the
        // third is the last.
        gateway.failures.store(u32::MAX, Ordering::SeqCst);
        assert_eq!(cancel(&app, &token, number).await, StatusCode::NO_CONTENT);
        assert_eq!(worker.run_due().await.unwrap(), 1);
        app.clock.advance(time::Duration::seconds(10));
        assert_eq!(worker.run_due().await.unwrap(), 1);
        app.clock.advance(time::Duration::seconds(19));
        assert_eq!(worker.run_due().await.unwrap(), 0, "the backoff doubled");
        app.clock.advance(time::Duration::seconds(1));
        assert_eq!(worker.run_due().await.unwrap(), 1);
        assert_eq!(app.state.store.job_counts().await.unwrap(), (0, 1));
        app.clock.advance(time::Duration::hours(2));
        assert_eq!(
            worker.run_due().await.unwrap(),
            0,
            "a failed job stays failed"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_after_its_lease_and_two_workers_never_share_one() {
    for backend in backends() {
        let gateway = Arc::new(Gateway::default());
        let app = app_with(backend, gateway.clone()).await;
        let worker = Worker::new(&app.state, POLICY);
        let (centre, slots) = app
            .centre_with_slots("Lease PHC", 18, &[("Morning", "09:00-11:00", 5)])
            .await;
        let guest = app.guest().await;
        let mut people = Vec::new();
        for i in 0..4 {
            people.push(
                person(
                    &app,
                    &guest,
                    &format!("879656141{i}"),
                    &format!("MNREGA60000{i}"),
                )
                .await,
            );
        }
        for (i, (token, who)) in people.iter().enumerate() {
            let (status, _) = book(&app, token, centre, slots[0], *who, &format!("l-{i}")).await;
            assert_eq!(status, StatusCode::OK);
        }
        let store = app.state.store.clone();
        let now = app.clock.now_millis();
        // Two workers lease at once: each job goes to one of them.
        let (a, b) = tokio::join!(
            store.lease_jobs(now, 60_000, 3),
            store.lease_jobs(now, 60_000, 3)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.len() <= 3 && b.len() <= 3,
            "{backend}: a lease takes at most its batch"
        );
        let ids: HashSet<i64> = a.iter().chain(&b).map(|j| j.id).collect();
        assert_eq!(ids.len(), 4, "{backend}: every job leased once");
        assert_eq!(a.len() + b.len(), 4, "{backend}: no job leased twice");
        // Both "die" without a word: their jobs are not due until the lease runs out…
        assert_eq!(worker.run_due().await.unwrap(), 0);
        app.clock.advance(time::Duration::seconds(60));
        // …then they run, under the keys they were leased with.
        assert_eq!(worker.run_due().await.unwrap(), 4, "{backend}");
        let sent: HashSet<String> = gateway.sent().into_iter().map(|(_, _, k)| k).collect();
        let leased: HashSet<String> = a.iter().chain(&b).map(|j| j.key.clone()).collect();
        assert_eq!(sent, leased);
        assert_eq!(store.job_counts().await.unwrap(), (0, 0));
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_family_gets_its_messages_in_order_and_a_stale_worker_cannot_push_a_job_back() {
    for backend in backends() {
        let gateway = Arc::new(Gateway::default());
        let app = app_with(backend, gateway.clone()).await;
        let worker = Worker::new(&app.state, POLICY);
        let (centre, slots) = app
            .centre_with_slots("Order PHC", 18, &[("Morning", "09:00-11:00", 5)])
            .await;
        let guest = app.guest().await;
        let (token, me) = person(&app, &guest, "8796561420", "MNREGA700001").await;

        // The confirmation fails and waits 10 s; the cancel a moment later waits behind it.
        gateway.failures.store(1, Ordering::SeqCst);
        let (_, number) = book(&app, &token, centre, slots[0], me, "o-1").await;
        assert_eq!(worker.run_due().await.unwrap(), 1);
        assert_eq!(cancel(&app, &token, number).await, StatusCode::NO_CONTENT);
        assert_eq!(
            worker.run_due().await.unwrap(),
            0,
            "{backend}: the cancel waits"
        );
        app.clock.advance(time::Duration::seconds(10));
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        let texts: Vec<String> = gateway.sent().into_iter().map(|(_, t, _)| t).collect();
        assert!(texts[0].contains(" confirmed:"), "{texts:?}");
        assert!(texts[1].contains(" cancelled "), "{texts:?}");

        // A worker leases a job and stalls past its lease; another takes it (attempt 2).
        let (_, again) = book(&app, &token, centre, slots[0], me, "o-2").await;
        assert!(again > 0);
        let store = app.state.store.clone();
        let stale = store
            .lease_jobs(app.clock.now_millis(), 60_000, 10)
            .await
            .unwrap();
        assert_eq!(stale.len(), 1);
        app.clock.advance(time::Duration::seconds(60));
        let current = store
            .lease_jobs(app.clock.now_millis(), 60_000, 10)
            .await
            .unwrap();
        assert_eq!((current[0].id, current[0].attempts), (stale[0].id, 2));
        // The stale worker's failure report would push the job an hour back: it is ignored…
        let late = RetryPolicy {
            backoff_base_ms: 3_600_000,
            backoff_max_ms: 3_600_000,
            ..POLICY
        }
        .after_failure(1, app.clock.now_millis(), "late".into());
        store
            .finish_jobs(&[(stale[0].id, 1, late)], app.clock.now_millis())
            .await
            .unwrap();
        // …so when the second lease runs out too, the job runs.
        app.clock.advance(time::Duration::seconds(60));
        assert_eq!(worker.run_due().await.unwrap(), 1, "{backend}");
        // A stale "failed for good" after it was sent changes nothing either.
        store
            .finish_jobs(
                &[(
                    stale[0].id,
                    1,
                    JobResult::Failed {
                        error: "late".into(),
                    },
                )],
                app.clock.now_millis(),
            )
            .await
            .unwrap();
        assert_eq!(store.job_counts().await.unwrap(), (0, 0), "{backend}");
        let rows = app.db.store.outbox_rows().await.unwrap();
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter().all(|r| r.outcome.as_deref() == Some("SENT")),
            "{rows:?}"
        );
        app.teardown().await;
    }
}
