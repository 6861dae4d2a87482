//! Store contract tests: every scenario runs on SQLite, and on PostgreSQL when
//! `SEHAT_TEST_POSTGRES_URL` is set, each on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use sehat_domain::DomainError;
use sehat_domain::clock::FixedClock;
use sehat_domain::facility::{
    Area, CenterPatch, CenterSpec, CentreType, FeeType, PlaceRef, ResolvedCenter,
};
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use sehat_domain::schedule::{SessionPlan, SessionStatus, SlotTemplate};
use sehat_domain::store::{CenterFilter, Page, Store};
use sehat_domain::values::{Name, Pincode};
use sehat_store::testing::{TestDatabase, backends};
use std::sync::Arc;
use time::macros::{date, datetime};

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(datetime!(2026-03-01 04:00 UTC)))
}

/// Runs a scenario on every configured backend.
macro_rules! on_every_backend {
    (|$store:ident, $db:ident| $body:block) => {
        for backend in backends() {
            let $db = TestDatabase::new(backend, clock()).await;
            {
                let $store: &dyn Store = &$db.store;
                $body
            }
            $db.teardown().await;
        }
    };
}

fn satara_centre(name: &str) -> CenterSpec {
    CenterSpec {
        name: Name::parse(name).unwrap(),
        state: Some(PlaceRef::Name("Maharashtra".into())),
        district: PlaceRef::Name("Satara".into()),
        block: None,
        pincode: Pincode::parse("415001").unwrap(),
        address: "Powai Naka".into(),
        incharge_name: Name::parse("Sunil Kumar").ok(),
        incharge_mobile: None,
        location: None,
        centre_type: CentreType::Permanent,
        area: Area::Urban,
        fee_type: FeeType::Free,
        vaccine_codes: vec!["COVISHIELD".into()],
    }
}

fn plan(online: u32) -> SessionPlan {
    SessionPlan {
        from: date!(2026 - 03 - 02),
        to: date!(2026 - 03 - 04),
        vaccine_code: "COVISHIELD".into(),
        min_age: 18,
        max_age: None,
        dose: None,
        // Every seat for first doses, unless a test says otherwise.
        capacity_dose1: Some(online),
        fee: 0,
        capacity_online: online,
        capacity_walkin: 10,
        slots: SlotTemplate::parse_list("Morning 9AM-11AM; Afternoon 1PM-3PM").unwrap(),
    }
}

async fn resolve(store: &dyn Store, spec: CenterSpec) -> ResolvedCenter {
    Gazetteer::load(store)
        .await
        .unwrap()
        .resolve_center(spec)
        .unwrap()
}

#[tokio::test]
async fn master_data_holds_cowin_ids_and_reimports_idempotently() {
    on_every_backend!(|store, db| {
        let states = store.states().await.unwrap();
        assert_eq!(states.len(), 37);
        let districts = store.districts().await.unwrap();
        assert_eq!(districts.len(), 756);
        let pune = districts.iter().find(|d| d.id == DistrictId(363)).unwrap();
        assert_eq!((pune.name.as_str(), pune.state_id), ("Pune", StateId(21)));
        let localities = store
            .localities(Pincode::parse("411005").unwrap())
            .await
            .unwrap();
        assert!(!localities.is_empty());
        assert!(
            localities
                .iter()
                .all(|l| l.district_id == Some(DistrictId(363)))
        );
        let blocks_before = store.blocks().await.unwrap().len();
        let (data, _) = sehat_store::master_data::shipped().unwrap();
        store.import_master_data(&data).await.unwrap();
        assert_eq!(store.blocks().await.unwrap().len(), blocks_before);
        assert_eq!(
            store.master_data_version().await.unwrap(),
            Some(data.version)
        );
        let vaccines = store.vaccines().await.unwrap();
        assert!(
            vaccines.iter().any(|v| v.code == "BCG")
                && vaccines.iter().any(|v| v.code == "COVAXIN")
        );
    });
}

