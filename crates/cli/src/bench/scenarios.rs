//! The scenarios' workloads: what each connection asks next, and how its answer counts.

use super::dataset::{Dataset, SlotRef};
use super::load::{Call, Verdict, Workload};
use hyper::StatusCode;
use rand::Rng;
use rand::rngs::SmallRng;
use sehat_api::http::auth::TokenKeys;
use sehat_domain::identity::MobileHash;
use serde_json::json;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What every workload shares: the dataset, the token keys, the client addresses.
pub struct Shared {
    /// The dataset.
    pub data: Arc<Dataset>,
    /// Signs the people's tokens, as `validateMobileOtp` would.
    pub tokens: TokenKeys,
    /// Round-robin over 2^18 client addresses, so the per-address public limit sees the many
    /// citizens a real rush has.
    pub next_ip: AtomicU64,
}

impl Shared {
    /// The next citizen's address.
    pub fn ip(&self) -> String {
        let n = self.next_ip.fetch_add(1, Ordering::Relaxed) % (1 << 18);
        format!("10.{}.{}.{}", 64 + (n >> 16), (n >> 8) & 0xFF, n & 0xFF)
    }

    /// A token for beneficiary `person`'s family.
    pub fn token(&self, person: usize) -> Option<Arc<str>> {
        let account = MobileHash::from_stored(self.data.account_of(person).to_owned());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.tokens
            .beneficiary(now, &account, None)
            .ok()
            .map(Arc::from)
    }

    fn dd_mm_yyyy(&self, day: usize) -> String {
        let d = self.data.first_day + time::Duration::days(day as i64);
        format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year())
    }

    /// A search as citizens and apps make them: 70% findByPin on one of the next 7 days, 20%
    /// calendarByDistrict (7 days), 10% findByLatLong; places drawn with the dataset's skew.
    pub fn search(&self, rng: &mut SmallRng) -> Call {
        let place = self.data.hot_place(rng);
        let roll = rng.random_range(0..100);
        let mut call = if roll < 70 {
            let day = rng.random_range(0..7);
            Call::get(
                "findByPin",
                format!(
                    "/api/v2/appointment/sessions/public/findByPin?pincode={}&date={}",
                    place.pincode,
                    self.dd_mm_yyyy(day)
                ),
            )
        } else if roll < 90 {
            Call::get(
                "calendarByDistrict",
                format!(
                    "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={}&date={}",
                    place.district_id,
                    self.dd_mm_yyyy(0)
                ),
            )
        } else {
            Call::get(
                "findByLatLong",
                format!(
                    "/api/v2/appointment/centers/public/findByLatLong?lat={:.4}&long={:.4}",
                    place.lat, place.lon
                ),
            )
        };
        call.client_ip = Some(self.ip());
        call
    }

    /// A v2 booking of `person` into `slot`, with an idempotency key.
    pub fn book(&self, person: usize, slot: &SlotRef) -> Call {
        let reference = self.data.reference(person);
        let mut call = Call::post(
            "schedule",
            "/api/v2/appointment/schedule".into(),
            &json!({
                "dose": 1,
                "session_id": slot.session_id.to_string(),
                "slot": slot.window,
                "beneficiaries": [reference.to_string()],
            }),
        );
        call.token = self.token(person);
        call.idempotency_key = Some(format!("bench-{reference}-{}", slot.id));
        call.tag = person as u64;
        call
    }
}

fn search_verdict(status: StatusCode) -> Verdict {
    match status {
        StatusCode::OK => Verdict::Done,
        StatusCode::TOO_MANY_REQUESTS => Verdict::Refused,
        _ => Verdict::Failed,
    }
}

fn booking_verdict(status: StatusCode) -> Verdict {
    match status {
        StatusCode::OK | StatusCode::NO_CONTENT => Verdict::Done,
        // Full, already booked: answers the API documents.
        StatusCode::CONFLICT => Verdict::Refused,
        _ => Verdict::Failed,
    }
}

/// The HTTP ceiling: the server's cheapest endpoint.
pub struct Trivial;

