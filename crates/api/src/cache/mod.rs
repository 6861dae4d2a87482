//! What a node keeps in memory about seats so that crowds are answered without the database:
//! the area searches already read, and the slots known to be sold out. Both forget what a
//! change touches — at once for this node's commits (the store's change hook, wired in
//! [`crate::AppState::new`]), within one feed poll for other nodes'.

/// The availability search cache, kept fresh by commits and the feed.
pub mod searches;
/// Slots known to be sold out, answered from memory.
pub mod sold_out;
