//! The benchmark's datasets, generated from a seed: centres at real post offices with a skewed
//! popularity, 14 days of hourly slots, families of beneficiaries, some seats booked before the
//! run, and the hot slots of the rush. Everything a scenario needs to name (slot, session,
//! beneficiary, account) is computed from an index, so even the 10-million-slot tier keeps
//! only its accounts' hashes in memory.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::identity::IdentityKey;
use sehat_domain::master::Locality;
use sehat_domain::master::ReferenceStore;
use sehat_domain::values::{Mobile, SlotTimings};
use sehat_store::SqlStore;
use sehat_store::bulk::{
    BulkAccount, BulkBeneficiary, BulkBooking, BulkCenter, BulkSession, BulkSlot,
};
use serde::Serialize;
use std::time::Instant;
use time::{Date, Duration};
use uuid::Uuid;

/// A dataset's size.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Tier {
    /// `ci` or `full`.
    pub name: &'static str,
    /// Ordinary centres.
    pub centers: usize,
    /// Days of sessions, from tomorrow.
    pub days: usize,
    /// Slots per session (hourly from 09:00).
    pub slots_per_day: usize,
    /// Seats per ordinary slot.
    pub seats: i64,
    /// Beneficiaries.
    pub beneficiaries: usize,
    /// The share of slots with a booking made before the run, as far as people allow (see
    /// `prebooked`).
    pub prebooked_share: f64,
    /// Hot slots of the rush, with this many seats each.
    pub rush_slots: usize,
    /// Seats per hot slot.
    pub rush_seats: i64,
    /// Seats of the single-slot rush variant.
    pub single_slot_seats: i64,
    /// Booking attempts per rush.
    pub rush_attempts: usize,
    /// Connections of the rush.
    pub rush_connections: usize,
}

impl Tier {
    /// The CI tier: seconds to build.
    pub const CI: Tier = Tier {
        name: "ci",
        centers: 1_000,
        days: 14,
        slots_per_day: 7,
        seats: 10,
        beneficiaries: 10_000,
        prebooked_share: 0.2,
        rush_slots: 10,
        rush_seats: 100,
        single_slot_seats: 1_000,
        rush_attempts: 4_000,
        rush_connections: 128,
    };

    /// The full tier: 100,000 centres, about 10 million slots, a million people.
    pub const FULL: Tier = Tier {
        name: "full",
        centers: 100_000,
        days: 14,
        slots_per_day: 7,
        seats: 10,
        beneficiaries: 1_000_000,
        prebooked_share: 0.2,
        rush_slots: 100,
        rush_seats: 100,
        single_slot_seats: 1_000,
        rush_attempts: 50_000,
        rush_connections: 512,
    };

    /// Ordinary slots.
    pub fn slots(&self) -> usize {
        self.centers * self.days * self.slots_per_day
    }
}

/// A slot as the v2 API names it.
#[derive(Debug, Clone)]
pub struct SlotRef {
    /// Slot id.
    pub id: i64,
    /// Centre.
    pub center_id: i64,
    /// Session.
    pub session_id: Uuid,
    /// `09:00AM-10:00AM`.
    pub window: String,
    /// Seats.
    pub seats: i64,
}

/// Where a search looks.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// Pincode.
    pub pincode: i64,
    /// District.
    pub district_id: i64,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
}

/// A generated dataset, as the scenarios see it.
#[derive(Debug)]
pub struct Dataset {
    /// Its size.
    pub tier: Tier,
    /// The generator's seed.
    pub seed: u64,
    /// The first day of sessions.
    pub first_day: Date,
    /// Centres' places, in centre order (centre id = index + 1).
    pub places: Vec<Place>,
    /// Accounts' mobile hashes (the token subject), in account order.
    pub account_hashes: Vec<String>,
    /// The account of each beneficiary.
    pub account_of: Vec<u32>,
    /// Beneficiaries booked before the run (the first ones); the rest are free to book.
    pub prebooked: usize,
    /// The rush's hot slots.
    pub rush: Vec<SlotRef>,
    /// The single hot slot.
    pub single: SlotRef,
    /// How long building took, seconds.
    pub build_seconds: f64,
}

