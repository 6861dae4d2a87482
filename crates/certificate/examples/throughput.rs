//! Measures signatures and verifications per second (run with `--release`), on one thread and
//! on every core: `cargo run --release -p sehat-certificate --example throughput`.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sehat_certificate::{Address, VaccinationFacts, credential, sign, verify};

fn facts() -> VaccinationFacts {
    let address = Address {
        street_address: "12, MG Road".into(),
        district: "Bengaluru Urban".into(),
        city: "Bengaluru".into(),
        address_region: "Karnataka".into(),
        address_country: "IN".into(),
        postal_code: "560001".into(),
        ..Default::default()
    };
    VaccinationFacts {
        certificate_id: "900000002".into(),
        ref_id: "98765432109876".into(),
        name: "Ravi Shankar".into(),
        gender: "Male".into(),
        age: "41".into(),
        nationality: "Indian".into(),
        address: address.clone(),
        vaccine: "COVAXIN".into(),
        manufacturer: "Bharat Biotech".into(),
        batch: "BB2026X".into(),
        dose: 1,
        total_doses: 2,
        date: "2026-03-02T08:15:00Z".into(),
        effective_start: "2026-03-02".into(),
        effective_until: "2027-03-02".into(),
        vaccinator_name: "Meena K".into(),
        facility_name: "UPHC Shivajinagar".into(),
        facility_address: address,
        issuance_date: "2026-03-02T08:20:00Z".into(),
        base_url: "https://sehat.example.org".into(),
        info_url: "https://sehat.example.org/learn/900000002".into(),
        feedback_url: "https://sehat.example.org/feedback/900000002".into(),
        ..Default::default()
    }
}

/// Runs `work` on `threads` threads for `period`; returns operations per second.
fn rate(threads: usize, period: Duration, work: impl Fn() + Sync) -> f64 {
    let start = Instant::now();
    let done: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0;
                    while start.elapsed() < period {
                        work();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    done as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let public = key.verifying_key();
    let method = "did:web:sehat.example.org#01020304";
    let unsigned = credential(&facts(), "did:web:sehat.example.org");
    let now = time::OffsetDateTime::now_utc();
    let signed = sign(&unsigned, &key, method, now).unwrap();
    let keys = |vm: &str| (vm == method).then_some(public);
    verify(&signed, &keys).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let period = Duration::from_secs(3);
    for threads in [1, cores] {
        let signs = rate(threads, period, || {
            sign(&unsigned, &key, method, now).unwrap();
        });
        let verifies = rate(threads, period, || {
            verify(&signed, &keys).unwrap();
        });
        println!("{threads} thread(s): {signs:.0} signatures/s, {verifies:.0} verifications/s");
    }
}
