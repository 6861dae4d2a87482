//! `Store for SqlStore`: the umbrella over the capability traits, each implemented in the module
//! that owns its SQL (`reference`, `facilities`, `availability`, `feed`, `people`, `booking`,
//! `identity`, `credentials`, `outbox`, `audit`); here only what belongs to the store as a whole.

use crate::db::{SqlStore, db_error, on_pool};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::audit::Actor;
use sehat_domain::store::Store;
use std::sync::Arc;

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), DomainError> {
        on_pool!(&self.pool, p => sqlx::query("SELECT 1").execute(p).await.map(drop).map_err(db_error))
    }

    fn acting_as(&self, actor: Actor) -> Arc<dyn Store> {
        let mut store = self.clone();
        store.actor = Arc::new(actor);
        Arc::new(store)
    }
}
