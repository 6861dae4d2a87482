//! Immunization records: the doses people were given, and the rules a next dose must meet.
//!
//! A vaccine belongs to a dose series: the COVID-19 vaccines share one (a person's second
//! COVID dose follows their first, whatever its vaccine, and must be of the same vaccine), each
//! vaccine of the national schedule is a series of its own. The series' rules are data — the
//! COVID vaccines' intervals from `data/covid_vaccine_doses.json`, the national schedule's from
//! its chart — read into [`DoseSchedule`]s by the master data; the rules below are written once
//! and serve the vaccinator recording a dose and the citizen booking one.

use crate::beneficiary::BeneficiaryRef;
use crate::booking::AppointmentNo;
use crate::error::{DomainError, Rule};
use crate::ids::CenterId;
use serde::{Deserialize, Serialize};
use time::Date;

/// The series the COVID-19 vaccines share.
pub const COVID_SERIES: &str = "COVID-19";

/// A dose record's id: a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DoseId(pub uuid::Uuid);

impl DoseId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

/// A vaccinator's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VaccinatorId(pub i64);

/// How a vaccine's doses follow each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoseSchedule {
    /// The vaccine's code (`COVISHIELD`, `MR`, …).
    pub vaccine_code: String,
    /// The series its doses count in: [`COVID_SERIES`] for the COVID vaccines, else the code.
    pub series: String,
    /// The maker printed on the certificate.
    pub manufacturer: String,
    /// Doses of the primary series.
    pub total_doses: u8,
    /// `min_days_between[i]`: the least days from dose `i + 1` to dose `i + 2`.
    pub min_days_between: Vec<u16>,
    /// A precaution (booster) dose after the primary series: this many days after its last dose.
    pub precaution_after_days: Option<u16>,
}

impl DoseSchedule {
    /// The highest dose number the series allows (the precaution dose included).
    pub fn last_dose(&self) -> u8 {
        if self.precaution_after_days.is_some() {
            self.total_doses.saturating_add(1)
        } else {
            self.total_doses
        }
    }

    /// The least days between dose `dose - 1` and `dose` (`dose` ≥ 2).
    pub fn min_days_before(&self, dose: u8) -> u16 {
        if dose > self.total_doses {
            return self.precaution_after_days.unwrap_or(0);
        }
        usize::from(dose)
            .checked_sub(2)
            .and_then(|i| self.min_days_between.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The `totalDoses` a certificate for `dose` states: the primary series, or the dose number
    /// itself for a precaution dose.
    pub fn total_doses_for(&self, dose: u8) -> u8 {
        self.total_doses.max(dose)
    }
}

/// A vaccine batch (lot) number as printed on the vial: 3–20 letters, digits, `-` or `/`, with
/// at least one digit; stored upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Batch(String);

impl Batch {
    /// Checks and normalises a batch number.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim().to_ascii_uppercase();
        let ok = (3..=20).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
            && text
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && text.bytes().any(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(text))
        } else {
            Err(DomainError::invalid(
                "vaccine_batch",
                "must be the vial's batch number: 3-20 letters, digits, - or /, with a digit",
            ))
        }
    }

    /// The batch number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A dose given, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseRecord {
    /// Its id.
    pub id: DoseId,
    /// Who received it.
    pub beneficiary: BeneficiaryRef,
    /// The vaccine's code.
    pub vaccine_code: String,
    /// Its series (see [`DoseSchedule::series`]).
    pub series: String,
    /// Its maker.
    pub manufacturer: String,
    /// The vial's batch.
    pub batch: Batch,
    /// Its number in the series (the precaution dose is `total_doses + 1`).
    pub dose: u8,
    /// The series' doses, as the certificate states them.
    pub total_doses: u8,
    /// The day it was given (India time).
    pub date: Date,
    /// When it was recorded (ms since the epoch).
    pub recorded_at: i64,
    /// Where.
    pub center_id: CenterId,
    /// By whom.
    pub vaccinator: VaccinatorId,
    /// The appointment it fulfilled; none for a walk-in.
    pub appointment: Option<AppointmentNo>,
}

