//! Sessions (a centre's offer of one vaccine on one date) and the time slots inside them.

use crate::DomainError;
use crate::ids::{CenterId, SessionId, SlotId};
use crate::values::{Name, SlotTimings};
use serde::Serialize;
use time::Date;

/// The longest date range one request may open sessions over.
pub const MAX_PLAN_DAYS: i64 = 366;

/// One slot of a day's template: a name and a time window, with an optional fixed capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotTemplate {
    /// e.g. `Morning`.
    pub name: Name,
    /// e.g. 9AM–11AM.
    pub timings: SlotTimings,
    /// Seats in this slot; when `None`, the online capacity is split evenly.
    pub capacity: Option<u32>,
}

impl SlotTemplate {
    /// Parses a template list as the facility CSV's `slots` column carries it:
    /// `Morning 09:00AM-11:00AM; Afternoon 01:00PM-03:00PM` (names optional).
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, &'static str> {
        let mut out = Vec::new();
        for item in raw
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            // The time window is the last whitespace-separated part that contains '-'.
            let (name, window) = match item.rfind(|c: char| c.is_whitespace()) {
                Some(at) if item[at..].contains('-') && !item[..at].contains('-') => {
                    (item[..at].trim(), item[at..].trim())
                }
                _ => ("", item),
            };
            let timings = SlotTimings::parse(window)?;
            let taken: Vec<&Name> = out.iter().map(|s: &Self| &s.name).collect();
            let name = if name.is_empty() {
                Self::default_name(timings, &taken)
            } else {
                name.to_owned()
            };
            out.push(Self {
                name: Name::parse(&name)?,
                timings,
                capacity: None,
            });
        }
        if out.is_empty() {
            return Err("must list at least one slot, e.g. Morning 09:00AM-11:00AM");
        }
        Ok(out)
    }
}

impl SlotTemplate {
    /// The name of an unnamed slot: its part of the day (`Morning`), with its start time when
    /// an earlier slot of the template has that name already (`Morning 11:00AM`).
    pub fn default_name(timings: SlotTimings, taken: &[&Name]) -> String {
        let part = default_slot_name(timings);
        if taken.iter().any(|n| n.as_str().eq_ignore_ascii_case(part)) {
            let window = timings.to_cowin_v2();
            let start = window.split('-').next().unwrap_or_default();
            format!("{part} {start}")
        } else {
            part.to_owned()
        }
    }
}

fn default_slot_name(timings: SlotTimings) -> &'static str {
    match timings.start_minute() / 60 {
        0..=11 => "Morning",
        12..=15 => "Afternoon",
        _ => "Evening",
    }
}

/// What opening sessions over a date range asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    /// First date.
    pub from: Date,
    /// Last date, inclusive.
    pub to: Date,
    /// Vaccine code offered.
    pub vaccine_code: String,
    /// Youngest age in years.
    pub min_age: u8,
    /// Oldest age in years, if limited.
    pub max_age: Option<u8>,
    /// Dose number, if the session is for one dose only.
    pub dose: Option<u8>,
    /// Seats per day bookable online.
    pub capacity_online: u32,
    /// Seats per day kept for walk-ins.
    pub capacity_walkin: u32,
    /// Online seats per day kept for first doses (the rest are for later doses); when `None`,
    /// see [`SessionPlan::dose1_capacity`].
    pub capacity_dose1: Option<u32>,
    /// Fee per dose in rupees (0 when free), as CoWIN v2's `fee`.
    pub fee: u32,
    /// The day's slots.
    pub slots: Vec<SlotTemplate>,
}