impl Workload for Trivial {
    fn next(&self, _: &mut SmallRng) -> Option<Call> {
        Some(Call::get("healthz", "/healthz".into()))
    }
    fn judge(&self, _: &Call, status: StatusCode, _: &[u8]) -> Verdict {
        search_verdict(status)
    }
}

/// Scenario 1: searches.
pub struct Search(pub Arc<Shared>);

impl Workload for Search {
    fn next(&self, rng: &mut SmallRng) -> Option<Call> {
        Some(self.0.search(rng))
    }
    fn judge(&self, _: &Call, status: StatusCode, _: &[u8]) -> Verdict {
        search_verdict(status)
    }
}

/// Scenario 2's bots: a few addresses polling findByPin without pause.
pub struct Bots {
    /// Shared state.
    pub shared: Arc<Shared>,
    /// Bot addresses.
    pub addresses: usize,
}

impl Workload for Bots {
    fn next(&self, rng: &mut SmallRng) -> Option<Call> {
        let mut call = self.shared.search(rng);
        call.kind = "bot";
        call.client_ip = Some(format!("192.0.2.{}", rng.random_range(0..self.addresses)));
        Some(call)
    }
    fn judge(&self, _: &Call, status: StatusCode, _: &[u8]) -> Verdict {
        search_verdict(status)
    }
}

/// Scenarios 3 and 4: bookings by free people, one each, into slots drawn from `slots`.
pub struct Bookings {
    /// Shared state.
    pub shared: Arc<Shared>,
    /// The next free person.
    pub next_person: AtomicUsize,
    /// The last free person (exclusive).
    pub people_end: usize,
    /// Attempts left (the rush's bound).
    pub attempts_left: AtomicUsize,
    /// Where: the hot slots, or `None` for any ordinary slot.
    pub slots: Option<Vec<SlotRef>>,
    /// Bookings made, for the mixed rush's cancels and reschedules: (person, appointment).
    pub made: Mutex<Vec<(usize, String)>>,
}

impl Bookings {
    /// Bookings by the free people from `first`, at most `attempts` of them.
    pub fn new(
        shared: Arc<Shared>,
        first: usize,
        attempts: usize,
        slots: Option<Vec<SlotRef>>,
    ) -> Self {
        let people_end = shared.data.free().end;
        Self {
            shared,
            next_person: AtomicUsize::new(first),
            people_end,
            attempts_left: AtomicUsize::new(attempts),
            slots,
            made: Mutex::new(Vec::new()),
        }
    }

    /// The next booking, or `None` when people or attempts have run out.
    pub fn next_booking(&self, rng: &mut SmallRng) -> Option<Call> {
        self.attempts_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .ok()?;
        let person = self.next_person.fetch_add(1, Ordering::Relaxed);
        if person >= self.people_end {
            return None;
        }
        let slot = match &self.slots {
            Some(hot) => hot[rng.random_range(0..hot.len())].clone(),
            None => self
                .shared
                .data
                .slot(rng.random_range(0..self.shared.data.tier.slots())),
        };
        Some(self.shared.book(person, &slot))
    }

    fn remember(&self, call: &Call, status: StatusCode, body: &[u8]) -> Verdict {
        let verdict = booking_verdict(status);
        if verdict == Verdict::Done
            && call.kind == "schedule"
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
            && let Some(n) = v["appointment_confirmation_no"].as_str()
            && let Ok(mut made) = self.made.lock()
        {
            made.push((call.tag as usize, n.to_owned()));
        }
        verdict
    }
}

impl Workload for Bookings {
    fn next(&self, rng: &mut SmallRng) -> Option<Call> {
        self.next_booking(rng)
    }
    fn judge(&self, call: &Call, status: StatusCode, body: &[u8]) -> Verdict {
        self.remember(call, status, body)
    }
}

/// Scenario 5: 90% searches, 9% bookings, 1% cancels and reschedules of bookings made here.
pub struct Mixed {
    /// The bookings part.
    pub bookings: Bookings,
}

