//! The audit log: who did what, when and from where, for administrative changes, bookings,
//! cancellations and reads of personal data by admins and partners, chained by keyed hashes so
//! that any change to a sealed record, or a record removed, shows.
//!
//! Writers append records inside their own transaction (a crash loses neither the action nor its
//! record). A sealer then gives the records their place in the chain, one sealer at a time: record
//! `n` carries `hash(n) = HMAC(key, hash(n-1), n, its fields)`. [`verify`] recomputes the chain;
//! [`AuditStore`] is the sealer's and the verifier's storage contract.

use crate::DomainError;
use crate::identity::IdentityKey;
use async_trait::async_trait;
use std::fmt;

/// Who acts, as the audit log records them: never a mobile number or a token, only a role and a
/// pseudonymous id (an account's keyed hash, a partner's name, `admin`).
#[derive(Clone, PartialEq, Eq)]
pub struct Actor {
    /// `admin`, `partner:<name>`, `account:<first 12 hex of the keyed hash>`, `system`.
    pub who: String,
    /// The client address the request came from (empty for the system itself).
    pub origin: String,
    /// Whether reads of personal data by this actor are recorded (admins and partners).
    pub privileged: bool,
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actor")
            .field("who", &self.who)
            .finish_non_exhaustive()
    }
}

impl Actor {
    /// sehat itself (background jobs, the command line).
    pub fn system() -> Self {
        Self {
            who: "system".into(),
            origin: String::new(),
            privileged: false,
        }
    }

    /// The holder of the admin token.
    pub fn admin(origin: String) -> Self {
        Self {
            who: "admin".into(),
            origin,
            privileged: true,
        }
    }

    /// A partner app, by the name its API key was issued to.
    pub fn partner(name: &str, origin: String) -> Self {
        Self {
            who: format!("partner:{name}"),
            origin,
            privileged: true,
        }
    }

    /// A family, by a prefix of its account's keyed hash (pseudonymous: it names the account
    /// without revealing the mobile).
    pub fn account(account_hash: &str, origin: String) -> Self {
        Self {
            who: format!("account:{}", account_hash.get(..12).unwrap_or(account_hash)),
            origin,
            privileged: false,
        }
    }

    /// A vaccinator, by a prefix of their mobile's keyed hash. Privileged: their reads of
    /// people's records are audited.
    pub fn vaccinator(mobile_hash: &str, origin: String) -> Self {
        Self {
            who: format!(
                "vaccinator:{}",
                mobile_hash.get(..12).unwrap_or(mobile_hash)
            ),
            origin,
            privileged: true,
        }
    }
}

/// One record as written: what was done to what. `detail` holds ids and counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Milliseconds since the epoch, from the injected clock.
    pub at: i64,
    /// Who (see [`Actor::who`]).
    pub actor: String,
    /// From where.
    pub origin: String,
    /// What, e.g. `appointment.book`, `center.update`, `beneficiary.read`.
    pub action: String,
    /// To what, e.g. `appointment:12345`.
    pub subject: String,
    /// More, as compact JSON without personal identifiers.
    pub detail: String,
}

/// A record with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRecord {
    /// Its position: 1, 2, 3, … without gaps.
    pub seq: u64,
    /// The record.
    pub record: AuditRecord,
    /// The previous record's hash (empty for the first).
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// Computes chain hashes under the server's identity key.
#[derive(Clone, Debug)]
pub struct AuditChain {
    key: IdentityKey,
}

impl AuditChain {
    /// The chain kept under `key`.
    pub fn new(key: IdentityKey) -> Self {
        Self { key }
    }

    /// The hash of record `seq` following `prev_hash`.
    pub fn link(&self, prev_hash: &str, seq: u64, r: &AuditRecord) -> String {
        self.key.keyed_digest(
            "audit",
            &[
                prev_hash,
                &seq.to_string(),
                &r.at.to_string(),
                &r.actor,
                &r.origin,
                &r.action,
                &r.subject,
                &r.detail,
            ],
        )
    }
}

/// What a check of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    /// Sealed records checked.
    pub checked: u64,
    /// The last position checked and its hash, which the head must match.
    pub last_seq: u64,
    /// Records written but not sealed yet (they join the chain at the next seal).
    pub pending: u64,
    /// The first position where the chain breaks, and why.
    pub broken: Option<(u64, String)>,
}