impl SessionPlan {
    /// Checks the plan's internal rules (dates in order, ages, capacities, unique slot names).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.to < self.from {
            return Err(DomainError::invalid("to", "must not be before from"));
        }
        if (self.to - self.from).whole_days() >= MAX_PLAN_DAYS {
            return Err(DomainError::invalid(
                "to",
                "a plan may span at most 366 days",
            ));
        }
        if self.min_age > 120 {
            return Err(DomainError::invalid("min_age", "must be 0-120"));
        }
        if self.max_age.is_some_and(|m| m > 120 || m < self.min_age) {
            return Err(DomainError::invalid(
                "max_age",
                "ages must be 0-120 and min_age <= max_age",
            ));
        }
        if self.dose.is_some_and(|d| d == 0 || d > 9) {
            return Err(DomainError::invalid("dose", "must be 1-9"));
        }
        if self.capacity_online > 100_000 || self.capacity_walkin > 100_000 {
            return Err(DomainError::invalid(
                "capacity",
                "at most 100000 seats per day",
            ));
        }
        if self.slots.is_empty() || self.slots.len() > 48 {
            return Err(DomainError::invalid("slots", "must list 1-48 slots"));
        }
        let mut names: Vec<String> = self.slots.iter().map(|s| s.name.key()).collect();
        names.sort();
        names.dedup();
        if names.len() != self.slots.len() {
            return Err(DomainError::invalid("slots", "slot names must be unique"));
        }
        let given = self.slots.iter().filter(|s| s.capacity.is_some()).count();
        if given != 0 && given != self.slots.len() {
            return Err(DomainError::invalid(
                "slots",
                "give a capacity for every slot, or for none (the online capacity is then split evenly)",
            ));
        }
        match (self.dose, self.capacity_dose1) {
            (_, Some(d1)) if d1 > self.capacity_online => {
                return Err(DomainError::invalid(
                    "capacity_dose1",
                    "must not exceed the online capacity",
                ));
            }
            (Some(1), Some(d1)) if d1 != self.capacity_online => {
                return Err(DomainError::invalid(
                    "capacity_dose1",
                    "a session for dose 1 only keeps all its seats for dose 1",
                ));
            }
            (Some(d), Some(d1)) if d > 1 && d1 > 0 => {
                return Err(DomainError::invalid(
                    "capacity_dose1",
                    format!("a session for dose {d} only has no seats for dose 1"),
                ));
            }
            _ => {}
        }
        if self.fee > 100_000 {
            return Err(DomainError::invalid("fee", "must be 0-100000 rupees"));
        }
        let fixed: Option<u32> = self.slots.iter().map(|s| s.capacity).sum();
        if let Some(total) = fixed
            && total != self.capacity_online
        {
            return Err(DomainError::invalid(
                "slots",
                "slot capacities must add up to the online capacity",
            ));
        }
        Ok(())
    }

    /// Every date the plan covers.
    pub fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        let mut next = Some(self.from);
        std::iter::from_fn(move || {
            let date = next.filter(|d| *d <= self.to)?;
            next = date.next_day();
            Some(date)
        })
    }

    /// Seats per slot: fixed where given, else the online capacity split evenly, the remainder
    /// going to the earliest slots.
    pub fn slot_capacities(&self) -> Vec<u32> {
        if self.slots.iter().all(|s| s.capacity.is_some()) {
            return self.slots.iter().map(|s| s.capacity.unwrap_or(0)).collect();
        }
        let n = u32::try_from(self.slots.len()).unwrap_or(u32::MAX).max(1);
        let (each, extra) = (self.capacity_online / n, self.capacity_online % n);
        (0..n).map(|i| each + u32::from(i < extra)).collect()
    }

    /// Online seats per day for first doses (CoWIN split sessions into
    /// `available_capacity_dose1` and `_dose2`): as given; else none in a session for a later
    /// dose, and all of them otherwise — what booking did before doses had pools of their own, so
    /// that seats for later doses exist only where a programme asks for them.
    pub fn dose1_capacity(&self) -> u32 {
        match (self.capacity_dose1, self.dose) {
            (Some(d1), _) => d1,
            (None, Some(d)) if d > 1 => 0,
            (None, _) => self.capacity_online,
        }
    }

    /// First-dose seats per slot, given the slots' capacities: shared in proportion to them, the
    /// remainder going to the earliest slots with room, so that they add up to
    /// [`SessionPlan::dose1_capacity`] and no slot gets more than its capacity.
    pub fn slot_dose1_capacities(&self, capacities: &[u32]) -> Vec<u32> {
        let total: u64 = capacities.iter().map(|c| u64::from(*c)).sum();
        let wanted = u64::from(self.dose1_capacity()).min(total);
        if total == 0 {
            return vec![0; capacities.len()];
        }
        let mut shares: Vec<u32> = capacities
            .iter()
            .map(|c| u32::try_from(u64::from(*c) * wanted / total).unwrap_or(*c))
            .collect();
        let mut left = wanted - shares.iter().map(|s| u64::from(*s)).sum::<u64>();
        while left > 0 {
            let before = left;
            for (share, cap) in shares.iter_mut().zip(capacities) {
                if left > 0 && *share < *cap {
                    *share += 1;
                    left -= 1;
                }
            }
            if left == before {
                break;
            }
        }
        shares
    }
}

/// Which pool of a slot's seats a dose draws on: CoWIN keeps first doses apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DosePool {
    /// Dose 1.
    First,
    /// Dose 2 and later (second doses, boosters, the later doses of the childhood schedule).
    Later,
}