#[tokio::test]
async fn a_facility_plan_applied_twice_changes_nothing_the_second_time() {
    on_every_backend!(|store, db| {
        let centre = resolve(store, satara_centre("District Hospital Satara")).await;
        let mut import = store.begin_facility_import().await.unwrap();
        let first = import
            .apply(&centre, Some(&plan(100)))
            .await
            .unwrap()
            .unwrap();
        import.commit().await.unwrap();
        assert_eq!(
            (
                first.centers_created,
                first.sessions_created,
                first.slots_created
            ),
            (1, 3, 6)
        );

        let mut import = store.begin_facility_import().await.unwrap();
        let second = import
            .apply(&centre, Some(&plan(100)))
            .await
            .unwrap()
            .unwrap();
        import.commit().await.unwrap();
        assert!(second.is_unchanged(), "{second:?}");

        let mut import = store.begin_facility_import().await.unwrap();
        let third = import
            .apply(&centre, Some(&plan(120)))
            .await
            .unwrap()
            .unwrap();
        import.commit().await.unwrap();
        assert_eq!(
            (third.centers_created, third.sessions_updated),
            (0, 9),
            "3 sessions + 6 slots"
        );
        assert_eq!(store.count_centers().await.unwrap(), 1);
    });
}

#[tokio::test]
async fn an_import_not_committed_leaves_nothing_behind() {
    on_every_backend!(|store, db| {
        let centre = resolve(store, satara_centre("PHC Rollback")).await;
        let mut import = store.begin_facility_import().await.unwrap();
        import
            .apply(&centre, Some(&plan(10)))
            .await
            .unwrap()
            .unwrap();
        drop(import);
        assert_eq!(store.count_centers().await.unwrap(), 0);
    });
}

#[tokio::test]
async fn capacity_cannot_drop_below_what_is_booked_and_the_database_refuses_overbooking() {
    on_every_backend!(|store, db| {
        let centre = store
            .create_center(&resolve(store, satara_centre("UPHC Sadar Bazar")).await)
            .await
            .unwrap();
        store.open_sessions(centre.id, &plan(100)).await.unwrap();
        db.execute("UPDATE slots SET booked = 40, booked_dose1 = 40")
            .await
            .unwrap();
        let refused = store.open_sessions(centre.id, &plan(60)).await;
        assert!(
            matches!(refused, Err(DomainError::Conflict(_))),
            "{refused:?}"
        );
        let sessions = store
            .sessions(centre.id, date!(2026 - 03 - 01), date!(2026 - 03 - 31))
            .await
            .unwrap();
        assert!(
            sessions
                .iter()
                .all(|s| s.slots.iter().all(|sl| sl.capacity == 50)),
            "nothing changed"
        );
        let over = db.execute("UPDATE slots SET booked = capacity + 1").await;
        assert!(
            over.is_err(),
            "the CHECK constraint refuses booked > capacity"
        );
        assert!(db.execute("UPDATE slots SET booked = -1").await.is_err());
    });
}

#[tokio::test]
async fn centres_are_created_updated_listed_and_unique_by_name_in_a_pincode() {
    on_every_backend!(|store, db| {
        let spec = resolve(store, satara_centre("CHC Koregaon")).await;
        let created = store.create_center(&spec).await.unwrap();
        assert_eq!(created.district_name, "Satara");
        assert!(
            created.block_id.is_some() && created.lat.is_some(),
            "filled from the pincode"
        );
        let again = store
            .create_center(&resolve(store, satara_centre("chc  KOREGAON")).await)
            .await;
        assert!(matches!(again, Err(DomainError::Conflict(_))));
        for i in 0..5 {
            store
                .create_center(&resolve(store, satara_centre(&format!("Sub Centre {i}"))).await)
                .await
                .unwrap();
        }
        let patch = CenterPatch {
            active: Some(false),
            area: Some(Area::Rural),
            ..CenterPatch::default()
        };
        let updated = store.update_center(created.id, &patch).await.unwrap();
        assert!(!updated.active && updated.area == Area::Rural && updated.name == "CHC Koregaon");
        assert!(matches!(
            store.update_center(CenterId(999_999), &patch).await,
            Err(DomainError::NotFound(_))
        ));

        let filter = CenterFilter {
            district_id: Some(created.district_id),
            ..CenterFilter::default()
        };
        let first = store.list_centers(&filter, Page::new(0, 4)).await.unwrap();
        let rest = store
            .list_centers(&filter, Page::new(first[3].id.0, 4))
            .await
            .unwrap();
        assert_eq!((first.len(), rest.len()), (4, 2));
        let named = CenterFilter {
            name_contains: Some("sub centre".into()),
            ..CenterFilter::default()
        };
        assert_eq!(
            store
                .list_centers(&named, Page::new(0, 100))
                .await
                .unwrap()
                .len(),
            5
        );
        let elsewhere = CenterFilter {
            district_id: Some(DistrictId(363)),
            ..CenterFilter::default()
        };
        assert!(
            store
                .list_centers(&elsewhere, Page::new(0, 100))
                .await
                .unwrap()
                .is_empty()
        );
    });
}

