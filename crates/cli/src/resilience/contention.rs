//! Suite 1: overbooking and idempotency under contention. Many people book, move and cancel
//! on a few hot slots at once through both CoWIN families, and retry the way real clients do:
//! the same request again with the same `Idempotency-Key` after an answer, after giving up
//! waiting (the connection dropped mid-request), or twice at the same moment. Afterwards the
//! database is read back: no slot over its seats, counters equal rows, nobody twice per dose,
//! every retry answered exactly as the first time, and what each client was told matches what
//! the database holds.

use super::client::{Client, Named, Outcome, appointment_number, error_code, numbers_by_id};
use super::{Prepared, free_addr, gate, round, say};
use crate::bench::dataset::SlotRef;
use crate::bench::load::Call;
use crate::bench::scenarios::Shared;
use crate::keys;
use bytes::Bytes;
use hyper::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sehat_store::Backend;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest an answer is waited for when the client is patient.
const PATIENT: Duration = Duration::from_secs(30);

/// Figures of one kind of call.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct KindFigures {
    /// Requests sent (first sends and retries).
    requests: u64,
    /// Operations whose answer was a success.
    succeeded: u64,
    /// Operations refused as documented, by error code.
    refused: BTreeMap<String, u64>,
    /// Operations answered 5xx or never answered.
    failed: u64,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    kinds: BTreeMap<&'static str, KindFigures>,
    /// Resends of a request already sent (same key and body).
    retries: u64,
    /// Of them, after the client gave up waiting and dropped the connection.
    after_timeout: u64,
    /// Of them, sent at the same moment as the first on a second connection.
    concurrent: u64,
    /// Pairs of answers to one request that were compared.
    compared: u64,
    /// Compared pairs that differ in status or body.
    mismatches: u64,
    first_mismatch: Option<String>,
    first_failure: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (kind, f) in other.kinds {
            let mine = self.kinds.entry(kind).or_default();
            mine.requests += f.requests;
            mine.succeeded += f.succeeded;
            mine.failed += f.failed;
            for (code, n) in f.refused {
                *mine.refused.entry(code).or_default() += n;
            }
        }
        self.retries += other.retries;
        self.after_timeout += other.after_timeout;
        self.concurrent += other.concurrent;
        self.compared += other.compared;
        self.mismatches += other.mismatches;
        if self.first_mismatch.is_none() {
            self.first_mismatch = other.first_mismatch;
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }

    fn compare(&mut self, call: &Call, a: &(StatusCode, Bytes), b: &(StatusCode, Bytes)) {
        self.compared += 1;
        if a != b {
            self.mismatches += 1;
            if self.first_mismatch.is_none() {
                self.first_mismatch = Some(format!(
                    "{} {}: {} {} then {} {}",
                    call.kind,
                    String::from_utf8_lossy(call.body.as_deref().unwrap_or_default()),
                    a.0,
                    String::from_utf8_lossy(&a.1),
                    b.0,
                    String::from_utf8_lossy(&b.1)
                ));
            }
        }
    }
}

/// A person's booking as the client was told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Told {
    number: Named,
    slot: i64,
}

/// One client: a person at a time, two connections (the second for simultaneous duplicates).
struct Actor {
    shared: Arc<Shared>,
    hot: Arc<Vec<SlotRef>>,
    date: String,
    main: Client,
    side: Client,
    rng: SmallRng,
    tally: Tally,
    seed: u64,
    keys_used: u64,
}

impl Actor {
    fn key(&mut self, person: usize) -> String {
        self.keys_used += 1;
        format!("res-{}-{person}-{}", self.seed, self.keys_used)
    }

    fn hot_slot(&mut self, except: Option<i64>) -> SlotRef {
        loop {
            let slot = self.hot[self.rng.random_range(0..self.hot.len())].clone();
            if Some(slot.id) != except || self.hot.len() == 1 {
                return slot;
            }
        }
    }

    fn schedule(&mut self, person: usize, slot: &SlotRef) -> Call {
        let reference = self.shared.data.reference(person);
        let mut call = if self.rng.random_bool(0.5) {
            let mut call = self.shared.book(person, slot);
            call.kind = "v2 schedule";
            call
        } else {
            let mut call = Call::post(
                "v1 schedule",
                "/api/v1/appointment/scheduleAppointment".into(),
                &json!({"center_id": slot.center_id, "date": self.date, "slot_id": slot.id,
                        "beneficiaries": [reference]}),
            );
            call.token = self.shared.token(person);
            call
        };
        call.idempotency_key = Some(self.key(person));
        call
    }