impl DosePool {
    /// The pool a dose number draws on.
    pub fn of(dose: u8) -> Self {
        if dose <= 1 { Self::First } else { Self::Later }
    }
}

/// A slot as stored, with what is booked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    /// Slot id.
    pub id: SlotId,
    /// Its name.
    pub name: String,
    /// Its window.
    pub timings: SlotTimings,
    /// Seats.
    pub capacity: u32,
    /// Seats taken.
    pub booked: u32,
    /// Seats kept for first doses (part of `capacity`).
    pub capacity_dose1: u32,
    /// First-dose seats taken (part of `booked`).
    pub booked_dose1: u32,
}

impl Slot {
    /// Seats still free.
    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.booked)
    }

    /// Seats still free for a pool of doses. The two pools always add up to [`Slot::available`]
    /// (the database holds each pool's bookings within its seats).
    pub fn available_for(&self, pool: DosePool) -> u32 {
        match pool {
            DosePool::First => self.capacity_dose1.saturating_sub(self.booked_dose1),
            DosePool::Later => (self.capacity.saturating_sub(self.capacity_dose1))
                .saturating_sub(self.booked.saturating_sub(self.booked_dose1)),
        }
    }
}

/// Whether a session takes bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SessionStatus {
    /// Taking bookings.
    Open,
    /// Closed by an administrator.
    Closed,
}

impl SessionStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
        }
    }

    /// Reads the stored spelling.
    pub fn from_stored(s: &str) -> Self {
        if s == "CLOSED" {
            Self::Closed
        } else {
            Self::Open
        }
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Session id.
    pub id: SessionId,
    /// Its centre.
    pub center_id: CenterId,
    /// Its date.
    pub date: Date,
    /// Vaccine code.
    pub vaccine_code: String,
    /// Youngest age.
    pub min_age: u8,
    /// Oldest age.
    pub max_age: Option<u8>,
    /// Dose, if for one only.
    pub dose: Option<u8>,
    /// Seats bookable online.
    pub capacity_online: u32,
    /// Seats kept for walk-ins.
    pub capacity_walkin: u32,
    /// Fee per dose in rupees (0 when free).
    pub fee: u32,
    /// Open or closed.
    pub status: SessionStatus,
    /// When it or its seats last changed (ms since the epoch), for `Last-Modified`.
    pub changed_at: i64,
    /// Its slots, in time order.
    pub slots: Vec<Slot>,
}

impl Session {
    /// Online seats still free across all slots.
    pub fn available(&self) -> u32 {
        self.slots.iter().map(Slot::available).sum()
    }

    /// The slots still bookable at `now` (IST): none when the session is closed or past, and
    /// none that ended already today.
    pub fn bookable_slots(&self, now: time::OffsetDateTime) -> impl Iterator<Item = &Slot> + '_ {
        let local = now.to_offset(crate::clock::IST);
        let minute_now = u16::from(local.hour()) * 60 + u16::from(local.minute());
        let open = self.status == SessionStatus::Open && self.date >= local.date();
        let today = self.date == local.date();
        self.slots
            .iter()
            .filter(move |s| open && !(today && s.timings.end_minute() <= minute_now))
    }

    /// What is still bookable at `now`, per pool: `(first doses, later doses)`.
    pub fn availability(&self, now: time::OffsetDateTime) -> (u32, u32) {
        self.bookable_slots(now).fold((0, 0), |(first, later), s| {
            (
                first + s.available_for(DosePool::First),
                later + s.available_for(DosePool::Later),
            )
        })
    }

    /// Whether the age limits admit every adult (CoWIN v2's `allow_all_age`): no upper limit and
    /// a lower one of 18 or less.
    pub fn allows_all_ages(&self) -> bool {
        self.max_age.is_none() && self.min_age <= 18
    }
}

/// How full a centre is on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayUtilization {
    /// The date.
    pub date: Date,
    /// Sessions that day (open and closed).
    pub sessions: u32,
    /// Online seats that day, in all its sessions.
    pub capacity: u64,
    /// Seats booked.
    pub booked: u64,
    /// Seats still bookable: free seats of open sessions.
    pub available: u64,
}

