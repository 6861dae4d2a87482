//! The outbox: work that must follow a committed change — today the text message that tells
//! people their appointment was booked, moved or cancelled; later partner callbacks and Beckn
//! `on_*` calls. A job is written in the same transaction as the change it follows (both commit
//! or neither does), then run by a worker that leases it, so a crash neither loses a job nor
//! leaves it half done: a job whose worker died is leased again when its lease runs out, and
//! every delivery of one job carries the job's one key, so the receiver can tell a repeat.
//! [`OutboxStore`] is the workers' storage contract.

use crate::DomainError;
use crate::booking::AppointmentNo;
use crate::identity::{MobileHash, Sealed};
use crate::values::SlotTimings;
use async_trait::async_trait;
use time::Date;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Sends a text message to an account's mobile.
    Sms,
}

impl JobKind {
    /// Every kind this build runs.
    pub const ALL: &'static [JobKind] = &[JobKind::Sms];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
        }
    }

    /// From the stored name.
    pub fn from_stored(s: &str) -> Option<Self> {
        (s == "sms").then_some(Self::Sms)
    }
}

/// A job to write with a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// The account it is for (its mobile is looked up, and opened, only when the job runs).
    pub recipient: MobileHash,
    /// What to send. Never a personal identifier: jobs are kept after they run.
    pub payload: String,
}

/// A leased job, ready to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its row.
    pub id: i64,
    /// Its key, the same on every delivery (the receiver's idempotency key).
    pub key: String,
    /// What it does (`None`: a kind this build does not know).
    pub kind: Option<JobKind>,
    /// The account it is for.
    pub recipient: MobileHash,
    /// The account's sealed mobile, if the account has one on record.
    pub mobile_sealed: Option<Sealed>,
    /// What to send.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// How a run of a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// Done: never run again.
    Done,
    /// Failed; run again from `at` (ms).
    Retry {
        /// When.
        at: i64,
        /// Why it failed (no personal identifier).
        error: String,
    },
    /// Failed for good (out of attempts, or it can never succeed).
    Failed {
        /// Why.
        error: String,
    },
}

/// How jobs are leased and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long a leased job is its worker's (ms); after that another worker may take it.
    pub lease_ms: i64,
    /// Attempts before a job fails for good.
    pub max_attempts: u32,
    /// The wait after the first failure (ms); it doubles with each further one…
    pub backoff_base_ms: i64,
    /// …up to this (ms).
    pub backoff_max_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            lease_ms: 60_000,
            max_attempts: 10,
            backoff_base_ms: 5_000,
            backoff_max_ms: 3_600_000,
        }
    }
}

impl RetryPolicy {
    /// What a failed attempt (`job.attempts` so far) leads to at `now` (ms): another attempt
    /// after an exponential backoff, or failure for good once attempts run out.
    pub fn after_failure(&self, attempts: u32, now: i64, error: String) -> JobResult {
        if attempts >= self.max_attempts {
            return JobResult::Failed { error };
        }
        let doubling = attempts.saturating_sub(1).min(40);
        let wait = self
            .backoff_base_ms
            .max(1)
            .saturating_mul(1_i64 << doubling)
            .min(self.backoff_max_ms.max(self.backoff_base_ms));
        JobResult::Retry {
            at: now.saturating_add(wait),
            error,
        }
    }
}

/// What happened to an appointment, for the message that tells its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentEvent {
    /// Booked.
    Booked,
    /// Moved to another slot.
    Rescheduled,
    /// Cancelled for some or all of its people.
    Cancelled,
}

/// The facts of an appointment a message states (no personal identifier).
#[derive(Debug, Clone, Copy)]
pub struct AppointmentNotice<'a> {
    /// What happened.
    pub event: AppointmentEvent,
    /// The confirmation number.
    pub number: AppointmentNo,
    /// The centre's name.
    pub center_name: &'a str,
    /// The day.
    pub date: Date,
    /// The slot's window.
    pub timings: SlotTimings,
    /// The dose.
    pub dose: u8,
    /// The vaccine's code as the session names it (empty: none named).
    pub vaccine: &'a str,
    /// How many people it concerns.
    pub people: usize,
}