impl Workload for Mixed {
    fn next(&self, rng: &mut SmallRng) -> Option<Call> {
        let shared = &self.bookings.shared;
        let roll = rng.random_range(0..100);
        if roll < 90 {
            return Some(shared.search(rng));
        }
        if roll < 99 {
            return self
                .bookings
                .next_booking(rng)
                .or_else(|| Some(shared.search(rng)));
        }
        let taken = self.bookings.made.lock().ok().and_then(|mut m| m.pop());
        let Some((person, appointment)) = taken else {
            return Some(shared.search(rng));
        };
        let mut call = if roll == 99 && rng.random_bool(0.5) {
            let slot = shared
                .data
                .slot(rng.random_range(0..shared.data.tier.slots()));
            let mut call = Call::post(
                "reschedule",
                "/api/v2/appointment/reschedule".into(),
                &json!({"appointment_id": appointment, "session_id": slot.session_id.to_string(), "slot": slot.window}),
            );
            call.idempotency_key = Some(format!("bench-move-{appointment}-{}", slot.id));
            call
        } else {
            Call::post(
                "cancel",
                "/api/v2/appointment/cancel".into(),
                &json!({"appointment_id": appointment, "beneficiariesToCancel": [shared.data.reference(person).to_string()]}),
            )
        };
        call.token = shared.token(person);
        call.tag = person as u64;
        Some(call)
    }

    fn judge(&self, call: &Call, status: StatusCode, body: &[u8]) -> Verdict {
        match call.kind {
            "findByPin" | "calendarByDistrict" | "findByLatLong" => search_verdict(status),
            // A reschedule into a full slot is refused as documented (409); a 400 says the
            // slot was the same one, also a documented answer.
            "reschedule" if status == StatusCode::BAD_REQUEST => Verdict::Refused,
            _ => self.bookings.remember(call, status, body),
        }
    }
}

/// Scenario 6: a new mobile logs in with an OTP and registers one beneficiary; three calls.
pub struct Registration {
    /// Shared state.
    pub shared: Arc<Shared>,
    /// The next new mobile.
    pub next_mobile: AtomicU64,
}

/// The web app's constant `secret` that v2 OTP requests carry.
const WEB_SECRET: &str =
    "U2FsdGVkX1+z/4Nr9nta+2DrVJSv7KS6VoQUSQ1ZXYDx/CJUkWxFYG6P3iM/VW+6jLQ9RDQVzp/RcZ8kbT41xw==";

impl Workload for Registration {
    fn next(&self, _: &mut SmallRng) -> Option<Call> {
        let n = self.next_mobile.fetch_add(1, Ordering::Relaxed);
        let mut call = Call::post(
            "generateMobileOTP",
            "/api/v2/auth/generateMobileOTP".into(),
            &json!({"mobile": (9_000_000_000_u64 + n).to_string(), "secret": WEB_SECRET}),
        );
        call.client_ip = Some(self.shared.ip());
        call.tag = n;
        Some(call)
    }

    fn judge(&self, _: &Call, status: StatusCode, _: &[u8]) -> Verdict {
        match status {
            StatusCode::OK => Verdict::Done,
            StatusCode::TOO_MANY_REQUESTS => Verdict::Refused,
            _ => Verdict::Failed,
        }
    }

    fn follow(&self, call: &Call, status: StatusCode, body: &[u8]) -> Option<Call> {
        if status != StatusCode::OK {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        match call.kind {
            "generateMobileOTP" => {
                use sha2::Digest;
                let otp = v["otp"].as_str()?;
                let hash = hex(&sha2::Sha256::digest(otp.as_bytes()));
                let mut next = Call::post(
                    "validateMobileOtp",
                    "/api/v2/auth/validateMobileOtp".into(),
                    &json!({"otp": hash, "txnId": v["txnId"]}),
                );
                next.client_ip = call.client_ip.clone();
                next.tag = call.tag;
                Some(next)
            }
            "validateMobileOtp" => {
                let token = v["token"].as_str()?;
                let mut next = Call::post(
                    "register",
                    "/api/v2/registration/beneficiary/new".into(),
                    &json!({"name": "Bench Citizen", "birth_year": "1985", "gender_id": 2, "photo_id_type": 3,
                            "photo_id_number": format!("BENCH{:012}", call.tag), "comorbidity_ind": "N",
                            "consent_version": "V1"}),
                );
                next.token = Some(Arc::from(token));
                next.tag = call.tag;
                Some(next)
            }
            _ => None,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