#[tokio::test]
async fn sessions_open_close_and_report_utilization_per_day() {
    on_every_backend!(|store, db| {
        let centre = store
            .create_center(&resolve(store, satara_centre("PHC Wai")).await)
            .await
            .unwrap();
        let outcome = store.open_sessions(centre.id, &plan(101)).await.unwrap();
        assert_eq!((outcome.sessions_created, outcome.slots_created), (3, 6));
        let sessions = store
            .sessions(centre.id, date!(2026 - 03 - 01), date!(2026 - 03 - 10))
            .await
            .unwrap();
        assert_eq!(sessions.len(), 3);
        assert_eq!(
            sessions[0]
                .slots
                .iter()
                .map(|s| s.capacity)
                .collect::<Vec<_>>(),
            vec![51, 50]
        );
        assert_eq!(sessions[0].slots[0].timings.to_cowin_v1(), "9AM-11AM");
        let closed = store.close_session(sessions[1].id).await.unwrap();
        assert_eq!(closed.status, SessionStatus::Closed);
        assert!(matches!(
            store.close_session(SessionId::new_random()).await,
            Err(DomainError::NotFound(_))
        ));
        db.execute("UPDATE slots SET booked = 10, booked_dose1 = 10")
            .await
            .unwrap();
        let days = store
            .utilization(centre.id, date!(2026 - 03 - 01), date!(2026 - 03 - 31))
            .await
            .unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(
            (days[0].capacity, days[0].booked, days[0].sessions),
            (101, 20, 1)
        );
        assert_eq!(
            (days[1].capacity, days[1].available),
            (101, 0),
            "a closed session's seats are offered but not bookable"
        );
        assert_eq!(days[0].available, 81);
        assert!((days[0].ratio() - 20.0 / 101.0).abs() < 1e-9);
    });
}