impl AppointmentNotice<'_> {
    /// The text message.
    pub fn text(&self) -> String {
        let day = format!(
            "{:02}-{:02}-{}",
            self.date.day(),
            u8::from(self.date.month()),
            self.date.year()
        );
        let what = if self.vaccine.is_empty() {
            format!("dose {}", self.dose)
        } else {
            format!("dose {} of {}", self.dose, self.vaccine)
        };
        let people = if self.people == 1 {
            "1 person".to_owned()
        } else {
            format!("{} people", self.people)
        };
        match self.event {
            AppointmentEvent::Booked => format!(
                "Appointment {} confirmed: {what} for {people} at {}, {day}, {}.",
                self.number,
                self.center_name,
                self.timings.to_cowin_v2()
            ),
            AppointmentEvent::Rescheduled => format!(
                "Appointment {} rescheduled: {what} for {people} at {}, {day}, {}.",
                self.number,
                self.center_name,
                self.timings.to_cowin_v2()
            ),
            AppointmentEvent::Cancelled => format!(
                "Appointment {} at {} on {day} cancelled for {people}.",
                self.number, self.center_name
            ),
        }
    }

    /// The job that sends it to `account`.
    pub fn job(&self, account: &MobileHash) -> NewJob {
        NewJob {
            kind: JobKind::Sms,
            recipient: account.clone(),
            payload: self.text(),
        }
    }
}

/// The storage of the outbox as its workers see it (jobs are written by the change they follow,
/// inside that change's transaction): leased, finished, pruned and counted. Every method is one
/// atomic operation.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Leases up to `max` due outbox jobs, oldest first, for `lease_ms` from `now`, counting
    /// the attempt; a job leased by another worker is not due until its lease runs out.
    async fn lease_jobs(&self, now: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>, DomainError>;
    /// Records, in one transaction, how runs of leased jobs ended: `(job id, the attempt it
    /// was leased for, result)`.
    async fn finish_jobs(
        &self,
        results: &[(i64, u32, JobResult)],
        now: i64,
    ) -> Result<(), DomainError>;
    /// Deletes jobs finished before `before` (ms); returns how many.
    async fn prune_jobs(&self, before: i64) -> Result<u64, DomainError>;
    /// Outbox jobs not finished yet, and jobs that failed for good.
    async fn job_counts(&self) -> Result<(u64, u64), DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_then_the_job_fails_for_good() {
        let policy = RetryPolicy {
            lease_ms: 1_000,
            max_attempts: 5,
            backoff_base_ms: 100,
            backoff_max_ms: 500,
        };
        let waits: Vec<JobResult> = (1..=5)
            .map(|a| policy.after_failure(a, 1_000, "down".into()))
            .collect();
        let at = |r: &JobResult| match r {
            JobResult::Retry { at, .. } => Some(*at),
            _ => None,
        };
        assert_eq!(
            waits.iter().map(at).collect::<Vec<_>>(),
            vec![Some(1_100), Some(1_200), Some(1_400), Some(1_500), None]
        );
        assert_eq!(
            waits[4],
            JobResult::Failed {
                error: "down".into()
            }
        );
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.after_failure(u32::MAX - 1, i64::MAX - 5, String::new()),
            JobResult::Retry {
                at: i64::MAX,
                error: String::new()
            }
        );
    }

    #[test]
    fn messages_state_the_appointment_and_never_the_person() {
        let notice = AppointmentNotice {
            event: AppointmentEvent::Booked,
            number: AppointmentNo::new(12_345_678_901_234).unwrap(),
            center_name: "PHC Palam",
            date: time::macros::date!(2026 - 12 - 15),
            timings: SlotTimings::parse("09:00AM-11:00AM").unwrap(),
            dose: 1,
            vaccine: "COVISHIELD",
            people: 2,
        };
        assert_eq!(
            notice.text(),
            "Appointment 12345678901234 confirmed: dose 1 of COVISHIELD for 2 people at PHC Palam, 15-12-2026, 09:00AM-11:00AM."
        );
        let cancelled = AppointmentNotice {
            event: AppointmentEvent::Cancelled,
            people: 1,
            vaccine: "",
            ..notice
        };
        assert_eq!(
            cancelled.text(),
            "Appointment 12345678901234 at PHC Palam on 15-12-2026 cancelled for 1 person."
        );
    }
}
