//! The availability search cache: what an area search read from the database, kept until a
//! change in that area makes it stale.
//!
//! Changes arrive two ways. A write committed by this process calls the store's change hook
//! right after its commit, before the writer answers its client, so every search that starts
//! after a booking's answer reads fresh data (read-your-writes on the node). Writes of other
//! nodes reach this node through the availability feed's poller (`public_api.feed_poll_ms`,
//! 100 ms by default), which drops the same entries.
//!
//! A search that misses takes a ticket (its area's generation and the cache's epoch) before it
//! reads the database, and keeps its answer only if no change touched the area meanwhile: a
//! read that raced a commit is served once and never cached. Entries hold the database's rows,
//! not the rendered answer, so slots that end as time passes still leave the answers at once.

use sehat_domain::DomainError;
use sehat_domain::facility::Center;
use sehat_domain::store::{AreaAvailability, CenterArea, Store, TouchedArea};
use sehat_domain::values::GeoPoint;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Pincode(i64),
    District(i64),
    Block(i64),
}

impl From<CenterArea> for Key {
    fn from(area: CenterArea) -> Self {
        match area {
            CenterArea::Pincode(p) => Key::Pincode(i64::from(p.get())),
            CenterArea::District(d) => Key::District(d.0),
            CenterArea::Block(b) => Key::Block(b.0),
        }
    }
}

#[derive(Debug, Default)]
struct Area {
    generation: u64,
    answers: HashMap<(Date, Date), Arc<AreaAvailability>>,
    rendered: HashMap<RenderKey, Arc<Rendered>>,
}

/// Which answer of an area: the call, its first day, its vaccine filter (lowercase).
pub type RenderKey = (&'static str, Date, Option<String>);

/// An answer as sent: its bytes and validators, good until the first of its slots ends.
#[derive(Debug)]
pub struct Rendered {
    /// The JSON body.
    pub bytes: bytes::Bytes,
    /// Its strong ETag.
    pub etag: String,
    /// The area's last change (ms), for `Last-Modified`.
    pub changed_at: Option<i64>,
    /// When the answer stops being right by itself (a slot ends, ms since the epoch).
    pub good_until_ms: i64,
}

/// What a search that missed must show to keep its answer: nothing changed the area since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    generation: u64,
    epoch: u64,
    block_epoch: u64,
}

#[derive(Debug, Default)]
struct Inner {
    areas: HashMap<Key, Area>,
    /// Bumped when everything is dropped, and (for block searches, whose block a change does
    /// not name) on every change.
    epoch: u64,
    block_epoch: u64,
    entries: usize,
}

/// The cache of one node.
#[derive(Debug)]
pub struct SearchCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    /// The nearest centres to a point (findByLatLong), for `NEAR_TTL`: centres move and open
    /// rarely, their list carries no seats, and the v2 answer itself tells clients to keep it
    /// for 24 hours.
    near: Mutex<HashMap<NearKey, (std::time::Instant, Nearest)>>,
}

/// A point to 1/10,000 of a degree, and how many centres.
type NearKey = (i64, i64, u32);

/// Centres with their distance in km, nearest first.
type Nearest = Arc<Vec<(Center, f64)>>;

/// How long a nearest-centres answer is kept.
pub const NEAR_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Counters for operators and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers held.
    pub entries: usize,
}

