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
            let name = if name.is_empty() {
                default_slot_name(timings)
            } else {
                name
            };
            out.push(Self {
                name: Name::parse(name)?,
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
}

impl Slot {
    /// Seats still free.
    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.booked)
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
    /// Open or closed.
    pub status: SessionStatus,
    /// Its slots, in time order.
    pub slots: Vec<Slot>,
}

impl Session {
    /// Online seats still free across all slots.
    pub fn available(&self) -> u32 {
        self.slots.iter().map(Slot::available).sum()
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
    }
}
