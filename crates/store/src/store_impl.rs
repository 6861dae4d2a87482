//! `Store for SqlStore`: the trait's methods, each delegating to the module that owns its SQL.

use crate::db::SqlStore;
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::facility::{Center, CenterPatch, PlanOutcome, ResolvedCenter};
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::master::{Block, District, Locality, PincodeArea, State, Vaccine};
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan};
use sehat_domain::store::{CenterFilter, FacilityImport, MasterData, Page, Store};
use sehat_domain::values::Pincode;
use time::Date;

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), DomainError> {
        self.ping_db().await
    }
    async fn master_data_version(&self) -> Result<Option<String>, DomainError> {
        self.read_master_version().await
    }
    async fn import_master_data(&self, data: &MasterData) -> Result<(), DomainError> {
        self.write_master_data(data).await
    }
    async fn states(&self) -> Result<Vec<State>, DomainError> {
        self.read_states().await
    }
    async fn districts(&self) -> Result<Vec<District>, DomainError> {
        self.read_districts().await
    }
    async fn blocks(&self) -> Result<Vec<Block>, DomainError> {
        self.read_blocks().await
    }
    async fn pincode_areas(&self) -> Result<Vec<PincodeArea>, DomainError> {
        self.read_pincode_areas().await
    }
    async fn localities(&self, pincode: Pincode) -> Result<Vec<Locality>, DomainError> {
        self.read_localities(pincode).await
    }
    async fn located_localities(&self) -> Result<Vec<Locality>, DomainError> {
        self.read_located_localities().await
    }
    async fn vaccines(&self) -> Result<Vec<Vaccine>, DomainError> {
        self.read_vaccines().await
    }
    async fn begin_facility_import(&self) -> Result<Box<dyn FacilityImport>, DomainError> {
        self.start_facility_import().await
    }
    async fn create_center(&self, center: &ResolvedCenter) -> Result<Center, DomainError> {
        self.insert_new_center(center).await
    }
    async fn update_center(
        &self,
        id: CenterId,
        patch: &CenterPatch,
    ) -> Result<Center, DomainError> {
        self.patch_center(id, patch).await
    }
    async fn center(&self, id: CenterId) -> Result<Center, DomainError> {
        self.read_center(id).await
    }
    async fn list_centers(
        &self,
        filter: &CenterFilter,
        page: Page,
    ) -> Result<Vec<Center>, DomainError> {
        self.read_centers(filter, page).await
    }
    async fn count_centers(&self) -> Result<u64, DomainError> {
        self.center_count().await
    }
    async fn open_sessions(
        &self,
        center: CenterId,
        plan: &SessionPlan,
    ) -> Result<PlanOutcome, DomainError> {
        self.open_center_sessions(center, plan).await
    }
    async fn close_session(&self, id: SessionId) -> Result<Session, DomainError> {
        self.set_session_closed(id).await
    }
    async fn session(&self, id: SessionId) -> Result<Session, DomainError> {
        self.read_session(id).await
    }
    async fn sessions(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<Session>, DomainError> {
        self.read_sessions(center, from, to).await
    }
    async fn utilization(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayUtilization>, DomainError> {
        self.read_utilization(center, from, to).await
    }
}