impl SearchCache {
    /// A cache holding at most `max_entries` answers (past that, it starts over).
    pub fn new(max_entries: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_entries: max_entries.max(1),
            near: Mutex::new(HashMap::new()),
        }
    }

    /// The `limit` centres nearest a point (to 1/10,000 of a degree, about 11 m), from the
    /// cache when asked in the last minute.
    pub async fn centers_near(
        &self,
        store: &dyn Store,
        point: GeoPoint,
        limit: u32,
    ) -> Result<Nearest, DomainError> {
        let key = (
            (point.lat() * 10_000.0).round() as i64,
            (point.lon() * 10_000.0).round() as i64,
            limit,
        );
        let now = std::time::Instant::now();
        let lock = || {
            self.near
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((at, found)) = lock().get(&key)
            && now.duration_since(*at) < NEAR_TTL
        {
            return Ok(found.clone());
        }
        let found = Arc::new(store.centers_near(point, limit).await?);
        let mut near = lock();
        if near.len() >= self.max_entries {
            near.retain(|_, (at, _)| now.duration_since(*at) < NEAR_TTL);
            if near.len() >= self.max_entries {
                near.clear();
            }
        }
        near.insert(key, (now, found.clone()));
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What it holds.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.lock().entries,
        }
    }

    /// The rendered answer `key` of an area while it is good at `now_ms`, or the ticket to keep
    /// a fresh one with.
    pub fn rendered(
        &self,
        area: CenterArea,
        key: &RenderKey,
        now_ms: i64,
    ) -> Result<Arc<Rendered>, Ticket> {
        let mut inner = self.lock();
        let (epoch, block_epoch) = (inner.epoch, inner.block_epoch);
        let entry = inner.areas.entry(Key::from(area)).or_default();
        match entry.rendered.get(key) {
            Some(found) if now_ms < found.good_until_ms => Ok(found.clone()),
            _ => Err(Ticket {
                generation: entry.generation,
                epoch,
                block_epoch,
            }),
        }
    }

    /// Keeps a rendered answer, unless a change touched its area since `ticket` was taken.
    pub fn keep_rendered(
        &self,
        area: CenterArea,
        key: RenderKey,
        ticket: Ticket,
        answer: Arc<Rendered>,
    ) {
        let key_area = Key::from(area);
        let mut inner = self.lock();
        let still = inner.epoch == ticket.epoch
            && (!matches!(key_area, Key::Block(_)) || inner.block_epoch == ticket.block_epoch);
        if !still {
            return;
        }
        if inner.entries >= self.max_entries || inner.areas.len() >= self.max_entries {
            inner.areas.clear();
            inner.entries = 0;
            inner.epoch += 1;
            return;
        }
        let entry = inner.areas.entry(key_area).or_default();
        if entry.generation == ticket.generation && entry.rendered.insert(key, answer).is_none() {
            inner.entries += 1;
        }
    }

    /// The area's availability between two dates, from the cache or else from the store.
    pub async fn availability(
        &self,
        store: &dyn Store,
        area: CenterArea,
        from: Date,
        to: Date,
    ) -> Result<Arc<AreaAvailability>, DomainError> {
        let key = Key::from(area);
        let ticket = {
            let mut inner = self.lock();
            let (epoch, block_epoch) = (inner.epoch, inner.block_epoch);
            let entry = inner.areas.entry(key).or_default();
            if let Some(found) = entry.answers.get(&(from, to)) {
                return Ok(found.clone());
            }
            (entry.generation, epoch, block_epoch)
        };
        let found = Arc::new(store.availability(area, from, to).await?);
        let mut inner = self.lock();
        let still = inner.epoch == ticket.1
            && (!matches!(key, Key::Block(_)) || inner.block_epoch == ticket.2);
        if still {
            if inner.entries >= self.max_entries || inner.areas.len() >= self.max_entries {
                inner.areas.clear();
                inner.entries = 0;
                inner.epoch += 1;
                return Ok(found);
            }
            let area = inner.areas.entry(key).or_default();
            if area.generation == ticket.0
                && area.answers.insert((from, to), found.clone()).is_none()
            {
                inner.entries += 1;
            }
        }
        Ok(found)
    }

    /// Drops every answer these changes make stale.
    pub fn invalidate(&self, touched: &[TouchedArea]) {
        if touched.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let mut dropped = 0;
        for t in touched {
            for key in [Key::Pincode(t.pincode), Key::District(t.district_id)] {
                if let Some(area) = inner.areas.get_mut(&key) {
                    area.generation += 1;
                    dropped += area.answers.len() + area.rendered.len();
                    area.answers.clear();
                    area.rendered.clear();
                }
            }
        }
        inner.block_epoch += 1;
        for (key, area) in inner.areas.iter_mut() {
            if matches!(key, Key::Block(_)) {
                dropped += area.answers.len() + area.rendered.len();
                area.answers.clear();
                area.rendered.clear();
            }
        }
        inner.entries = inner.entries.saturating_sub(dropped);
    }
}
