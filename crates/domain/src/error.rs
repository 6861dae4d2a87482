//! Named domain errors. Each API family turns them into its own wire error in exactly one `match`.

use std::borrow::Cow;

/// Why a use case refused, or could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A field of the request is malformed or breaks a rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field at fault, as the client named it.
        field: Cow<'static, str>,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (e.g. capacity below what is booked).
    #[error("conflict: {0}")]
    Conflict(Cow<'static, str>),
    /// A business rule refused the request; each API family has a code for each rule.
    #[error("{0}")]
    Rule(Rule),
    /// The database cannot be reached right now; the caller may retry.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else that went wrong inside; logged, never shown to clients.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    /// An invalid-field error.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The business rules a request can break, each with a stable code in every API family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum Rule {
    /// The slot (or session) has no seats left.
    #[error(
        "This center is completely booked for the selected date. Please try another date or vaccination center."
    )]
    SlotFull,
    /// The session or centre takes no bookings.
    #[error("This session is closed for booking.")]
    SessionClosed,
    /// The session's date or the slot's time has passed.
    #[error("This session or slot is in the past.")]
    PastSession,
    /// A beneficiary's age is outside the session's limits.
    #[error("A beneficiary is not in the age group of this session.")]
    AgeNotEligible,
    /// A beneficiary already has an upcoming appointment (or an active one for this dose).
    #[error("A beneficiary already has an upcoming appointment, or one for this dose.")]
    AlreadyBooked,
    /// The slot does not belong to the centre and date given.
    #[error("The slot does not belong to that centre and date.")]
    SlotMismatch,
    /// The captcha answer is wrong, missing or expired (when the deployment checks captchas).
    #[error("Invalid captcha.")]
    CaptchaInvalid,
    /// The same idempotency key was sent with a different request.
    #[error("This Idempotency-Key was used with a different request.")]
    IdempotencyKeyReused,
    /// The mobile already carries the most beneficiaries allowed.
    #[error("This mobile number already has the maximum number of beneficiaries.")]
    FamilyFull,
    /// The photo ID is already registered to someone.
    #[error("This photo ID is already registered.")]
    PhotoIdTaken,
    /// The beneficiary has an active appointment and cannot be removed.
    #[error("The beneficiary has an active appointment; cancel it first.")]
    HasActiveAppointment,
    /// The OTP is wrong.
    #[error("Invalid OTP.")]
    OtpInvalid,
    /// The OTP's time ran out, it was used, or the transaction is unknown.
    #[error("The OTP has expired or was already used. Request a new one.")]
    OtpExpired,
    /// Too many wrong OTPs for this transaction.
    #[error("Too many wrong attempts. Request a new OTP.")]
    OtpAttemptsExceeded,
    /// Too many OTPs requested: retry after this many seconds.
    #[error("Too many OTP requests. Try again later.")]
    OtpRateLimited {
        /// Seconds until another OTP may be requested.
        retry_after_secs: i64,
    },
    /// The partner API key is missing, unknown, retired or revoked.
    #[error("A valid partner API key is required in the x-api-key header.")]
    BadApiKey,
    /// Too many attempts at a credential: retry after this many seconds.
    #[error("Too many attempts. Try again later.")]
    TooManyAttempts {
        /// Seconds until another attempt is allowed.
        retry_after_secs: i64,
    },
    /// Reference id, mobile and year of birth do not match a beneficiary.
    #[error("The beneficiary details do not match.")]
    CredentialsMismatch,
    /// The dose does not follow the last dose recorded in its series.
    #[error("Dose {expected} is the next dose for this beneficiary.")]
    DoseOutOfOrder {
        /// The dose that would come next.
        expected: u8,
    },
    /// The series' interval has not passed since the previous dose.
    #[error("It is too early for this dose: it can be given from {earliest}.")]
    DoseTooEarly {
        /// The first day the dose may be given (India time).
        earliest: time::Date,
    },
    /// This dose is already recorded.
    #[error("Dose {dose} is already recorded for this beneficiary.")]
    DoseAlreadyRecorded {
        /// The dose.
        dose: u8,
    },
    /// The vaccinator has no active post at this centre.
    #[error("You are not a vaccinator of this centre.")]
    NotYourCenter,
    /// The person has no appointment or walk-in seat for this dose at this centre today.
    #[error(
        "This beneficiary has no appointment or walk-in seat for this vaccine and dose at this centre today. Schedule an on-spot seat first."
    )]
    NothingToFulfil,
    /// No walk-in seat is left in today's session.
    #[error("No walk-in seats are left in today's session.")]
    WalkInFull,
    /// The centre has no open session today (for that vaccine).
    #[error("This centre has no open session today.")]
    NoSessionToday,
    /// The certificate was revoked (a correction replaced it).
    #[error("This certificate was revoked; a corrected certificate replaced it.")]
    CertificateRevoked,
    /// The mobile holds no active vaccinator post.
    #[error("This mobile is not registered as an active vaccinator.")]
    NotAVaccinator,
    /// The series was started with another vaccine.
    #[error("This beneficiary's earlier doses are of {previous}; the series continues with it.")]
    VaccineMismatch {
        /// The vaccine of the earlier doses.
        previous: String,
    },
}
