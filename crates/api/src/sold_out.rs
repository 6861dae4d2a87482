//! Slots known to be sold out, so that the crowd arriving after the last seat is answered from
//! memory instead of queueing for the slot's row.
//!
//! A slot is marked when the database refuses a booking for want of seats in a dose pool. The
//! mark goes when seats may come free in its session: at once for a cancel, a move away or a
//! change of capacity committed by this node (the store's change hook), and within one feed
//! poll for those of other nodes. A booking only takes seats, so it leaves the marks alone.
//! A request whose idempotency key was seen before still goes to the database, to get its
//! first answer back.

use sehat_domain::ids::{SessionId, SlotId};
use sehat_domain::schedule::DosePool;
use sehat_domain::store::TouchedArea;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The sold-out marks of one node.
#[derive(Debug, Default)]
pub struct SoldOut {
    marks: Mutex<HashMap<uuid::Uuid, HashSet<(i64, DosePool)>>>,
}

impl SoldOut {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<uuid::Uuid, HashSet<(i64, DosePool)>>> {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the slot's pool was found full and nothing has freed a seat since.
    pub fn is_marked(&self, session: SessionId, slot: SlotId, pool: DosePool) -> bool {
        self.lock()
            .get(&session.0)
            .is_some_and(|s| s.contains(&(slot.0, pool)))
    }

    /// The database refused a booking of the slot's pool for want of seats.
    pub fn mark(&self, session: SessionId, slot: SlotId, pool: DosePool) {
        let mut marks = self.lock();
        // Bounded: a deployment has far fewer sold-out sessions than this at any time.
        if marks.len() >= 100_000 {
            marks.clear();
        }
        marks.entry(session.0).or_default().insert((slot.0, pool));
    }

    /// Forgets the marks of sessions where seats may have come free.
    pub fn forget(&self, touched: &[TouchedArea]) {
        if !touched.iter().any(|t| t.frees_seats) {
            return;
        }
        let mut marks = self.lock();
        for t in touched.iter().filter(|t| t.frees_seats) {
            marks.remove(&t.session_id);
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
        let sold = SoldOut::default();
        sold.mark(SessionId(s), SlotId(7), DosePool::First);
        assert!(sold.is_marked(SessionId(s), SlotId(7), DosePool::First));
        assert!(
            !sold.is_marked(SessionId(s), SlotId(7), DosePool::Later),
            "per pool"
        );
        assert!(
            !sold.is_marked(SessionId(s), SlotId(8), DosePool::First),
            "per slot"
        );
        sold.forget(&[touched(s, false)]);
        assert!(
            sold.is_marked(SessionId(s), SlotId(7), DosePool::First),
            "a booking frees nothing"
        );
        sold.forget(&[touched(other, true)]);
        assert!(
            sold.is_marked(SessionId(s), SlotId(7), DosePool::First),
            "another session"
        );
        sold.forget(&[touched(s, true)]);
        assert!(!sold.is_marked(SessionId(s), SlotId(7), DosePool::First));
    }
}
