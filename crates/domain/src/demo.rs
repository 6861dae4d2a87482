//! The demo dataset: realistic centres at real post-office locations with two weeks of sessions,
//! generated deterministically from a seed so that every run of `sehat seed-demo --seed N` is alike.

use crate::facility::{Area, CenterSpec, CentreType, FacilityPlan, FeeType, PlaceRef};
use crate::master::Locality;
use crate::schedule::{SessionPlan, SlotTemplate};
use crate::values::{Mobile, Name, SlotTimings};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;

/// How many days of sessions the demo opens, from today.
pub const DEMO_DAYS: i64 = 14;

const KINDS: [(&str, CentreType, FeeType, u32); 6] = [
    ("PHC", CentreType::Permanent, FeeType::Free, 30),
    ("CHC", CentreType::Permanent, FeeType::Free, 20),
    ("Sub Centre", CentreType::Static, FeeType::Free, 25),
    ("UPHC", CentreType::Permanent, FeeType::Free, 10),
    (
        "Mobile Vaccination Unit",
        CentreType::Mobile,
        FeeType::Free,
        5,
    ),
    ("Hospital", CentreType::Permanent, FeeType::Paid, 10),
];

const VACCINES: [(&str, u8, Option<u8>); 8] = [
    ("COVISHIELD", 18, None),
    ("COVAXIN", 18, None),
    ("CORBEVAX", 12, Some(17)),
    ("BCG", 0, Some(1)),
    ("MR", 0, Some(5)),
    ("OPV", 0, Some(5)),
    ("PENTA", 0, Some(1)),
    ("TD", 10, None),
];

const SLOT_SETS: [&[(&str, u16, u16)]; 3] = [
    &[
        ("Morning", 9 * 60, 11 * 60),
        ("Afternoon", 13 * 60, 15 * 60),
    ],
    &[
        ("Morning", 9 * 60, 11 * 60),
        ("Midday", 11 * 60, 13 * 60),
        ("Afternoon", 13 * 60, 15 * 60),
        ("Evening", 15 * 60, 17 * 60),
    ],
    &[("Morning", 10 * 60, 13 * 60)],
];

const INCHARGE: [&str; 12] = [
    "Sunil Kumar",
    "Anita Sharma",
    "R. Lakshmi",
    "Mohammed Iqbal",
    "Priya Nair",
    "Gurpreet Singh",
    "Sanjay Patil",
    "Meena Das",
    "K. Venkatesh",
    "Farida Begum",
    "Rahul Verma",
    "Lalremruata",
];