/// Checks that `dose` of `schedule`'s vaccine may be given on `on`, after `history` (the
/// person's doses, of any series): the dose number is in the series, not recorded yet, follows
/// the last recorded dose of the series, is of the same vaccine as that dose, and comes at
/// least the series' interval after it.
pub fn check_dose(
    history: &[DoseRecord],
    schedule: &DoseSchedule,
    dose: u8,
    on: Date,
) -> Result<(), DomainError> {
    if dose == 0 || dose > schedule.last_dose() {
        return Err(DomainError::invalid(
            "dose",
            format!(
                "{} has doses 1 to {}",
                schedule.vaccine_code,
                schedule.last_dose()
            ),
        ));
    }
    let series: Vec<&DoseRecord> = history
        .iter()
        .filter(|r| r.series == schedule.series)
        .collect();
    if series.iter().any(|r| r.dose == dose) {
        return Err(DomainError::Rule(Rule::DoseAlreadyRecorded { dose }));
    }
    let last = series.iter().max_by_key(|r| r.dose);
    let expected = last.map_or(1, |r| r.dose.saturating_add(1));
    if dose != expected {
        return Err(DomainError::Rule(Rule::DoseOutOfOrder { expected }));
    }
    if let Some(previous) = last {
        if previous.vaccine_code != schedule.vaccine_code {
            return Err(DomainError::Rule(Rule::VaccineMismatch {
                previous: previous.vaccine_code.clone(),
            }));
        }
        let earliest = previous.date.saturating_add(time::Duration::days(i64::from(
            schedule.min_days_before(dose),
        )));
        if on < earliest {
            return Err(DomainError::Rule(Rule::DoseTooEarly { earliest }));
        }
    }
    Ok(())
}

/// Checks that a person's recorded doses of `schedule`'s series still follow each other by its
/// intervals (after a correction changed a date): each dose at least the interval after the one
/// before it.
pub fn check_series(history: &[DoseRecord], schedule: &DoseSchedule) -> Result<(), DomainError> {
    let mut series: Vec<&DoseRecord> = history
        .iter()
        .filter(|r| r.series == schedule.series)
        .collect();
    series.sort_by_key(|r| r.dose);
    for pair in series.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let earliest = before.date.saturating_add(time::Duration::days(i64::from(
            schedule.min_days_before(after.dose),
        )));
        if after.date < earliest {
            return Err(DomainError::invalid(
                "date",
                format!(
                    "dose {} on {} and dose {} on {} break the series' interval",
                    before.dose, before.date, after.dose, after.date
                ),
            ));
        }
    }
    Ok(())
}

/// Where a person stands in the COVID-19 series, as CoWIN v2's beneficiary list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CovidStatus {
    /// `Not Vaccinated`, `Partially Vaccinated` or `Vaccinated`.
    pub label: &'static str,
    /// The vaccine of the first dose (empty before it).
    pub vaccine: String,
    /// The day of dose 1, if given.
    pub dose1: Option<Date>,
    /// The day of dose 2, if given.
    pub dose2: Option<Date>,
}