/// Checks a run of sealed records, in order, continuing from `prev` (`(0, "")` at the start);
/// returns the position and hash reached, or where it breaks.
pub fn check_run(
    chain: &AuditChain,
    prev: (u64, String),
    run: &[SealedRecord],
) -> Result<(u64, String), (u64, String)> {
    let (mut seq, mut hash) = prev;
    for r in run {
        if r.seq != seq + 1 {
            return Err((seq + 1, format!("record {} is missing", seq + 1)));
        }
        if r.prev_hash != hash {
            return Err((
                r.seq,
                "its link to the previous record does not match".into(),
            ));
        }
        if chain.link(&hash, r.seq, &r.record) != r.hash {
            return Err((r.seq, "its contents do not match its hash".into()));
        }
        seq = r.seq;
        hash.clone_from(&r.hash);
    }
    Ok((seq, hash))
}

/// Seals what is pending, then checks the whole chain and the head against it.
pub async fn verify(
    store: &dyn AuditStore,
    chain: &AuditChain,
) -> Result<ChainReport, DomainError> {
    store.seal_audit(chain, 10_000).await?;
    let mut report = ChainReport::default();
    let mut reached = (0_u64, String::new());
    loop {
        let run = store.audit_records(reached.0, 1_000).await?;
        if run.is_empty() {
            break;
        }
        match check_run(chain, reached.clone(), &run) {
            Ok(next) => {
                report.checked += run.len() as u64;
                reached = next;
            }
            Err(broken) => {
                report.broken = Some(broken);
                return Ok(report);
            }
        }
    }
    report.last_seq = reached.0;
    let (head_seq, head_hash, pending) = store.audit_head().await?;
    report.pending = pending;
    if (head_seq, head_hash.as_str()) != (reached.0, reached.1.as_str()) {
        report.broken = Some((
            reached.0 + 1,
            format!(
                "the head says {head_seq} records but the chain holds {}: records were removed",
                reached.0
            ),
        ));
    }
    Ok(report)
}

/// The storage of the audit chain: sealing pending records and reading the chain back (records
/// are appended by the writers, inside their own transactions). Every method is one atomic
/// operation.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Seals up to `max` pending audit records into the chain; returns how many.
    async fn seal_audit(&self, chain: &AuditChain, max: u32) -> Result<u64, DomainError>;
    /// Sealed audit records after position `after`, in chain order.
    async fn audit_records(&self, after: u64, limit: u32)
    -> Result<Vec<SealedRecord>, DomainError>;
    /// The chain's head (position, hash) and how many records wait to be sealed.
    async fn audit_head(&self) -> Result<(u64, String, u64), DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> AuditChain {
        AuditChain::new(IdentityKey::new(vec![3; 32]).unwrap())
    }

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at: 1,
            actor: "admin".into(),
            origin: "10.0.0.1".into(),
            action: action.into(),
            subject: "center:1".into(),
            detail: "{}".into(),
        }
    }

    fn sealed(records: &[AuditRecord]) -> Vec<SealedRecord> {
        let mut prev = String::new();
        records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let seq = i as u64 + 1;
                let hash = chain().link(&prev, seq, r);
                let s = SealedRecord {
                    seq,
                    record: r.clone(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                s
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_checks_and_any_change_or_gap_breaks_it() {
        let run = sealed(&[record("a"), record("b"), record("c")]);
        let (seq, hash) = check_run(&chain(), (0, String::new()), &run).unwrap();
        assert_eq!((seq, hash.as_str()), (3, run[2].hash.as_str()));

        let mut changed = run.clone();
        changed[1].record.actor = "partner:x".into();
        assert_eq!(
            check_run(&chain(), (0, String::new()), &changed)
                .unwrap_err()
                .0,
            2
        );

        let mut gap = run.clone();
        gap.remove(1);
        assert_eq!(
            check_run(&chain(), (0, String::new()), &gap).unwrap_err().0,
            2
        );

        // Re-hashing a changed record without the key is not possible; with another key the
        // chain does not check either.
        let other = AuditChain::new(IdentityKey::new(vec![4; 32]).unwrap());
        assert!(check_run(&other, (0, String::new()), &run).is_err());
    }

    #[test]
    fn actors_never_carry_a_mobile() {
        let a = Actor::account("0123456789abcdef0123", "1.2.3.4".into());
        assert_eq!(a.who, "account:0123456789ab");
        assert!(!a.privileged && Actor::admin(String::new()).privileged);
        assert!(!format!("{a:?}").contains("1.2.3.4"));
    }
}