    fn reschedule(&mut self, person: usize, told: Told, to: &SlotRef) -> Call {
        // v1 names appointments by number only; v2 takes the number or the UUID.
        let mut call = match told.number {
            Named::Number(number) if self.rng.random_bool(0.5) => Call::post(
                "v1 reschedule",
                "/api/v1/appointment/rescheduleAppointment".into(),
                &json!({"appointment_confirmation_no": number, "center_id": to.center_id,
                        "date": self.date, "slot_id": to.id}),
            ),
            named => Call::post(
                "v2 reschedule",
                "/api/v2/appointment/reschedule".into(),
                &json!({"appointment_id": named.text(),
                        "session_id": to.session_id.to_string(), "slot": to.window}),
            ),
        };
        call.token = self.shared.token(person);
        call.idempotency_key = Some(self.key(person));
        call
    }

    fn cancel(&mut self, person: usize, told: Told) -> Call {
        let reference = self.shared.data.reference(person);
        let mut call = match told.number {
            Named::Number(number) if self.rng.random_bool(0.5) => Call::post(
                "v1 cancel",
                "/api/v1/appointment/cancel".into(),
                &json!({"appointment_confirmation_no": number, "beneficiaries": [reference]}),
            ),
            named => Call::post(
                "v2 cancel",
                "/api/v2/appointment/cancel".into(),
                &json!({"appointment_id": named.text(),
                        "beneficiariesToCancel": [reference.to_string()]}),
            ),
        };
        call.token = self.shared.token(person);
        call
    }

    /// Sends until an answer comes (a dropped connection is retried, with the same key, a few
    /// times).
    async fn answer(&mut self, call: &Call) -> Option<(StatusCode, Bytes)> {
        for attempt in 0..5 {
            if attempt > 0 {
                self.tally.retries += 1;
                self.count_request(call);
            }
            match self.main.send(call, PATIENT).await {
                Outcome::Answer(s, b) => return Some((s, b)),
                Outcome::TimedOut => {}
                Outcome::Broken(e) => {
                    if self.tally.first_failure.is_none() {
                        self.tally.first_failure = Some(format!("{}: {e}", call.kind));
                    }
                }
            }
        }
        None
    }

    fn count_request(&mut self, call: &Call) {
        self.tally.kinds.entry(call.kind).or_default().requests += 1;
    }

    /// One operation with the client behaviour drawn at random: a plain call, a resend after
    /// the answer, a resend after giving up waiting, or two sends at the same moment. Returns
    /// the answer the client acts on (the first one it saw).
    async fn exchange(&mut self, call: &Call) -> Option<(StatusCode, Bytes)> {
        self.count_request(call);
        let roll = self.rng.random_range(0..100);
        let answer = if roll < 40 {
            self.answer(call).await
        } else if roll < 60 {
            let first = self.answer(call).await;
            self.tally.retries += 1;
            self.count_request(call);
            let again = self.answer(call).await;
            if let (Some(a), Some(b)) = (&first, &again) {
                self.tally.compare(call, a, b);
            }
            first
        } else if roll < 85 {
            // An impatient client: gives up after a few milliseconds, drops the connection
            // and sends the same request again.
            let patience = Duration::from_millis(self.rng.random_range(1..40));
            let first = self.main.send(call, patience).await;
            self.tally.retries += 1;
            self.count_request(call);
            let again = self.answer(call).await;
            match first {
                Outcome::Answer(s, b) => {
                    if let Some(again) = &again {
                        self.tally.compare(call, &(s, b.clone()), again);
                    }
                    Some((s, b))
                }
                _ => {
                    self.tally.after_timeout += 1;
                    again
                }
            }
        } else {
            self.tally.retries += 1;
            self.tally.concurrent += 1;
            self.count_request(call);
            let (a, b) = tokio::join!(self.main.send(call, PATIENT), self.side.send(call, PATIENT));
            match (a, b) {
                (Outcome::Answer(s1, b1), Outcome::Answer(s2, b2)) => {
                    let first = (s1, b1);
                    self.tally.compare(call, &first, &(s2, b2));
                    Some(first)
                }
                (Outcome::Answer(s, b), _) | (_, Outcome::Answer(s, b)) => Some((s, b)),
                _ => self.answer(call).await,
            }
        };
        let figures = self.tally.kinds.entry(call.kind).or_default();
        match &answer {
            Some((s, _)) if s.is_success() => figures.succeeded += 1,
            Some((s, b)) if s.is_client_error() => {
                *figures.refused.entry(error_code(*s, b)).or_default() += 1;
            }
            other => {
                figures.failed += 1;
                if self.tally.first_failure.is_none() {
                    self.tally.first_failure = Some(match other {
                        Some((s, b)) => {
                            format!("{} → {s}: {}", call.kind, String::from_utf8_lossy(b))
                        }
                        None => format!("{}: no answer", call.kind),
                    });
                }
            }
        }
        answer
    }