#[tokio::test]
async fn feed_versions_are_stamped_without_gaps_and_pruned_as_a_prefix() {
    on_every_backend!(|store, db| {
        let centre = store
            .create_center(&resolve(store, satara_centre("UPHC Feed Log")).await)
            .await
            .unwrap();
        assert_eq!(store.feed_bounds().await.unwrap(), (0, 0));
        store.open_sessions(centre.id, &plan(10)).await.unwrap();
        assert_eq!(
            store.feed_bounds().await.unwrap().0,
            0,
            "changes wait for the stamper"
        );
        assert_eq!(store.sequence_feed(2).await.unwrap(), 2, "two at a time");
        assert_eq!(store.sequence_feed(100).await.unwrap(), 3);
        assert_eq!(
            store.sequence_feed(100).await.unwrap(),
            3,
            "nothing pending"
        );
        let all = store.feed_changes(0, None, 100).await.unwrap();
        let versions: Vec<u64> = all.iter().map(|c| c.version).collect();
        assert_eq!(versions, [1, 2, 3], "one per session, in order, no gaps");
        assert!(all.iter().all(|c| c.center_id == centre.id));
        let area = Some(sehat_domain::store::CenterArea::District(
            all[0].district_id,
        ));
        assert_eq!(store.feed_changes(1, area, 100).await.unwrap().len(), 2);
        let elsewhere = Some(sehat_domain::store::CenterArea::Pincode(
            sehat_domain::values::Pincode::parse("110001").unwrap(),
        ));
        assert!(
            store
                .feed_changes(0, elsewhere, 100)
                .await
                .unwrap()
                .is_empty()
        );
        // Version 3 written "earlier" than 2 by its writer's clock: pruning still keeps a prefix.
        db.execute("UPDATE availability_changes SET changed_at = 5 WHERE version = 1")
            .await
            .unwrap();
        db.execute("UPDATE availability_changes SET changed_at = 50 WHERE version = 2")
            .await
            .unwrap();
        db.execute("UPDATE availability_changes SET changed_at = 10 WHERE version = 3")
            .await
            .unwrap();
        assert_eq!(
            store.prune_feed(20).await.unwrap(),
            1,
            "only version 1 goes"
        );
        assert_eq!(store.feed_bounds().await.unwrap(), (3, 2));
        assert_eq!(store.prune_feed(i64::MAX).await.unwrap(), 2);
        assert_eq!(store.feed_bounds().await.unwrap(), (3, 0));
    });
}

/// The v2 sold-out fast path asks whether a retry's key was seen before answering from memory;
/// on PostgreSQL this once failed to decode (500 instead of the first answer).
#[tokio::test]
async fn an_idempotency_key_is_seen_once_stored_on_every_backend() {
    on_every_backend!(|store, db| {
        let key = sehat_domain::store::IdempotencyKey {
            scope: "account:v2/schedule".into(),
            key: "retry-1".into(),
            request_hash: "h".into(),
        };
        assert!(!store.idempotency_key_seen(&key).await.unwrap());
        db.execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, outcome, created_at) \
             VALUES ('account:v2/schedule', 'retry-1', 'h', NULL, 0)",
        )
        .await
        .unwrap();
        assert!(store.idempotency_key_seen(&key).await.unwrap());
    });
}

/// Registers a person under `mobile`; returns their reference id and the family's account.
async fn register(
    store: &dyn Store,
    mobile: &str,
    name: &str,
    pan: &str,
) -> (
    sehat_domain::beneficiary::BeneficiaryRef,
    sehat_domain::identity::MobileHash,
) {
    use sehat_domain::beneficiary::{
        Address, BeneficiaryRef, BirthYear, GenderId, NewBeneficiary, PhotoId, Registration,
    };
    let key = sehat_domain::identity::IdentityKey::new(vec![5; 32]).unwrap();
    let mobile = sehat_domain::values::Mobile::parse(mobile).unwrap();
    let person = NewBeneficiary {
        name: Name::parse(name).unwrap(),
        birth_year: BirthYear::parse("1980", 2026).unwrap(),
        gender: GenderId::from_id(2).unwrap(),
        photo_id: PhotoId::parse(6, pan).unwrap(),
        address: Address::default(),
        comorbidity: false,
    };
    let registration = Registration::new(&key, BeneficiaryRef::random(), Ok(&mobile), person);
    let stored = store.register_beneficiary(&registration, 6).await.unwrap();
    (stored.reference_id, registration.account)
}

