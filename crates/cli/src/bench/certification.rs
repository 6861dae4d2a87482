//! Scenario 7, certification: doses recorded and certified per second (the vaccinator's
//! `vaccinate`: the person's records read, the rules checked, the credential signed, the dose,
//! its certificate and the family's message written in one transaction), against the database
//! baseline of the same transaction with a credential signed beforehand; and certificates
//! verified per second (URDNA2015 canonical forms and the Ed25519 check, on every core), against
//! the Ed25519 check alone. In process, on the benchmark's database: the work is the core's,
//! not HTTP's (the HTTP scenarios measure that).

use super::{round, say};
use anyhow::Context;
use sehat_api::certificates::{Issuer, VerifyStatus};
use sehat_certificate::KeyRing;
use sehat_domain::beneficiary::{BeneficiaryRef, BirthYear, GenderId, NewBeneficiary, PhotoId};
use sehat_domain::facility::{Area, CenterSpec, CentreType, FeeType, PlaceRef};
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::identity::IdentityKey;
use sehat_domain::immunization::{Batch, DoseId, DoseRecord, check_dose};
use sehat_domain::outbox::{JobKind, NewJob};
use sehat_domain::schedule::{SessionPlan, SlotTemplate};
use sehat_domain::store::{Registration, Store};
use sehat_domain::vaccination::{
    self, CertificateId, NewCertificate, NewVaccinator, Vaccination, VaccinationStore, Vaccinator,
    WalkIn, schedule_of,
};
use sehat_domain::values::{Mobile, Name, Pincode};
use sehat_store::SqlStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Concurrent vaccinators in the timed runs.
const DESKS: usize = 32;

/// People seated for each of the two timed runs (more than either can use in its time).
fn people_per_run(seconds: f64) -> usize {
    (seconds * 1_200.0).clamp(200.0, 20_000.0) as usize
}

/// A centre of its own, today's session with walk-in seats for everyone, a vaccinator, and
/// `n` people each seated as a walk-in for dose 1.
async fn prepare(
    store: &SqlStore,
    gazetteer: &Gazetteer,
    identity: &IdentityKey,
    n: usize,
    tag: &str,
) -> anyhow::Result<(Vaccinator, Vec<BeneficiaryRef>)> {
    let db: &dyn Store = store;
    let spec = CenterSpec {
        name: Name::parse(&format!("Bench certification PHC {tag}")).map_err(anyhow::Error::msg)?,
        state: Some(PlaceRef::Name("Maharashtra".into())),
        district: PlaceRef::Name("Satara".into()),
        block: None,
        pincode: Pincode::parse("415001").map_err(anyhow::Error::msg)?,
        address: "Powai Naka".into(),
        incharge_name: None,
        incharge_mobile: None,
        location: None,
        centre_type: CentreType::Permanent,
        area: Area::Urban,
        fee_type: FeeType::Free,
        vaccine_codes: vec!["COVISHIELD".into()],
    };
    let centre = db.create_center(&gazetteer.resolve_center(spec)?).await?;
    let today = store.clock.today();
    let seats = u32::try_from(n).unwrap_or(u32::MAX);
    db.open_sessions(
        centre.id,
        &SessionPlan {
            from: today,
            to: today,
            vaccine_code: "COVISHIELD".into(),
            min_age: 18,
            max_age: None,
            dose: None,
            capacity_online: 10,
            capacity_walkin: seats,
            capacity_dose1: Some(10),
            fee: 0,
            slots: SlotTemplate::parse_list("All day 00:00-23:59").map_err(anyhow::Error::msg)?,
        },
    )
    .await?;
    let desk_mobile = Mobile::parse(&format!("7{:09}", 100_000_000 + centre.id.0 % 800_000_000))
        .map_err(anyhow::Error::msg)?;
    let post = db
        .add_vaccinator(&NewVaccinator::new(
            identity,
            centre.id,
            Name::parse("Bench Vaccinator").map_err(anyhow::Error::msg)?,
            &desk_mobile,
        ))
        .await?;
    let schedules = db.dose_schedules().await?;
    let year = today.year();
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let serial = centre.id.0 * 100_000 + i64::try_from(i)?;
        let mobile = Mobile::parse(&format!("6{:09}", serial % 1_000_000_000))
            .map_err(anyhow::Error::msg)?;
        let person = NewBeneficiary {
            name: Name::parse(&format!("Bench Person {serial}")).map_err(anyhow::Error::msg)?,
            birth_year: BirthYear::new(1980, year).map_err(anyhow::Error::msg)?,
            gender: GenderId::from_id(2).map_err(anyhow::Error::msg)?,
            photo_id: PhotoId::parse(13, &format!("BENCH{serial:012}"))?,
            address: Default::default(),
            comorbidity: false,
        };
        let registration =
            Registration::new(identity, BeneficiaryRef::random(), Ok(&mobile), person);
        let registered = db.register_beneficiary(&registration, 4).await?;
        db.take_walkin_seat(
            &WalkIn {
                beneficiary: registered.reference_id,
                center_id: centre.id,
                session_id: None,
                dose: 1,
                vaccinator: post.id,
            },
            &schedules,
        )
        .await?;
        people.push(registered.reference_id);
    }
    Ok((post, people))
}