/// A person's COVID-19 status from their records: vaccinated once the primary series is complete.
pub fn covid_status(history: &[DoseRecord]) -> CovidStatus {
    let covid: Vec<&DoseRecord> = history
        .iter()
        .filter(|r| r.series == COVID_SERIES)
        .collect();
    let of = |n: u8| covid.iter().find(|r| r.dose == n);
    let complete = covid.iter().any(|r| r.dose >= r.total_doses);
    CovidStatus {
        label: match (covid.is_empty(), complete) {
            (true, _) => "Not Vaccinated",
            (false, false) => "Partially Vaccinated",
            (false, true) => "Vaccinated",
        },
        vaccine: of(1).map(|r| r.vaccine_code.clone()).unwrap_or_default(),
        dose1: of(1).map(|r| r.date),
        dose2: of(2).map(|r| r.date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn covishield() -> DoseSchedule {
        DoseSchedule {
            vaccine_code: "COVISHIELD".into(),
            series: COVID_SERIES.into(),
            manufacturer: "Serum Institute of India".into(),
            total_doses: 2,
            min_days_between: vec![56],
            precaution_after_days: Some(182),
        }
    }

    fn covaxin() -> DoseSchedule {
        DoseSchedule {
            vaccine_code: "COVAXIN".into(),
            manufacturer: "Bharat Biotech".into(),
            min_days_between: vec![28],
            ..covishield()
        }
    }

    fn given(schedule: &DoseSchedule, dose: u8, date: Date) -> DoseRecord {
        DoseRecord {
            id: DoseId::new_random(),
            beneficiary: BeneficiaryRef::new(12_345_678_901_234).unwrap(),
            vaccine_code: schedule.vaccine_code.clone(),
            series: schedule.series.clone(),
            manufacturer: schedule.manufacturer.clone(),
            batch: Batch::parse("4121Z025").unwrap(),
            dose,
            total_doses: schedule.total_doses_for(dose),
            date,
            recorded_at: 0,
            center_id: CenterId(1),
            vaccinator: VaccinatorId(1),
            appointment: None,
        }
    }

    fn rule(result: Result<(), DomainError>) -> Rule {
        match result {
            Err(DomainError::Rule(rule)) => rule,
            other => panic!("expected a rule, got {other:?}"),
        }
    }

    #[test]
    fn the_first_dose_needs_nothing_and_the_second_needs_the_first() {
        let s = covishield();
        assert!(check_dose(&[], &s, 1, date!(2026 - 03 - 02)).is_ok());
        assert_eq!(
            rule(check_dose(&[], &s, 2, date!(2026 - 03 - 02))),
            Rule::DoseOutOfOrder { expected: 1 }
        );
        let history = [given(&s, 1, date!(2026 - 01 - 01))];
        assert!(check_dose(&history, &s, 2, date!(2026 - 03 - 01)).is_ok());
        assert_eq!(
            rule(check_dose(&history, &s, 3, date!(2026 - 09 - 01))),
            Rule::DoseOutOfOrder { expected: 2 }
        );
    }

    #[test]
    fn a_dose_is_recorded_once() {
        let s = covishield();
        let history = [given(&s, 1, date!(2026 - 01 - 01))];
        assert_eq!(
            rule(check_dose(&history, &s, 1, date!(2026 - 03 - 02))),
            Rule::DoseAlreadyRecorded { dose: 1 }
        );
    }

    #[test]
    fn the_interval_is_a_minimum_counted_in_days() {
        let s = covishield();
        let history = [given(&s, 1, date!(2026 - 01 - 01))];
        // 56 days after 1 January is 26 February.
        assert_eq!(
            rule(check_dose(&history, &s, 2, date!(2026 - 02 - 25))),
            Rule::DoseTooEarly {
                earliest: date!(2026 - 02 - 26)
            }
        );
        assert!(check_dose(&history, &s, 2, date!(2026 - 02 - 26)).is_ok());
        let c = covaxin();
        let history = [given(&c, 1, date!(2026 - 01 - 01))];
        assert!(check_dose(&history, &c, 2, date!(2026 - 01 - 29)).is_ok());
        assert!(check_dose(&history, &c, 2, date!(2026 - 01 - 28)).is_err());
    }

    #[test]
    fn a_covid_series_keeps_its_vaccine_and_counts_across_vaccines() {
        let history = [given(&covishield(), 1, date!(2026 - 01 - 01))];
        assert_eq!(
            rule(check_dose(&history, &covaxin(), 2, date!(2026 - 06 - 01))),
            Rule::VaccineMismatch {
                previous: "COVISHIELD".into()
            }
        );
        assert_eq!(
            rule(check_dose(&history, &covaxin(), 1, date!(2026 - 06 - 01))),
            Rule::DoseAlreadyRecorded { dose: 1 },
            "a first COVID dose of another vaccine is still a first dose"
        );
    }

    #[test]
    fn the_precaution_dose_comes_after_the_series_and_nothing_after_it() {
        let s = covishield();
        let history = [
            given(&s, 1, date!(2026 - 01 - 01)),
            given(&s, 2, date!(2026 - 03 - 01)),
        ];
        assert!(matches!(
            rule(check_dose(&history, &s, 3, date!(2026 - 08 - 01))),
            Rule::DoseTooEarly { .. }
        ));
        assert!(check_dose(&history, &s, 3, date!(2026 - 08 - 30)).is_ok());
        assert_eq!(s.total_doses_for(3), 3);
        assert!(matches!(
            check_dose(&history, &s, 4, date!(2027 - 08 - 30)),
            Err(DomainError::Invalid { ref field, .. }) if field == "dose"
        ));
        assert!(check_dose(&history, &s, 0, date!(2027 - 08 - 30)).is_err());
    }

    #[test]
    fn other_series_do_not_count() {
        let mr = DoseSchedule {
            vaccine_code: "MR".into(),
            series: "MR".into(),
            manufacturer: String::new(),
            total_doses: 2,
            min_days_between: vec![28],
            precaution_after_days: None,
        };
        let history = [given(&covishield(), 1, date!(2026 - 01 - 01))];
        assert!(check_dose(&history, &mr, 1, date!(2026 - 01 - 02)).is_ok());
        assert_eq!(
            rule(check_dose(&history, &mr, 2, date!(2026 - 01 - 02))),
            Rule::DoseOutOfOrder { expected: 1 }
        );
    }

    #[test]
    fn a_corrected_date_must_keep_the_series_intervals() {
        let s = covishield();
        let mut history = vec![
            given(&s, 1, date!(2026 - 01 - 01)),
            given(&s, 2, date!(2026 - 03 - 01)),
        ];
        assert!(check_series(&history, &s).is_ok());
        history[0].date = date!(2026 - 02 - 01);
        assert!(check_series(&history, &s).is_err(), "dose 2 now too early");
        history[0].date = date!(2026 - 03 - 05);
        assert!(check_series(&history, &s).is_err(), "dose 1 after dose 2");
        history[0].date = date!(2026 - 01 - 04);
        assert!(check_series(&history, &s).is_ok());
    }

    #[test]
    fn the_status_follows_the_records() {
        let s = covishield();
        assert_eq!(covid_status(&[]).label, "Not Vaccinated");
        let one = [given(&s, 1, date!(2026 - 01 - 01))];
        let status = covid_status(&one);
        assert_eq!(
            (
                status.label,
                status.vaccine.as_str(),
                status.dose1,
                status.dose2
            ),
            (
                "Partially Vaccinated",
                "COVISHIELD",
                Some(date!(2026 - 01 - 01)),
                None
            )
        );
        let two = [one[0].clone(), given(&s, 2, date!(2026 - 03 - 01))];
        let status = covid_status(&two);
        assert_eq!(status.label, "Vaccinated");
        assert_eq!(status.dose2, Some(date!(2026 - 03 - 01)));
    }

    #[test]
    fn batch_numbers_are_checked_and_kept_upper_case() {
        assert_eq!(Batch::parse(" 4121z025 ").unwrap().as_str(), "4121Z025");
        assert_eq!(Batch::parse("MB3428BX").unwrap().as_str(), "MB3428BX");
        assert!(Batch::parse("AB-12/3").is_ok());
        for bad in [
            "",
            "A1",
            "ABCDEF",
            "-123",
            "12 34",
            "x".repeat(21).as_str(),
            "१२३४",
        ] {
            assert!(Batch::parse(bad).is_err(), "{bad:?}");
        }
    }
}