/// The first beneficiary reference id (14 digits).
pub const FIRST_REFERENCE: i64 = 10_000_000_000_000;
const FIRST_MOBILE: i64 = 6_000_000_000;
const FIRST_HOUR: u16 = 9;

impl Dataset {
    /// Ordinary slot `index` (0-based).
    pub fn slot(&self, index: usize) -> SlotRef {
        let per_center = self.tier.days * self.tier.slots_per_day;
        let center = index / per_center;
        let day = (index % per_center) / self.tier.slots_per_day;
        let k = index % self.tier.slots_per_day;
        let start = (FIRST_HOUR + k as u16) * 60;
        SlotRef {
            id: index as i64 + 1,
            center_id: center as i64 + 1,
            session_id: session_id(self.seed, center, day),
            window: window(start, start + 60),
            seats: self.tier.seats,
        }
    }

    /// Beneficiary `index`'s reference id.
    pub fn reference(&self, index: usize) -> i64 {
        FIRST_REFERENCE + index as i64
    }

    /// The mobile hash (token subject) of beneficiary `index`'s family.
    pub fn account_of(&self, index: usize) -> &str {
        &self.account_hashes[self.account_of[index] as usize]
    }

    /// The mobile of beneficiary `index`'s family (what messages about them are sent to).
    pub fn mobile_of(&self, index: usize) -> String {
        (FIRST_MOBILE + i64::from(self.account_of[index])).to_string()
    }

    /// Beneficiaries free to book.
    pub fn free(&self) -> std::ops::Range<usize> {
        self.prebooked..self.tier.beneficiaries
    }

    /// A place drawn with the dataset's skew: popular places come up far more often.
    pub fn hot_place(&self, rng: &mut impl Rng) -> Place {
        self.places[skewed(rng, self.places.len())]
    }
}

/// An index in `0..n`, low indices far more likely (a power law: u³).
pub fn skewed(rng: &mut impl Rng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u * u) * n as f64) as usize % n.max(1)
}

fn session_id(seed: u64, center: usize, day: usize) -> Uuid {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((center as u64) << 8 | day as u64));
    Uuid::from_u128(rng.random::<u128>() & !(0xF << 76) | (0x4 << 76))
}

fn window(start: u16, end: u16) -> String {
    SlotTimings::new(start, end)
        .map(SlotTimings::to_cowin_v2)
        .unwrap_or_default()
}