impl DayUtilization {
    /// Booked share of capacity, 0–1.
    pub fn ratio(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.booked as f64 / self.capacity as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn plan(online: u32, slots: &str) -> SessionPlan {
        SessionPlan {
            from: date!(2026 - 03 - 01),
            to: date!(2026 - 03 - 03),
            vaccine_code: "BCG".into(),
            min_age: 0,
            max_age: None,
            dose: None,
            capacity_online: online,
            capacity_walkin: 10,
            capacity_dose1: None,
            fee: 0,
            slots: SlotTemplate::parse_list(slots).unwrap(),
        }
    }

    #[test]
    fn slot_lists_read_names_and_windows() {
        let slots =
            SlotTemplate::parse_list("Morning 09:00AM-11:00AM; 1PM-3PM | Late shift 17:00-19:00")
                .unwrap();
        let names: Vec<&str> = slots.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Morning", "Afternoon", "Late shift"]);
        assert!(SlotTemplate::parse_list(" ; ").is_err());
        assert!(SlotTemplate::parse_list("Morning 11AM-9AM").is_err());
    }

    #[test]
    fn online_capacity_is_split_evenly_with_the_remainder_first() {
        let p = plan(101, "9AM-11AM; 1PM-3PM");
        assert_eq!(p.slot_capacities(), vec![51, 50]);
        assert_eq!(p.dates().count(), 3);
        p.validate().unwrap();
    }

    #[test]
    fn plans_with_broken_rules_are_refused() {
        let mut p = plan(10, "9AM-11AM; Morning 1PM-3PM");
        assert!(p.validate().is_err(), "duplicate slot names");
        // Unnamed slots in the same part of the day are named apart by their start.
        let named = SlotTemplate::parse_list("09:00AM-11:00AM; 11:00AM-01:00PM; 02:00PM-04:00PM")
            .expect("three slots");
        let names: Vec<&str> = named.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Morning", "Morning 11:00AM", "Afternoon"]);
        p = plan(10, "9AM-11AM");
        p.to = date!(2026 - 02 - 01);
        assert!(p.validate().is_err(), "to before from");
        p = plan(10, "9AM-11AM");
        p.max_age = Some(10);
        p.min_age = 18;
        assert!(p.validate().is_err(), "max below min");
        p = plan(10, "9AM-11AM");
        p.slots[0].capacity = Some(9);
        assert!(p.validate().is_err(), "fixed capacities must add up");
        p = plan(10, "9AM-11AM");
        p.capacity_dose1 = Some(11);
        assert!(p.validate().is_err(), "more dose-1 seats than seats");
        p.capacity_dose1 = Some(5);
        p.dose = Some(2);
        assert!(p.validate().is_err(), "dose-1 seats in a dose-2 session");
        p.dose = Some(1);
        assert!(
            p.validate().is_err(),
            "a dose-1 session keeps every seat for dose 1"
        );
    }

    #[test]
    fn first_dose_seats_are_shared_in_proportion_and_add_up() {
        let mut p = plan(101, "9AM-11AM; 1PM-3PM; 4PM-5PM");
        let caps = p.slot_capacities();
        assert_eq!(caps, vec![34, 34, 33]);
        assert_eq!(
            p.dose1_capacity(),
            101,
            "every seat, unless asked otherwise"
        );
        p.capacity_dose1 = Some(51);
        let shares = p.slot_dose1_capacities(&caps);
        assert_eq!(shares.iter().sum::<u32>(), 51);
        assert!(shares.iter().zip(&caps).all(|(s, c)| s <= c));
        p.capacity_dose1 = None;
        p.dose = Some(1);
        assert_eq!(p.slot_dose1_capacities(&caps), caps);
        p.dose = Some(2);
        assert_eq!(p.slot_dose1_capacities(&caps), vec![0, 0, 0]);
        p.dose = None;
        p.capacity_dose1 = Some(100);
        let shares = p.slot_dose1_capacities(&caps);
        assert_eq!(shares.iter().sum::<u32>(), 100);
        assert!(shares.iter().zip(&caps).all(|(s, c)| s <= c));
    }

    #[test]
    fn the_two_pools_always_add_up_to_the_free_seats() {
        for (capacity, capacity_dose1, booked, booked_dose1) in [
            (10, 5, 0, 0),
            (10, 5, 7, 5),
            (10, 0, 3, 0),
            (10, 10, 10, 10),
            (7, 3, 4, 1),
        ] {
            let slot = Slot {
                id: SlotId(1),
                name: "x".into(),
                timings: SlotTimings::parse("9AM-11AM").unwrap(),
                capacity,
                booked,
                capacity_dose1,
                booked_dose1,
            };
            assert_eq!(
                slot.available_for(DosePool::First) + slot.available_for(DosePool::Later),
                slot.available()
            );
        }
        assert_eq!(DosePool::of(1), DosePool::First);
        assert_eq!(DosePool::of(3), DosePool::Later);
    }
}