    /// Books a hot slot (trying a second one once when the first is full).
    async fn book(&mut self, person: usize) -> Option<Told> {
        for _ in 0..2 {
            let slot = self.hot_slot(None);
            let call = self.schedule(person, &slot);
            match self.exchange(&call).await {
                Some((s, body)) if s.is_success() => {
                    return appointment_number(&body).map(|number| Told {
                        number,
                        slot: slot.id,
                    });
                }
                _ if self.rng.random_bool(0.5) => return None,
                _ => {}
            }
        }
        None
    }

    /// A person's story: book; then maybe move to another hot slot, or cancel and maybe book
    /// again. Returns what the client was told in the end.
    async fn person(&mut self, person: usize) -> Option<Told> {
        let mut told = self.book(person).await?;
        let roll = self.rng.random_range(0..100);
        if roll < 35 {
            let to = self.hot_slot(Some(told.slot));
            let call = self.reschedule(person, told, &to);
            if let Some((s, body)) = self.exchange(&call).await
                && s.is_success()
            {
                told = Told {
                    number: appointment_number(&body).unwrap_or(told.number),
                    slot: to.id,
                };
            }
            Some(told)
        } else if roll < 60 {
            let call = self.cancel(person, told);
            match self.exchange(&call).await {
                Some((s, _)) if s.is_success() => {
                    if self.rng.random_bool(0.5) {
                        self.book(person).await
                    } else {
                        None
                    }
                }
                _ => Some(told),
            }
        } else {
            Some(told)
        }
    }
}