/// Generates the dataset into an empty, migrated store holding the master data.
pub async fn build(
    store: &SqlStore,
    gazetteer: &Gazetteer,
    identity: &IdentityKey,
    tier: Tier,
    seed: u64,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Dataset> {
    let started = Instant::now();
    let today = store.clock.today();
    let first_day = today + Duration::days(1);
    let now = store.clock.now_millis();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut localities: Vec<Locality> = store
        .located_localities()
        .await?
        .into_iter()
        .filter(|l| l.district_id.is_some() && l.location.is_some())
        .collect();
    anyhow::ensure!(
        !localities.is_empty(),
        "no located post offices in the master data"
    );
    localities.shuffle(&mut rng);

    // Centres at post offices.
    let mut places = Vec::with_capacity(tier.centers + tier.rush_slots / 10 + 2);
    let mut centers = Vec::with_capacity(tier.centers);
    let mut place_center =
        |id: i64, name: String, locality: &Locality, centers: &mut Vec<BulkCenter>| {
            let district = locality.district_id.map_or(0, |d| d.0);
            let point = locality.location.unwrap_or_else(unreachable_point);
            let state = gazetteer
                .district(sehat_domain::ids::DistrictId(district))
                .map_or(0, |d| d.state_id.0);
            places.push(Place {
                pincode: i64::from(locality.pincode.get()),
                district_id: district,
                lat: point.lat(),
                lon: point.lon(),
            });
            centers.push(BulkCenter {
                id,
                name,
                state_id: state,
                district_id: district,
                block_id: locality.block_id.map(|b| b.0),
                pincode: i64::from(locality.pincode.get()),
                lat: point.lat(),
                lon: point.lon(),
                fee_type: "Free",
                vaccine_codes: "COVISHIELD".into(),
            });
        };
    // Spread evenly over the post offices (a real pincode has a handful of centres, not
    // thousands); popularity is the searches' skew, over the centres.
    for c in 0..tier.centers {
        let locality = &localities[rng.random_range(0..localities.len())];
        place_center(
            c as i64 + 1,
            format!("{} UPHC {}", locality.name, c + 1),
            locality,
            &mut centers,
        );
    }
    // The rush's centres: ten hot slots each, and one centre with a single large slot.
    let rush_centers = tier.rush_slots.div_ceil(10);
    for r in 0..=rush_centers {
        let locality = &localities[r % localities.len()];
        let id = (tier.centers + r) as i64 + 1;
        place_center(
            id,
            format!("{} Mega Camp {}", locality.name, r + 1),
            locality,
            &mut centers,
        );
    }
    for chunk in centers.chunks(20_000) {
        store.bulk_centers(chunk, now).await?;
    }
    progress(&format!("{} centres", centers.len()));

    // Sessions and slots, a batch of centres at a time.
    let dataset_shell = Dataset {
        tier,
        seed,
        first_day,
        places,
        account_hashes: Vec::new(),
        account_of: Vec::new(),
        prebooked: 0,
        rush: Vec::new(),
        single: SlotRef {
            id: 0,
            center_id: 0,
            session_id: Uuid::nil(),
            window: String::new(),
            seats: 0,
        },
        build_seconds: 0.0,
    };
    let mut dataset = dataset_shell;
    let per_batch = 5_000;
    for first in (0..tier.centers).step_by(per_batch) {
        let last = (first + per_batch).min(tier.centers);
        let mut sessions = Vec::with_capacity((last - first) * tier.days);
        let mut slots = Vec::with_capacity((last - first) * tier.days * tier.slots_per_day);
        for c in first..last {
            for day in 0..tier.days {
                let base = (c * tier.days + day) * tier.slots_per_day;
                let id = session_id(seed, c, day);
                sessions.push(BulkSession {
                    id,
                    center_id: c as i64 + 1,
                    date: first_day + Duration::days(day as i64),
                    vaccine_code: "COVISHIELD".into(),
                    min_age: 18,
                    capacity: tier.seats * tier.slots_per_day as i64,
                    fee: 0,
                });
                for k in 0..tier.slots_per_day {
                    let slot = dataset.slot(base + k);
                    let start = (FIRST_HOUR + k as u16) * 60;
                    slots.push(BulkSlot {
                        id: slot.id,
                        session_id: id,
                        name: slot.window,
                        start_minute: i64::from(start),
                        end_minute: i64::from(start + 60),
                        capacity: tier.seats,
                        capacity_dose1: tier.seats,
                    });
                }
            }
        }
        store.bulk_sessions(&sessions, &slots, now).await?;
        if last % 20_000 == 0 || last == tier.centers {
            progress(&format!("sessions of {last} centres"));
        }
    }

    // The rush: sessions tomorrow with ten 30-minute hot slots each, and one single slot.
    let mut next_slot = tier.slots() as i64 + 1;
    let mut sessions = Vec::new();
    let mut slots = Vec::new();
    let mut hot = |center: usize,
                   count: usize,
                   seats: i64,
                   sessions: &mut Vec<BulkSession>,
                   slots: &mut Vec<BulkSlot>| {
        let center_id = center as i64 + 1;
        let id = session_id(seed ^ 0x5255_5348, center, 0);
        sessions.push(BulkSession {
            id,
            center_id,
            date: first_day,
            vaccine_code: "COVISHIELD".into(),
            min_age: 18,
            capacity: seats * count as i64,
            fee: 0,
        });
        let mut refs = Vec::with_capacity(count);
        for k in 0..count {
            let start = 8 * 60 + 30 * k as u16;
            let name = window(start, start + 30);
            slots.push(BulkSlot {
                id: next_slot,
                session_id: id,
                name: name.clone(),
                start_minute: i64::from(start),
                end_minute: i64::from(start + 30),
                capacity: seats,
                capacity_dose1: seats,
            });
            refs.push(SlotRef {
                id: next_slot,
                center_id,
                session_id: id,
                window: name,
                seats,
            });
            next_slot += 1;
        }
        refs
    };
    let mut rush = Vec::new();
    for r in 0..rush_centers {
        let count = (tier.rush_slots - r * 10).min(10);
        rush.extend(hot(
            tier.centers + r,
            count,
            tier.rush_seats,
            &mut sessions,
            &mut slots,
        ));
    }
    let single = hot(
        tier.centers + rush_centers,
        1,
        tier.single_slot_seats,
        &mut sessions,
        &mut slots,
    )
    .pop()
    .ok_or_else(|| anyhow::anyhow!("no single slot"))?;
    store.bulk_sessions(&sessions, &slots, now).await?;
    dataset.rush = rush;
    dataset.single = single;

    // Families of one to four at consecutive mobiles.
    let mut account_of = Vec::with_capacity(tier.beneficiaries);
    let mut hashes = Vec::new();
    let mut batch = Vec::new();
    let mut person = 0usize;
    while person < tier.beneficiaries {
        let account = hashes.len();
        let size = (1 + account % 4).min(tier.beneficiaries - person);
        let mobile = Mobile::parse(&(FIRST_MOBILE + account as i64).to_string())
            .map_err(anyhow::Error::msg)?;
        let hash = identity.mobile_hash(&mobile).as_str().to_owned();
        let members = (person..person + size)
            .map(|i| {
                account_of.push(account as u32);
                let number = format!("{:012}", 100_000_000_000_i64 + i as i64);
                BulkBeneficiary {
                    reference_id: FIRST_REFERENCE + i as i64,
                    name: format!("Bench Person {i}"),
                    birth_year: 1950 + (i % 50) as i64,
                    gender_id: 1 + (i % 3) as i64,
                    photo_id_type: 1,
                    photo_id_hash: identity.photo_id_hash(1, &number),
                    photo_id_last4: number[number.len() - 4..].to_owned(),
                }
            })
            .collect();
        batch.push(BulkAccount {
            mobile_sealed: identity
                .seal("mobile", &hash, mobile.expose())
                .as_str()
                .to_owned(),
            mobile_hash: hash.clone(),
            mobile_last4: mobile.expose()[6..].to_owned(),
            members,
        });
        hashes.push(hash);
        person += size;
        if batch.len() == 20_000 {
            store.bulk_accounts(&batch, now).await?;
            batch.clear();
        }
    }
    store.bulk_accounts(&batch, now).await?;
    dataset.account_hashes = hashes;
    dataset.account_of = account_of;
    progress(&format!("{} beneficiaries", tier.beneficiaries));

    // Bookings made before the run: one seat in each of a share of the slots, by the first
    // beneficiaries, but never more than half of the people (the rest must be free to book).
    let wanted = (tier.slots() as f64 * tier.prebooked_share) as usize;
    let prebooked = wanted.min(tier.beneficiaries / 2);
    let stride = (tier.slots() / prebooked.max(1)).max(1);
    let mut bookings = Vec::with_capacity(prebooked.min(50_000));
    for i in 0..prebooked {
        let slot = dataset.slot((i * stride + rng.random_range(0..stride)) % tier.slots());
        bookings.push(BulkBooking {
            number: FIRST_REFERENCE + i as i64,
            account: dataset.account_of(i).to_owned(),
            beneficiary_id: dataset.reference(i),
            center_id: slot.center_id,
            session_id: slot.session_id,
            slot_id: slot.id,
        });
        if bookings.len() == 50_000 {
            store.bulk_bookings(&bookings, now).await?;
            bookings.clear();
        }
    }
    store.bulk_bookings(&bookings, now).await?;
    dataset.prebooked = prebooked;
    progress(&format!("{prebooked} seats booked before the run"));
    store.analyze().await?;
    dataset.build_seconds = started.elapsed().as_secs_f64();
    Ok(dataset)
}

#[allow(clippy::panic)]
fn unreachable_point() -> sehat_domain::values::GeoPoint {
    panic!("localities were filtered to located ones")
}