/// Runs `work` for each person in turn on `DESKS` concurrent tasks until `seconds` pass or the
/// people run out; returns (done, elapsed seconds).
async fn timed<F, Fut>(
    people: &[BeneficiaryRef],
    seconds: f64,
    work: F,
) -> anyhow::Result<(usize, f64)>
where
    F: Fn(BeneficiaryRef) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let people = Arc::new(people.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(work);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..DESKS {
        let (people, next, done, work) = (people.clone(), next.clone(), done.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(person) = people.get(i) else { break };
                work(*person).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok((
        done.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    ))
}

/// Counts a verification run on every core for `seconds`: (verifications, seconds).
fn verify_for(issuer: &Arc<Issuer>, documents: &Arc<Vec<Value>>, seconds: f64) -> (usize, f64) {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (issuer, documents) = (issuer.clone(), documents.clone());
            std::thread::spawn(move || {
                let mut n = 0_usize;
                let mut valid = true;
                while Instant::now() < deadline {
                    let doc = &documents[(n * threads + t) % documents.len()];
                    valid &= issuer.verify_document(doc).status == VerifyStatus::Valid;
                    n += 1;
                }
                (n, valid)
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        if let Ok((n, valid)) = h.join() {
            total += if valid { n } else { 0 };
        }
    }
    (total, started.elapsed().as_secs_f64())
}

/// The Ed25519 check alone of the same documents' signatures, on every core.
fn ed25519_for(documents: &Arc<Vec<Value>>, seconds: f64) -> anyhow::Result<(usize, f64)> {
    use sehat_certificate::canon::canonical_nquads;
    // What is signed differs per document; the baseline checks a signature over bytes of the
    // same size, without the canonical forms.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let sample = canonical_nquads(&documents[0]).context("canonical form")?;
    let message = sample.into_bytes();
    let signature = ed25519_dalek::Signer::sign(&key, &message);
    let public = key.verifying_key();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let message = message.clone();
            std::thread::spawn(move || {
                let mut n = 0_usize;
                while Instant::now() < deadline {
                    if public.verify_strict(&message, &signature).is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let total = handles.into_iter().filter_map(|h| h.join().ok()).sum();
    Ok((total, started.elapsed().as_secs_f64()))
}

/// The scenario: its figures, and its gates (one record and one certificate per dose).
pub(crate) async fn run(
    store: &SqlStore,
    gazetteer: &Gazetteer,
    identity: &IdentityKey,
    seconds: f64,
) -> anyhow::Result<(Value, Vec<Value>)> {
    let db: &dyn Store = store;
    let n = people_per_run(seconds);
    say(&format!("certification: seating {} people", 2 * n));
    let (post, people) = prepare(store, gazetteer, identity, n, "A").await?;
    let (base_post, base_people) = prepare(store, gazetteer, identity, n, "B").await?;
    let issuer = Arc::new(Issuer::new(
        KeyRing::ephemeral(),
        "https://bench.sehat.invalid",
    ));
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let catalogue = Arc::new(vaccination::VaccineCatalogue::load(db).await?);

    // The core's path: vaccinate() as the desk calls it.
    let (certified, certify_secs) = {
        let (store, issuer, post) = (shared.clone(), issuer.clone(), post.clone());
        let catalogue = catalogue.clone();
        timed(&people, seconds, move |person| {
            let (store, issuer, post) = (store.clone(), issuer.clone(), post.clone());
            let catalogue = catalogue.clone();
            async move {
                let request = Vaccination {
                    beneficiary: person,
                    center_id: post.center_id,
                    vaccine_code: "COVISHIELD".into(),
                    batch: Batch::parse("BENCH123").map_err(anyhow::Error::msg)?,
                    dose: 1,
                    vaccinator: post,
                };
                vaccination::vaccinate(
                    store.as_ref(),
                    issuer.as_ref(),
                    &catalogue,
                    &request,
                    time::OffsetDateTime::now_utc(),
                )
                .await?;
                Ok(())
            }
        })
        .await?
    };

    // The database's part alone: the same transaction, the credential signed beforehand.
    let credential = db
        .certificates(people[0])
        .await?
        .first()
        .map(|c| c.credential.clone())
        .context("a certificate from the timed run")?;
    let schedules = db.dose_schedules().await?;
    let schedule = schedule_of(&schedules, "COVISHIELD")?.clone();
    let (baseline, baseline_secs) = {
        let store = store.clone();
        let (schedule, credential, post) =
            (schedule.clone(), credential.clone(), base_post.clone());
        timed(&base_people, seconds, move |person| {
            let (store, schedule, credential, post) = (
                store.clone(),
                schedule.clone(),
                credential.clone(),
                post.clone(),
            );
            async move {
                let record = DoseRecord {
                    id: DoseId::new_random(),
                    beneficiary: person,
                    vaccine_code: schedule.vaccine_code.clone(),
                    series: schedule.series.clone(),
                    manufacturer: schedule.manufacturer.clone(),
                    batch: Batch::parse("BENCH123").map_err(anyhow::Error::msg)?,
                    dose: 1,
                    total_doses: schedule.total_doses,
                    date: store.clock.today(),
                    recorded_at: store.clock.now_millis(),
                    center_id: post.center_id,
                    vaccinator: post.id,
                    appointment: None,
                };
                check_dose(&[], &schedule, 1, record.date)?;
                let certificate = NewCertificate {
                    id: CertificateId::random(),
                    credential,
                };
                let message = NewJob {
                    kind: JobKind::Sms,
                    recipient: sehat_domain::identity::MobileHash::from_stored("bench".into()),
                    payload: "bench".into(),
                };
                store
                    .record_dose(&record, &schedule, &certificate, &message)
                    .await?;
                Ok(())
            }
        })
        .await?
    };

    // Gates: every dose recorded once, with exactly one current certificate.
    let doses = db.doses(&people).await?;
    let mut certificates = 0;
    for person in people.iter().take(certified.min(200)) {
        certificates += db.certificates(*person).await?.len();
    }
    let one_each = doses.len() == certified
        && certificates == certified.min(200)
        && doses.iter().all(|d| d.dose == 1);

    // Verification of the certificates just issued, on every core.
    let mut documents = Vec::new();
    for person in people.iter().take(certified.min(500)) {
        for c in db.certificates(*person).await? {
            documents.push(serde_json::from_str::<Value>(&c.credential)?);
        }
    }
    anyhow::ensure!(!documents.is_empty(), "no certificate was issued");
    let documents = Arc::new(documents);
    let (verified, verify_secs) = {
        let (issuer, documents) = (issuer.clone(), documents.clone());
        tokio::task::spawn_blocking(move || verify_for(&issuer, &documents, seconds)).await?
    };
    let (checked, check_secs) = {
        let documents = documents.clone();
        tokio::task::spawn_blocking(move || ed25519_for(&documents, seconds)).await??
    };
    let certify_rate = certified as f64 / certify_secs.max(1e-9);
    let baseline_rate = baseline as f64 / baseline_secs.max(1e-9);
    let verify_rate = verified as f64 / verify_secs.max(1e-9);
    let check_rate = checked as f64 / check_secs.max(1e-9);
    say(&format!(
        "certification: {certify_rate:.0} doses certified/s (database alone {baseline_rate:.0}/s), {verify_rate:.0} verifications/s"
    ));
    let figures = json!({
        "desks": DESKS,
        "doses_certified_per_second": round(certify_rate),
        "database_baseline_per_second": round(baseline_rate),
        "ratio_to_database": round(certify_rate / baseline_rate.max(1e-9)),
        "verifications_per_second": round(verify_rate),
        "ed25519_only_per_second": round(check_rate),
        "ratio_to_ed25519": round(verify_rate / check_rate.max(1e-9)),
        "goal_doses_per_second": 1000,
        "goal_verifications_per_second": 5000,
    });
    let gates = vec![json!({
        "name": "certification: one record and one certificate per dose",
        "ok": one_each && verified > 0,
        "doses": doses.len(), "certified": certified,
    })];
    Ok((figures, gates))
}