/// Runs the suite on one database.
pub async fn run(
    args: &super::ResilienceArgs,
    backend: Backend,
    dir: &Path,
    keys: &keys::Keys,
) -> anyhow::Result<Value> {
    let people = args.people.unwrap_or(if args.fast { 300 } else { 4_000 });
    let (hot, seats) = if args.fast { (4, 30) } else { (10, 100) };
    let name = format!("contention on {backend:?}");
    say(&format!(
        "{name}: building {people} people, {hot} hot slots × {seats} seats"
    ));
    let url = super::fresh_database(
        backend,
        "sehat_resilience_contention",
        dir,
        &args.postgres_url,
    )
    .await?;
    let prepared = Prepared::build(
        &url,
        super::tier(people, hot, seats),
        args.seed,
        keys,
        &name,
    )
    .await?;
    let addr = free_addr()?;
    let log = format!("contention-{backend:?}.log").to_lowercase();
    let server = prepared.serve(addr, dir, &log).await?;
    let data = prepared.shared.data.clone();
    let date = {
        let d = data.first_day;
        format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year())
    };
    let hot_slots = Arc::new(data.rush.clone());
    let next = Arc::new(AtomicUsize::new(0));
    say(&format!(
        "{name}: {people} people on {} connections",
        args.connections()
    ));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.connections() {
        let mut actor = Actor {
            shared: prepared.shared.clone(),
            hot: hot_slots.clone(),
            date: date.clone(),
            main: Client::new(addr),
            side: Client::new(addr),
            rng: SmallRng::seed_from_u64(
                args.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            tally: Tally::default(),
            seed: args.seed,
            keys_used: 0,
        };
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut told = Vec::new();
            loop {
                let person = next.fetch_add(1, Ordering::Relaxed);
                if person >= people {
                    break;
                }
                told.push((person, actor.person(person).await));
            }
            (actor.tally, told)
        }));
    }
    let mut tally = Tally::default();
    let mut told: HashMap<i64, Option<Told>> = HashMap::new();
    for task in tasks {
        let (t, list) = task.await?;
        tally.merge(t);
        for (person, outcome) in list {
            told.insert(data.reference(person), outcome);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // Let the server finish what impatient clients walked away from before reading back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stop()?;

    let audit = prepared.store.audit_bookings().await?;
    let rows = prepared.store.appointment_rows().await?;
    let numbers = numbers_by_id(&rows);
    let mut active: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for r in rows.iter().filter(|r| r.status == "ACTIVE") {
        active
            .entry(r.beneficiary_id)
            .or_default()
            .push((r.appointment_no, r.slot_id));
    }
    // What each client was told against the database.
    let (mut lost, mut refused_but_booked, mut wrong_place) = (0_u64, 0_u64, 0_u64);
    let mut examples = Vec::new();
    for (reference, outcome) in &told {
        let held = active.get(reference).cloned().unwrap_or_default();
        match outcome {
            Some(t) if held.is_empty() => {
                lost += 1;
                examples.push(format!(
                    "{reference}: told booked {t:?}, database holds nothing"
                ));
            }
            Some(t)
                if t.number
                    .number(&numbers)
                    .is_none_or(|n| held != [(n, t.slot)]) =>
            {
                wrong_place += 1;
                examples.push(format!("{reference}: told {t:?}, database holds {held:?}"));
            }
            None if !held.is_empty() => {
                refused_but_booked += 1;
                examples.push(format!(
                    "{reference}: told not booked, database holds {held:?}"
                ));
            }
            _ => {}
        }
    }
    examples.truncate(5);
    let booked_told = told.values().filter(|t| t.is_some()).count();
    let hot_ids: Vec<i64> = hot_slots.iter().map(|s| s.id).collect();
    let hot_active = rows
        .iter()
        .filter(|r| r.status == "ACTIVE" && hot_ids.contains(&r.slot_id))
        .count();
    let requests: u64 = tally.kinds.values().map(|k| k.requests).sum();
    let failed: u64 = tally.kinds.values().map(|k| k.failed).sum();

    let mut gates = Vec::new();
    super::no_personal_data(&mut gates, &dir.join(&log));
    gate(
        &mut gates,
        "no slot over its seats",
        audit.over_capacity == 0,
        json!({"slots": audit.slots, "over_capacity": audit.over_capacity, "hot_seats": hot as i64 * seats, "hot_seats_booked": hot_active}),
    );
    gate(
        &mut gates,
        "booked counters equal appointment rows",
        audit.counter_mismatch == 0,
        json!({"counter_mismatch": audit.counter_mismatch, "active_rows": audit.active_bookings}),
    );
    gate(
        &mut gates,
        "nobody booked twice for a dose",
        audit.twice_per_dose == 0 && audit.two_upcoming == 0,
        json!({"twice_per_dose": audit.twice_per_dose, "two_upcoming": audit.two_upcoming}),
    );
    gate(
        &mut gates,
        "every retry got the first answer, byte for byte",
        tally.mismatches == 0 && tally.compared > 0,
        json!({"retries": tally.retries, "compared": tally.compared, "mismatches": tally.mismatches,
               "after_dropped_connection": tally.after_timeout, "simultaneous": tally.concurrent,
               "first_mismatch": tally.first_mismatch}),
    );
    gate(
        &mut gates,
        "what clients were told is what the database holds",
        lost == 0 && refused_but_booked == 0 && wrong_place == 0,
        json!({"people": told.len(), "told_booked": booked_told,
               "told_booked_but_missing": lost, "told_refused_or_cancelled_but_booked": refused_but_booked,
               "held_elsewhere_than_told": wrong_place, "examples": examples}),
    );
    gate(
        &mut gates,
        "no server errors or unanswered calls",
        failed == 0,
        json!({"failed": failed, "first_failure": tally.first_failure}),
    );
    say(&format!(
        "{name}: {requests} requests in {seconds:.1} s, {} mismatches, {failed} failed",
        tally.mismatches
    ));
    prepared.store.close().await;
    Ok(json!({
        "name": name,
        "summary": format!(
            "{people} people, {hot} hot slots × {seats} seats, {} client connections (×2 for simultaneous duplicates): \
             {requests} requests ({} retries: {} after a dropped connection, {} simultaneous) in {:.1} s; \
             {booked_told} people hold a booking in the end, {hot_active} hot seats booked.",
            args.connections(), tally.retries, tally.after_timeout, tally.concurrent, seconds),
        "people": people,
        "hot_slots": hot,
        "seats_per_hot_slot": seats,
        "requests": requests,
        "seconds": round(seconds),
        "kinds": tally.kinds,
        "audit": audit,
        "gates": gates,
    }))
}