/// Picks `count` post-office localities (each at most once) and places a centre at each, with
/// sessions for [`DEMO_DAYS`] days from `today`. The same seed and localities give the same plans.
pub fn generate(
    seed: u64,
    localities: &[Locality],
    count: usize,
    today: Date,
) -> Vec<FacilityPlan> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sites: Vec<&Locality> = localities
        .iter()
        .filter(|l| l.location.is_some() && l.district_id.is_some())
        .collect();
    sites.sort_by_key(|l| l.id);
    sites.shuffle(&mut rng);
    sites.truncate(count);
    let weights: u32 = KINDS.iter().map(|k| k.3).sum();
    sites
        .into_iter()
        .map(|site| {
            let mut pick = rng.random_range(0..weights);
            let kind = KINDS
                .iter()
                .find(|k| {
                    let hit = pick < k.3;
                    pick = pick.saturating_sub(k.3);
                    hit
                })
                .unwrap_or(&KINDS[0]);
            let (vaccine, min_age, max_age) = *VACCINES.choose(&mut rng).unwrap_or(&VACCINES[0]);
            let slots = SLOT_SETS.choose(&mut rng).copied().unwrap_or(SLOT_SETS[0]);
            let per_slot = rng.random_range(2..=10) * 10;
            let online = per_slot * u32::try_from(slots.len()).unwrap_or(1);
            let incharge = INCHARGE.choose(&mut rng).copied().unwrap_or(INCHARGE[0]);
            let mobile = format!("9{:09}", rng.random_range(0..1_000_000_000u32));
            let place_name = crate::master::post_office_place_name(&site.name);
            let district = site.district_id.map_or(0, |d| d.0);
            FacilityPlan {
                center: CenterSpec {
                    name: Name::parse(&format!("{} {}", kind.0, place_name))
                        .unwrap_or_else(|_| fallback_name()),
                    state: None,
                    district: PlaceRef::Id(district),
                    block: site.block_id.map(|b| PlaceRef::Id(b.0)),
                    pincode: site.pincode,
                    address: format!("{place_name}, {}", site.pincode),
                    incharge_name: Name::parse(incharge).ok(),
                    incharge_mobile: Mobile::parse(&mobile).ok(),
                    location: site.location,
                    centre_type: kind.1,
                    area: if kind.0 == "UPHC" || kind.0 == "Hospital" {
                        Area::Urban
                    } else {
                        Area::Rural
                    },
                    fee_type: kind.2,
                    vaccine_codes: vec![vaccine.to_owned()],
                },
                sessions: Some(SessionPlan {
                    from: today,
                    to: today + time::Duration::days(DEMO_DAYS - 1),
                    vaccine_code: vaccine.to_owned(),
                    min_age,
                    max_age,
                    dose: None,
                    capacity_online: online,
                    capacity_walkin: online / 5,
                    // Three in five seats for first doses, the rest for later ones.
                    capacity_dose1: (max_age.is_none()).then_some(online * 3 / 5),
                    fee: if kind.2 == FeeType::Paid {
                        demo_fee(vaccine)
                    } else {
                        0
                    },
                    slots: slots
                        .iter()
                        .filter_map(|(name, start, end)| {
                            Some(SlotTemplate {
                                name: Name::parse(name).ok()?,
                                timings: SlotTimings::new(*start, *end).ok()?,
                                capacity: None,
                            })
                        })
                        .collect(),
                }),
            }
        })
        .collect()
}

/// What the demo's paid centres charge per dose, in rupees (for COVID vaccines, the caps India set
/// for private hospitals in June 2021; the rest are illustrative).
fn demo_fee(vaccine: &str) -> u32 {
    match vaccine {
        "COVISHIELD" => 780,
        "COVAXIN" => 1410,
        "CORBEVAX" => 250,
        "PENTA" => 650,
        "MR" => 450,
        _ => 150,
    }
}

fn fallback_name() -> Name {
    Name::parse("Health Centre").unwrap_or_else(|_| unreachable!("constant name is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DistrictId, LocalityId};
    use crate::values::{GeoPoint, Pincode};
    use time::macros::date;

    fn localities() -> Vec<Locality> {
        (0..50)
            .map(|i| Locality {
                id: LocalityId(i),
                name: format!("village{i} bo"),
                pincode: Pincode::from_number(411_000 + i).unwrap(),
                block_id: None,
                district_id: (i % 7 != 0).then_some(DistrictId(363)),
                location: GeoPoint::new(18.5, 73.8).ok(),
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_centres() {
        let today = date!(2026 - 11 - 24);
        let a = generate(42, &localities(), 20, today);
        let b = generate(42, &localities(), 20, today);
        let c = generate(43, &localities(), 20, today);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 20);
    }

    #[test]
    fn demo_centres_sit_at_located_post_offices_with_two_weeks_of_valid_sessions() {
        let plans = generate(1, &localities(), 100, date!(2026 - 11 - 24));
        assert_eq!(
            plans.len(),
            42,
            "only located localities with a district are used"
        );
        for plan in plans {
            assert!(plan.center.location.is_some());
            assert!(!plan.center.name.as_str().contains(" bo"));
            let sessions = plan.sessions.unwrap();
            sessions.validate().unwrap();
            assert_eq!(sessions.dates().count(), 14);
        }
    }
}