#[tokio::test]
async fn a_centres_day_lists_its_appointments_by_slot_with_their_people_and_nothing_else() {
    use sehat_domain::booking::{BookingRequest, BookingStatus};
    use sehat_domain::store::RescheduleRequest;
    on_every_backend!(|store, db| {
        let wai = store
            .create_center(&resolve(store, satara_centre("PHC Wai")).await)
            .await
            .unwrap();
        let other = store
            .create_center(&resolve(store, satara_centre("PHC Koregaon")).await)
            .await
            .unwrap();
        store.open_sessions(wai.id, &plan(20)).await.unwrap();
        store.open_sessions(other.id, &plan(20)).await.unwrap();
        let day = date!(2026 - 03 - 02);
        let slots = |sessions: &[sehat_domain::schedule::Session], date| {
            let s = sessions.iter().find(|s| s.date == date).unwrap();
            (s.slots[0].id, s.slots[1].id)
        };
        let at_wai = store
            .sessions(wai.id, day, date!(2026 - 03 - 04))
            .await
            .unwrap();
        let at_other = store.sessions(other.id, day, day).await.unwrap();
        let (morning, afternoon) = slots(&at_wai, day);
        let (next_morning, _) = slots(&at_wai, date!(2026 - 03 - 03));
        let (elsewhere, _) = slots(&at_other, day);

        let (asha, asha_family) = register(store, "9876500001", "Asha Patil", "ABCPE1234F").await;
        let (ravi, ravi_family) = register(store, "9876500002", "Ravi Jadhav", "ABCPF1234G").await;
        let (meena, meena_family) =
            register(store, "9876500003", "Meena Shinde", "ABCPG1234H").await;
        let (kiran, kiran_family) = register(store, "9876500004", "Kiran More", "ABCPH1234J").await;
        let book =
            |account: &sehat_domain::identity::MobileHash, date, slot_id, who| BookingRequest {
                account: account.clone(),
                center_id: if slot_id == elsewhere {
                    other.id
                } else {
                    wai.id
                },
                date,
                slot_id,
                beneficiaries: vec![who],
                dose: Some(1),
            };
        // Asha in the afternoon, Ravi in the morning (then cancelled), Meena the next day,
        // Kiran at another centre, all on the same day.
        let asha_booking = store
            .book(&book(&asha_family, day, afternoon, asha), None)
            .await
            .unwrap();
        let ravi_booking = store
            .book(&book(&ravi_family, day, morning, ravi), None)
            .await
            .unwrap();
        store
            .book(
                &book(&meena_family, date!(2026 - 03 - 03), next_morning, meena),
                None,
            )
            .await
            .unwrap();
        store
            .book(&book(&kiran_family, day, elsewhere, kiran), None)
            .await
            .unwrap();
        store
            .cancel(&ravi_family, ravi_booking.number, &[])
            .await
            .unwrap();

        let listed = store.center_appointments(wai.id, day).await.unwrap();
        let places: Vec<_> = listed
            .appointments
            .iter()
            .map(|a| {
                (
                    a.number,
                    a.slot.id,
                    a.beneficiaries[0].reference_id,
                    a.beneficiaries[0].status,
                )
            })
            .collect();
        assert_eq!(
            places,
            vec![
                (ravi_booking.number, morning, ravi, BookingStatus::Cancelled),
                (asha_booking.number, afternoon, asha, BookingStatus::Active),
            ],
            "earliest slot first, cancelled places kept, other days and centres left out"
        );
        let mut names: Vec<_> = listed.people.iter().map(|b| b.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["Asha Patil", "Ravi Jadhav"]);

        // Whoever moved to another day leaves this day's list and joins that one's.
        store
            .reschedule(
                &RescheduleRequest {
                    number: asha_booking.number,
                    to: book(&asha_family, date!(2026 - 03 - 03), next_morning, asha),
                },
                None,
            )
            .await
            .unwrap();
        let today = store.center_appointments(wai.id, day).await.unwrap();
        assert!(
            today
                .appointments
                .iter()
                .all(|a| a.beneficiaries.iter().all(|b| b.reference_id != asha)),
            "{today:?}"
        );
        let tomorrow = store
            .center_appointments(wai.id, date!(2026 - 03 - 03))
            .await
            .unwrap();
        let mut people: Vec<_> = tomorrow.people.iter().map(|b| b.reference_id).collect();
        people.sort_unstable();
        let mut expected = vec![asha, meena];
        expected.sort_unstable();
        assert_eq!(people, expected);
        // A day without sessions is an empty list.
        let empty = store
            .center_appointments(wai.id, date!(2026 - 04 - 01))
            .await
            .unwrap();
        assert_eq!(empty, sehat_domain::booking::CenterDay::default());
    });
}
