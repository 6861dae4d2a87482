//! Slots known to be sold out, so that the crowd arriving after the last seat is answered from
//! memory instead of queueing for the slot's row.
//!
//! A slot's pool is marked when the database refuses a booking of `n` people for want of seats;
//! later requests for at least `n` people are refused from memory. The mark goes when seats may
//! come free in its session: at once for a cancel, a move away or a change of capacity committed
//! by this node (the store's change hook), within one feed poll for those of other nodes, and in
//! any case after `MARK_TTL`. A refusal is marked only if nothing freed seats while it was
//! decided (a ticket taken before the booking), so a cancel racing the refusal cannot leave a
//! mark behind. A request whose idempotency key was seen before still goes to the database, to
//! get its first answer back.

use sehat_domain::ids::{SessionId, SlotId};
use sehat_domain::schedule::DosePool;
use sehat_domain::store::TouchedArea;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a mark is trusted.
pub const MARK_TTL: Duration = Duration::from_secs(2);

/// A slot pool's mark: the fewest people refused, and when.
#[derive(Debug, Clone, Copy)]
struct Mark {
    people: u32,
    at: Instant,
}

#[derive(Debug, Default)]
struct Marks {
    by_session: HashMap<uuid::Uuid, HashMap<(i64, DosePool), Mark>>,
    /// Counts every forgetting: a refusal decided across one is not marked.
    clears: u64,
}

/// The sold-out marks of one node.
#[derive(Debug, Default)]
pub struct SoldOut {
    marks: Mutex<Marks>,
}

/// Taken before a booking; a refusal is marked only if it still holds.
#[derive(Debug, Clone, Copy)]
pub struct MarkTicket(u64);

impl SoldOut {
    fn lock(&self) -> std::sync::MutexGuard<'_, Marks> {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The ticket to mark a refusal with, or `None` when a booking of `people` in the slot's
    /// pool is known to find no seats.
    pub fn check(
        &self,
        session: SessionId,
        slot: SlotId,
        pool: DosePool,
        people: u32,
    ) -> Option<MarkTicket> {
        let marks = self.lock();
        let marked = marks
            .by_session
            .get(&session.0)
            .and_then(|s| s.get(&(slot.0, pool)))
            .is_some_and(|m| people >= m.people && m.at.elapsed() < MARK_TTL);
        (!marked).then_some(MarkTicket(marks.clears))
    }

    /// The database refused a booking of `people` in the slot's pool for want of seats.
    pub fn mark(
        &self,
        ticket: MarkTicket,
        session: SessionId,
        slot: SlotId,
        pool: DosePool,
        people: u32,
    ) {
        let mut marks = self.lock();
        if marks.clears != ticket.0 {
            return;
        }
        // Bounded: a deployment has far fewer sold-out sessions than this at any time.
        if marks.by_session.len() >= 100_000 {
            marks.by_session.clear();
        }
        let mark = marks
            .by_session
            .entry(session.0)
            .or_default()
            .entry((slot.0, pool))
            .or_insert(Mark {
                people,
                at: Instant::now(),
            });
        mark.people = mark.people.min(people);
        mark.at = Instant::now();
    }

    /// Forgets the marks of sessions where seats may have come free.
    pub fn forget(&self, touched: &[TouchedArea]) {
        if !touched.iter().any(|t| t.frees_seats) {
            return;
        }
        let mut marks = self.lock();
        marks.clears += 1;
        for t in touched.iter().filter(|t| t.frees_seats) {
            marks.by_session.remove(&t.session_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touched(session: uuid::Uuid, frees_seats: bool) -> TouchedArea {
        TouchedArea {
            district_id: 1,
            pincode: 110001,
            session_id: session,
            frees_seats,
        }
    }

    #[test]
    fn a_mark_stays_through_bookings_and_goes_when_seats_may_free() {
        let (s, other) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let (sid, slot, first) = (SessionId(s), SlotId(7), DosePool::First);
        let sold = SoldOut::default();
        let ticket = sold.check(sid, slot, first, 1).unwrap();
        sold.mark(ticket, sid, slot, first, 1);
        assert!(sold.check(sid, slot, first, 1).is_none());
        assert!(
            sold.check(sid, slot, DosePool::Later, 1).is_some(),
            "per pool"
        );
        assert!(sold.check(sid, SlotId(8), first, 1).is_some(), "per slot");
        sold.forget(&[touched(s, false)]);
        assert!(
            sold.check(sid, slot, first, 1).is_none(),
            "a booking frees nothing"
        );
        sold.forget(&[touched(other, true)]);
        assert!(sold.check(sid, slot, first, 1).is_none(), "another session");
        sold.forget(&[touched(s, true)]);
        assert!(sold.check(sid, slot, first, 1).is_some());
    }

    #[test]
    fn a_family_refused_does_not_mark_the_slot_for_one_person() {
        let (sid, slot, first) = (
            SessionId(uuid::Uuid::from_u128(1)),
            SlotId(7),
            DosePool::First,
        );
        let sold = SoldOut::default();
        let ticket = sold.check(sid, slot, first, 4).unwrap();
        sold.mark(ticket, sid, slot, first, 4);
        assert!(sold.check(sid, slot, first, 4).is_none());
        assert!(
            sold.check(sid, slot, first, 1).is_some(),
            "two seats may still be free"
        );
    }

    #[test]
    fn a_refusal_decided_across_a_freeing_change_is_not_marked() {
        let (s, slot, first) = (uuid::Uuid::from_u128(1), SlotId(7), DosePool::First);
        let sold = SoldOut::default();
        let ticket = sold.check(SessionId(s), slot, first, 1).unwrap();
        sold.forget(&[touched(s, true)]); // a cancel commits while the refusal is on its way
        sold.mark(ticket, SessionId(s), slot, first, 1);
        assert!(sold.check(SessionId(s), slot, first, 1).is_some());
    }
}
